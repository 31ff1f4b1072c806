"""U1 U5 U7 U8: is one instance healthy, and are too many unhealthy.

An instance is healthy, unhealthy, or initializing (its health signal has not settled yet and
its health wait, U4, still runs). For the thresholds (U1, U5, U7) "unhealthy" means "not
healthy": an initializing instance counts against the limit.

Thresholds use "more than N%", with exact integer arithmetic: 2 of 10 unhealthy at 20% is
allowed, 3 of 10 is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from orchestrator.model import AppHealthState, HealthSource, InstanceUpgradeState, InstanceView
from orchestrator.wording import describe_percent


class HealthStatus(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    INITIALIZING = "initializing"


@dataclass(frozen=True)
class Health:
    """One instance's health at `now` and a short reason ("probe unhealthy")."""

    status: HealthStatus
    reason: str

    @property
    def is_healthy(self) -> bool:
        return self.status is HealthStatus.HEALTHY


HEALTHY = Health(HealthStatus.HEALTHY, "healthy")


def instance_health(view: InstanceView, source: HealthSource, now: datetime) -> Health:
    """The health of one instance at `now` from its health source.

    1. A VM whose power state is not running (stopped, deallocated, starting...) is unhealthy,
       whatever the source.
    2. No source (U8): healthy only when provisioning succeeded and every extension did.
    3. Load balancer probe: the probe's verdict (with its probeThreshold); no verdict yet is
       initializing while the health wait runs, unhealthy after it.
    4. Application Health extension: Healthy is healthy, Initializing (or no report yet while
       the wait runs) is initializing, Unhealthy and Unknown are unhealthy.
    """
    observed = view.observed
    if observed.power_state != "running":
        return Health(HealthStatus.UNHEALTHY, f"power state {observed.power_state}")
    if source is HealthSource.NONE:
        return _default_health(view)
    if source is HealthSource.LOAD_BALANCER_PROBE:
        if observed.probe_healthy is True:
            return HEALTHY
        if observed.probe_healthy is False:
            return Health(HealthStatus.UNHEALTHY, "probe unhealthy")
        return _no_signal_yet(view, now, "probe has no result")
    state = observed.app_health
    if state is AppHealthState.HEALTHY:
        return HEALTHY
    if state is AppHealthState.INITIALIZING:
        return Health(HealthStatus.INITIALIZING, "Application Health Initializing")
    if state is None:
        return _no_signal_yet(view, now, "Application Health has not reported")
    return Health(HealthStatus.UNHEALTHY, f"Application Health {state}")


def _default_health(view: InstanceView) -> Health:
    """U8: power state (checked by the caller) and provisioning states."""
    observed = view.observed
    if observed.provisioning_state != "Succeeded":
        return Health(HealthStatus.UNHEALTHY, f"provisioning {observed.provisioning_state}")
    for name, state in observed.extension_states:
        if state != "Succeeded":
            return Health(HealthStatus.UNHEALTHY, f"extension {name} {state}")
    return HEALTHY


def _no_signal_yet(view: InstanceView, now: datetime, reason: str) -> Health:
    """No verdict: still initializing inside the health wait (U4), unknown = unhealthy after."""
    progress = view.progress
    waiting = progress.upgrade_state is InstanceUpgradeState.WAITING_FOR_HEALTH
    if waiting and progress.health_deadline is not None and now < progress.health_deadline:
        return Health(HealthStatus.INITIALIZING, reason)
    return Health(HealthStatus.UNHEALTHY, reason)


def exceeds(count: int, total: int, allowed_percent: int) -> bool:
    """More than `allowed_percent` of `total`, exactly.

    >>> exceeds(2, 10, 20), exceeds(3, 10, 20), exceeds(1, 4, 20), exceeds(0, 0, 20)
    (False, True, True, False)
    """
    return count * 100 > allowed_percent * total


# The rules that measure unhealthy instances against a limit: U1 before the upgrade and U7
# before each later batch (every instance, maxUnhealthyInstancePercent), U5 after each batch
# (the instances upgraded so far, maxUnhealthyUpgradedInstancePercent).
HealthRule = Literal["U1", "U5", "U7"]


@dataclass(frozen=True)
class UnhealthyShare:
    """U1 U5 U7's figures: how many of how many are unhealthy, against the allowed percentage.

    A decision carries the shares it measured as numbers (`Decision.figures`), beside the
    reasons that word them (`describe`): an edge reads the numbers, never the words.
    """

    rule: HealthRule
    unhealthy: int
    total: int
    allowed_percent: int

    @property
    def upgraded_only(self) -> bool:
        """U5 counts the instances upgraded in this operation; U1 and U7 count every one."""
        return self.rule == "U5"

    @property
    def percent(self) -> float:
        """`UnhealthyShare("U7", 3, 10, 20).percent == 30.0`; 0 of 0 is 0."""
        return 0.0 if self.total == 0 else self.unhealthy * 100 / self.total

    @property
    def exceeds(self) -> bool:
        return exceeds(self.unhealthy, self.total, self.allowed_percent)

    def describe(self) -> str:
        """U11's figures: "3 of 10 instances unhealthy (30% > 20% allowed)"."""
        sign = ">" if self.exceeds else "≤"
        what = "upgraded instances" if self.upgraded_only else "instances"
        percent = describe_percent(self.unhealthy, self.total)
        return (
            f"{self.unhealthy} of {self.total} {what} unhealthy "
            f"({percent} {sign} {self.allowed_percent}% allowed)"
        )


def unhealthy_share(
    instances: Iterable[InstanceView],
    source: HealthSource,
    now: datetime,
    allowed_percent: int,
    rule: Literal["U1", "U7"] = "U7",
) -> UnhealthyShare:
    """U1, U7: the share of ALL instances of the scale set that are not healthy."""
    total = unhealthy = 0
    for view in instances:
        total += 1
        if not instance_health(view, source, now).is_healthy:
            unhealthy += 1
    return UnhealthyShare(rule, unhealthy, total, allowed_percent)


def unhealthy_upgraded_share(
    instances: Iterable[InstanceView], source: HealthSource, now: datetime, allowed_percent: int
) -> UnhealthyShare:
    """U5: the share of instances upgraded in this operation that are unhealthy.

    Failed, rolled back and rollback-failed instances count as unhealthy; a succeeded one counts
    when it has become unhealthy since.
    """
    total = unhealthy = 0
    for view in instances:
        state = view.upgrade_state
        if not state.is_upgraded:
            continue
        total += 1
        if state.is_failure or not instance_health(view, source, now).is_healthy:
            unhealthy += 1
    return UnhealthyShare("U5", unhealthy, total, allowed_percent)
