from __future__ import annotations

import pytest
from builders import MINUTE, T0, State, vm, web10, with_vm

from orchestrator.health import (
    HealthStatus,
    exceeds,
    instance_health,
    unhealthy_share,
    unhealthy_upgraded_share,
)
from orchestrator.model import AppHealthState, HealthSource

NONE = HealthSource.NONE
PROBE = HealthSource.LOAD_BALANCER_PROBE
EXTENSION = HealthSource.APPLICATION_HEALTH_EXTENSION


def test_u8_healthy_only_when_running_and_every_extension_succeeded() -> None:
    assert instance_health(vm("0", probe=None), NONE, T0).is_healthy
    failed_extension = vm("0", extensions=(("A", "Succeeded"), ("B", "Failed")))
    assert instance_health(failed_extension, NONE, T0).reason == "extension B Failed"
    updating = vm("0", provisioning="Updating")
    assert instance_health(updating, NONE, T0).reason == "provisioning Updating"


@pytest.mark.parametrize("source", list(HealthSource))
@pytest.mark.parametrize("power", ["stopped", "deallocated", "starting"])
def test_u8_a_vm_that_is_not_running_is_unhealthy_whatever_the_source(
    source: HealthSource, power: str
) -> None:
    health = instance_health(vm("0", power=power, app=AppHealthState.HEALTHY), source, T0)
    assert health.status is HealthStatus.UNHEALTHY
    assert health.reason == f"power state {power}"


def test_u8_default_signal_ignores_the_probe() -> None:
    assert instance_health(vm("0", probe=False), NONE, T0).is_healthy


def test_probe_verdict_decides_health() -> None:
    assert instance_health(vm("0", probe=True), PROBE, T0).is_healthy
    assert instance_health(vm("0", probe=False), PROBE, T0).reason == "probe unhealthy"


def test_probe_without_result_is_initializing_within_the_wait_then_unhealthy() -> None:
    waiting = vm("0", probe=None, state=State.WAITING_FOR_HEALTH, deadline=T0 + 5 * MINUTE)
    assert instance_health(waiting, PROBE, T0).status is HealthStatus.INITIALIZING
    after = instance_health(waiting, PROBE, T0 + 5 * MINUTE)
    assert (after.status, after.reason) == (HealthStatus.UNHEALTHY, "probe has no result")
    assert instance_health(vm("0", probe=None), PROBE, T0).status is HealthStatus.UNHEALTHY


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (AppHealthState.HEALTHY, HealthStatus.HEALTHY),
        (AppHealthState.INITIALIZING, HealthStatus.INITIALIZING),
        (AppHealthState.UNHEALTHY, HealthStatus.UNHEALTHY),
        (AppHealthState.UNKNOWN, HealthStatus.UNHEALTHY),
    ],
)
def test_app_health_states_map_to_rolling_upgrade_health(
    state: AppHealthState, status: HealthStatus
) -> None:
    assert instance_health(vm("0", app=state), EXTENSION, T0).status is status


def test_app_health_without_a_report_waits_like_a_probe() -> None:
    waiting = vm("0", app=None, state=State.WAITING_FOR_HEALTH, deadline=T0 + MINUTE)
    assert instance_health(waiting, EXTENSION, T0).status is HealthStatus.INITIALIZING
    assert instance_health(waiting, EXTENSION, T0 + MINUTE).status is HealthStatus.UNHEALTHY


def test_u1_u7_threshold_means_strictly_more_than() -> None:
    assert exceeds(2, 10, 20) is False
    assert exceeds(3, 10, 20) is True
    assert exceeds(1, 5, 20) is False
    assert exceeds(1, 4, 20) is True
    assert exceeds(0, 0, 20) is False
    assert exceeds(1, 1, 100) is False
    assert exceeds(1, 100, 0) is True


def test_u7_share_counts_every_instance_of_the_scale_set() -> None:
    instances = web10()
    for instance_id in ("1", "2", "3"):
        instances = with_vm(instances, instance_id, probe=False)
    share = unhealthy_share(instances, PROBE, T0, 20)
    assert (share.unhealthy, share.total, share.exceeds) == (3, 10, True)
    assert share.describe() == "3 of 10 instances unhealthy (30% > 20% allowed)"


def test_u7_initializing_instances_count_as_not_healthy() -> None:
    instances = with_vm(web10(), "0", probe=None, app=AppHealthState.INITIALIZING)
    assert unhealthy_share(instances, EXTENSION, T0, 20).unhealthy == 10
    assert unhealthy_share(web10(app=AppHealthState.HEALTHY), EXTENSION, T0, 20).unhealthy == 0


def test_u5_counts_failed_rolled_back_and_rollback_failed_as_unhealthy_upgraded() -> None:
    instances = [
        vm("0", state=State.SUCCEEDED),
        vm("1", state=State.SUCCEEDED, probe=False),
        vm("2", state=State.FAILED),
        vm("3", state=State.ROLLED_BACK, probe=True),
        vm("4", state=State.ROLLBACK_FAILED),
        vm("5", state=State.PENDING, probe=False),
        vm("6", state=State.SKIPPED, probe=False),
        vm("7", state=State.WAITING_FOR_HEALTH, probe=False),
    ]
    share = unhealthy_upgraded_share(instances, PROBE, T0, 20)
    assert (share.unhealthy, share.total) == (4, 5)
    assert share.describe() == "4 of 5 upgraded instances unhealthy (80% > 20% allowed)"


def test_u11_figures_show_fractions_and_the_allowed_side() -> None:
    instances = with_vm([vm(str(n)) for n in range(3)], "0", probe=False)
    share = unhealthy_share(instances, PROBE, T0, 50)
    assert share.describe() == "1 of 3 instances unhealthy (33.33% ≤ 50% allowed)"
