"""U1 U5 U7's figures as stored in decision events and sent to browsers: numbers, not words.

A decision's reasons word its figures ("U7: 3 of 10 instances unhealthy (30% > 20% allowed)");
the same figures travel beside them as data, so a page draws its gauges from numbers and a
rewording of the reasons changes nothing but the words (STYLE 2.11).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypedDict

from orchestrator.health import HealthRule, UnhealthyShare

# Which instances a figure counts: every one of the scale set (U1, U7) or the upgraded (U5).
Scope = Literal["scale_set", "upgraded"]


class FigureData(TypedDict):
    rule: HealthRule
    scope: Scope
    unhealthy: int
    total: int
    percent: float
    allowed_percent: int
    exceeds: bool


def figure_data(share: UnhealthyShare) -> FigureData:
    return {
        "rule": share.rule,
        "scope": "upgraded" if share.upgraded_only else "scale_set",
        "unhealthy": share.unhealthy,
        "total": share.total,
        "percent": share.percent,
        "allowed_percent": share.allowed_percent,
        "exceeds": share.exceeds,
    }


def figures_by_rule(shares: Iterable[UnhealthyShare]) -> dict[str, FigureData]:
    """A decision's figures keyed by rule (a decision measures each rule at most once)."""
    return {share.rule: figure_data(share) for share in shares}
