"""Scale-in rules (scaleInPolicy.rules): which VMs a capacity decrease removes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.scale_in import Candidate, ScaleInRule, choose_scale_in

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def vms(*zones: str, protected: tuple[int, ...] = ()) -> list[Candidate]:
    """One VM per zone given, ids in order, each created a minute after the one before."""
    return [
        Candidate(i, zone, i % 2, T0 + timedelta(minutes=i), protected=i in protected)
        for i, zone in enumerate(zones)
    ]


def test_default_balances_zones_then_removes_the_highest_id():
    fleet = vms("1", "2", "3", "1", "2")  # zone 1: 0, 3; zone 2: 1, 4; zone 3: 2
    assert choose_scale_in(fleet, 2, ScaleInRule.DEFAULT) == (4, 3)


def test_default_balances_fault_domains_inside_a_zone():
    fleet = [
        Candidate(0, "", 0, T0),
        Candidate(1, "", 0, T0),
        Candidate(2, "", 0, T0),
        Candidate(3, "", 1, T0),
    ]
    assert choose_scale_in(fleet, 1, ScaleInRule.DEFAULT) == (2,)


def test_newest_and_oldest_go_by_creation_time_not_id():
    fleet = [
        Candidate(0, "", 0, T0 + timedelta(hours=2)),
        Candidate(1, "", 0, T0),
        Candidate(2, "", 0, T0 + timedelta(hours=1)),
    ]
    assert choose_scale_in(fleet, 1, ScaleInRule.NEWEST_VM) == (0,)
    assert choose_scale_in(fleet, 1, ScaleInRule.OLDEST_VM) == (1,)


@pytest.mark.parametrize("rule", list(ScaleInRule))
def test_protected_vms_are_never_chosen_and_fewer_come_back_when_too_many_are(rule):
    fleet = vms("", "", "", "", protected=(0, 3))
    chosen = choose_scale_in(fleet, 3, rule)
    assert set(chosen) == {1, 2}


def test_the_engines_rules_are_azures_wire_values():
    assert [rule.value for rule in ScaleInRule] == ["Default", "OldestVM", "NewestVM"]
