from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from builders import MINUTE, NEW, OLD, SECOND, T0

from orchestrator.behaviour import BehaviourModel, FaultKind, FaultRule, SimulatedInstance
from orchestrator.model import AppHealthState

STEADY = BehaviourModel(reimage_seconds=60, restore_seconds=30, healthy_after_seconds=20, jitter=0)
VM = SimulatedInstance("4", zone="2", update_domain=0, fault_domain=0, image_version=OLD)
REIMAGING = replace(VM, reimage_target=NEW, reimage_started_at=T0)


def population(count: int, zones: int = 3) -> list[SimulatedInstance]:
    return [SimulatedInstance(str(n), str(n % zones + 1), 0, 0, OLD) for n in range(count)]


def test_b2_an_untouched_vm_is_healthy_and_expects_no_change() -> None:
    seen = STEADY.observe(VM, (), T0)
    assert (seen.image_version, seen.power_state, seen.provisioning_state) == (
        OLD,
        "running",
        "Succeeded",
    )
    assert (seen.probe_healthy, seen.app_health, seen.next_change_at) == (
        True,
        AppHealthState.HEALTHY,
        None,
    )


def test_b2_reimage_takes_a_minute_then_the_vm_turns_healthy() -> None:
    during = STEADY.observe(REIMAGING, (), T0 + 30 * SECOND)
    assert (during.provisioning_state, during.power_state, during.image_version) == (
        "Updating",
        "starting",
        OLD,
    )
    assert during.next_change_at == T0 + MINUTE
    done = STEADY.observe(REIMAGING, (), T0 + MINUTE)
    assert (done.provisioning_state, done.image_version, done.reimage_completed_at) == (
        "Succeeded",
        NEW,
        T0 + MINUTE,
    )
    assert (done.probe_healthy, done.app_health) == (None, AppHealthState.INITIALIZING)
    assert done.next_change_at == T0 + 80 * SECOND
    healthy = STEADY.observe(REIMAGING, (), T0 + 80 * SECOND)
    assert (healthy.probe_healthy, healthy.next_change_at) == (True, None)


def test_b2_time_scale_divides_every_duration() -> None:
    fast = replace(STEADY, time_scale=60)
    assert fast.observe(REIMAGING, (), T0).next_change_at == T0 + SECOND


def test_b2_jitter_varies_durations_deterministically_within_bounds() -> None:
    jittery = replace(STEADY, jitter=0.2, seed=7)
    durations = {jittery.duration(60, str(n), T0, "reimage") for n in range(50)}
    assert len(durations) > 40
    assert all(timedelta(seconds=48) <= d <= timedelta(seconds=72) for d in durations)
    assert jittery.duration(60, "3", T0, "reimage") == jittery.duration(60, "3", T0, "reimage")


def test_b2_never_healthy_shows_on_the_probe_but_not_on_the_default_signal() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, image_version=NEW)
    seen = STEADY.observe(REIMAGING, (rule,), T0 + 10 * MINUTE)
    assert (seen.probe_healthy, seen.app_health) == (False, AppHealthState.UNHEALTHY)
    assert (seen.power_state, seen.provisioning_state) == ("running", "Succeeded")
    assert STEADY.observe(VM, (rule,), T0).probe_healthy is True  # the old image is fine


def test_b2_healthy_after_overrides_the_delay() -> None:
    rule = FaultRule(FaultKind.HEALTHY_AFTER, seconds=400)
    assert (
        STEADY.observe(REIMAGING, (rule,), T0 + MINUTE).next_change_at == T0 + MINUTE + 400 * SECOND
    )


def test_b2_unhealthy_after_starts_when_enabled_for_untouched_vms() -> None:
    rule = FaultRule(FaultKind.UNHEALTHY_AFTER, seconds=30, enabled_at=T0 + MINUTE)
    assert STEADY.observe(VM, (rule,), T0).next_change_at == T0 + 90 * SECOND
    assert STEADY.observe(VM, (rule,), T0 + 90 * SECOND).power_state == "stopped"


