from __future__ import annotations

from datetime import timedelta

import pytest
from builders import MINUTE

from orchestrator.policy import (
    AutomaticOSUpgradePolicy,
    EffectivePolicy,
    RollingUpgradePolicy,
    UpgradeKind,
    WireMember,
    effective_policy,
    format_duration,
    parse_duration,
    wire_members,
)

AUTOMATIC, MANUAL = UpgradeKind.AUTOMATIC, UpgradeKind.MANUAL
CUSTOM = RollingUpgradePolicy(max_batch_instance_percent=50, max_unhealthy_instance_percent=40)


def test_rolling_policy_has_azures_defaults() -> None:
    rolling = RollingUpgradePolicy()
    assert rolling.max_batch_instance_percent == 20
    assert rolling.max_unhealthy_instance_percent == 20
    assert rolling.max_unhealthy_upgraded_instance_percent == 20
    assert rolling.pause_time_between_batches == timedelta(0)
    assert rolling.prioritize_unhealthy_instances is False
    assert rolling.enable_cross_zone_upgrade is False
    assert rolling.rollback_failed_instances_on_policy_breach is False
    assert rolling.max_surge is False


@pytest.mark.parametrize(
    ("field", "value", "wire_name"),
    [
        ("max_batch_instance_percent", 4, "maxBatchInstancePercent"),
        ("max_batch_instance_percent", 101, "maxBatchInstancePercent"),
        ("max_unhealthy_instance_percent", 4, "maxUnhealthyInstancePercent"),
        ("max_unhealthy_upgraded_instance_percent", -1, "maxUnhealthyUpgradedInstancePercent"),
        ("max_unhealthy_upgraded_instance_percent", 101, "maxUnhealthyUpgradedInstancePercent"),
        ("max_batch_instance_percent", True, "maxBatchInstancePercent"),
        ("pause_time_between_batches", -MINUTE, "pauseTimeBetweenBatches"),
    ],
)
def test_rolling_policy_refuses_values_out_of_range(
    field: str, value: object, wire_name: str
) -> None:
    with pytest.raises(ValueError, match=wire_name):
        RollingUpgradePolicy(**{field: value})  # type: ignore[arg-type]


def test_rolling_policy_accepts_the_range_limits() -> None:
    RollingUpgradePolicy(5, 5, 0)
    RollingUpgradePolicy(100, 100, 100)


def test_automatic_upgrade_uses_defaults_unless_use_rolling_upgrade_policy() -> None:
    plain = effective_policy(AUTOMATIC, CUSTOM, AutomaticOSUpgradePolicy(True))
    assert plain.rolling == RollingUpgradePolicy()
    opted_in = effective_policy(AUTOMATIC, CUSTOM, AutomaticOSUpgradePolicy(True, False, True))
    assert opted_in.rolling == CUSTOM


def test_automatic_upgrade_falls_back_to_defaults_without_a_rolling_policy() -> None:
    chosen = effective_policy(AUTOMATIC, None, AutomaticOSUpgradePolicy(True, False, True))
    assert chosen.rolling == RollingUpgradePolicy()


def test_u4_automatic_upgrade_rolls_back_unless_disable_automatic_rollback() -> None:
    assert effective_policy(AUTOMATIC, None, AutomaticOSUpgradePolicy(True)).automatic_rollback
    disabled = AutomaticOSUpgradePolicy(True, disable_automatic_rollback=True)
    assert effective_policy(AUTOMATIC, None, disabled).automatic_rollback is False


def test_m1_manual_upgrade_uses_the_rolling_policy_and_never_rolls_back() -> None:
    manual = effective_policy(MANUAL, CUSTOM, AutomaticOSUpgradePolicy(True))
    assert manual.rolling == CUSTOM
    assert manual.automatic_rollback is False
    assert effective_policy(MANUAL, None, None).rolling == RollingUpgradePolicy()
    with pytest.raises(ValueError, match="M1"):
        EffectivePolicy(MANUAL, automatic_rollback=True)


def test_u4_health_wait_is_5_minutes_scaled_by_the_time_scale() -> None:
    chosen = effective_policy(AUTOMATIC, None, None, time_scale=60)
    assert chosen.health_wait == timedelta(minutes=5)
    assert chosen.scaled(chosen.health_wait) == timedelta(seconds=5)
    with pytest.raises(ValueError, match="time_scale"):
        effective_policy(AUTOMATIC, None, None, time_scale=0)


def test_started_by_uses_azures_invoker_names() -> None:
    assert (AUTOMATIC.started_by, MANUAL.started_by) == ("Platform", "User")


def test_policy_members_carry_azures_wire_names_defaults_and_ranges() -> None:
    rolling = {item.wire: item for item in wire_members(RollingUpgradePolicy)}
    assert rolling["maxBatchInstancePercent"] == WireMember(
        "max_batch_instance_percent", "maxBatchInstancePercent", int, 20, 5, 100
    )
    assert rolling["pauseTimeBetweenBatches"] == WireMember(
        "pause_time_between_batches",
        "pauseTimeBetweenBatches",
        timedelta,
        timedelta(0),
        timedelta(0),
    )
    assert rolling["maxSurge"] == WireMember("max_surge", "maxSurge", bool, False)
    assert [item.wire for item in wire_members(AutomaticOSUpgradePolicy)] == [
        "enableAutomaticOSUpgrade",
        "disableAutomaticRollback",
        "useRollingUpgradePolicy",
        "osRollingUpgradeDeferral",
    ]
    for policy in (RollingUpgradePolicy, AutomaticOSUpgradePolicy):
        assert policy() == policy(**{item.attribute: item.default for item in wire_members(policy)})


def test_rolling_policy_round_trips_through_the_wire_names() -> None:
    wire = {
        "maxBatchInstancePercent": 30,
        "maxUnhealthyInstancePercent": 100,
        "pauseTimeBetweenBatches": "PT1M30S",
        "enableCrossZoneUpgrade": True,
    }
    rolling = RollingUpgradePolicy.from_wire(wire)
    assert rolling.max_batch_instance_percent == 30
    assert rolling.max_unhealthy_upgraded_instance_percent == 20
    assert rolling.pause_time_between_batches == timedelta(seconds=90)
    assert RollingUpgradePolicy.from_wire(rolling.to_wire()) == rolling
    assert RollingUpgradePolicy().to_wire()["pauseTimeBetweenBatches"] == "PT0S"


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("PT0S", timedelta(0)),
        ("PT5M", timedelta(minutes=5)),
        ("PT1H2M3S", timedelta(hours=1, minutes=2, seconds=3)),
        ("PT0.5S", timedelta(seconds=0.5)),
    ],
)
def test_durations_parse_and_format_as_iso_8601(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration
    assert format_duration(duration) == text


@pytest.mark.parametrize("text", ["", "P", "PT", "5M", "PT5X", "P1Y"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)