def test_b2_unhealthy_after_starts_at_reimage_completion_for_upgraded_vms() -> None:
    rule = FaultRule(FaultKind.UNHEALTHY_AFTER, seconds=100, enabled_at=T0)
    seen = STEADY.observe(REIMAGING, (rule,), T0 + 90 * SECOND)
    assert seen.probe_healthy is True
    assert seen.next_change_at == T0 + 160 * SECOND
    assert STEADY.observe(REIMAGING, (rule,), T0 + 160 * SECOND).power_state == "stopped"


def test_b2_extension_and_reimage_failures_end_in_provisioning_failed() -> None:
    vm = replace(REIMAGING, extensions=("CustomScript", "AppHealth"))
    extension = STEADY.observe(vm, (FaultRule(FaultKind.EXTENSION_FAILS),), T0 + MINUTE)
    assert extension.provisioning_state == "Failed"
    assert extension.extension_states == (("CustomScript", "Failed"), ("AppHealth", "Skipped"))
    reimage = STEADY.observe(vm, (FaultRule(FaultKind.REIMAGE_FAILS),), T0 + MINUTE)
    assert (reimage.provisioning_state, reimage.power_state) == ("Failed", "stopped")


def test_b2_restore_brings_back_the_old_disk_unless_rollback_fails() -> None:
    restoring = replace(REIMAGING, restore_started_at=T0 + 7 * MINUTE)
    assert STEADY.observe(restoring, (), T0 + 7 * MINUTE).provisioning_state == "Updating"
    done = STEADY.observe(restoring, (), T0 + 7 * MINUTE + 30 * SECOND)
    assert (done.provisioning_state, done.image_version) == ("Succeeded", OLD)
    broken = STEADY.observe(restoring, (FaultRule(FaultKind.ROLLBACK_FAILS),), T0 + 8 * MINUTE)
    assert broken.provisioning_state == "Failed"


def test_b2_rules_apply_only_to_their_image_version() -> None:
    other = FaultRule(FaultKind.REIMAGE_FAILS, image_version="2099.01.01")
    assert STEADY.observe(REIMAGING, (other,), T0 + MINUTE).provisioning_state == "Succeeded"


def test_b2_share_selects_an_exact_count_the_same_on_every_call() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, share=0.3, name="flaky")
    vms = population(10)
    chosen = STEADY.select(rule, vms, "web10")
    assert len(chosen) == 3
    assert STEADY.select(rule, vms, "web10") == chosen
    other_seed = {frozenset(replace(STEADY, seed=s).select(rule, vms, "web10")) for s in range(10)}
    assert len(other_seed) > 1


def test_b2_selection_by_ids_zone_or_everything() -> None:
    vms = population(9)
    assert STEADY.select(
        FaultRule(FaultKind.NEVER_HEALTHY, instance_ids=frozenset({"1", "99"})), vms, "s"
    ) == {"1"}
    assert STEADY.select(FaultRule(FaultKind.NEVER_HEALTHY, zone="2"), vms, "s") == {"1", "4", "7"}
    assert len(STEADY.select(FaultRule(FaultKind.NEVER_HEALTHY), vms, "s")) == 9
    in_zone = STEADY.select(FaultRule(FaultKind.NEVER_HEALTHY, zone="1", share=0.5), vms, "s")
    assert len(in_zone) == 2 and in_zone <= {"0", "3", "6"}


def test_b2_disabled_rules_select_nothing() -> None:
    rule = FaultRule(FaultKind.NEVER_HEALTHY, enabled=False)
    assert STEADY.rules_by_instance([rule], population(3), "s") == {"0": (), "1": (), "2": ()}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"share": 1.5}, "share"),
        ({"seconds": -1}, "seconds"),
        ({"kind": FaultKind.HEALTHY_AFTER}, "healthy_after needs seconds"),
    ],
)
def test_b2_fault_rules_are_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRule(**{"kind": FaultKind.NEVER_HEALTHY, **changes})  # type: ignore[arg-type]
