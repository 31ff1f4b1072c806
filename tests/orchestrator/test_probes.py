from __future__ import annotations

import pytest

from orchestrator.model import AppHealthState
from orchestrator.probes import (
    AppHealthSettings,
    AppProbeProtocol,
    app_health_state,
    classify_app_probe,
    probe_verdict,
)

HEALTHY, UNHEALTHY = AppHealthState.HEALTHY, AppHealthState.UNHEALTHY
UNKNOWN, INITIALIZING = AppHealthState.UNKNOWN, AppHealthState.INITIALIZING
HTTP, TCP = AppProbeProtocol.HTTP, AppProbeProtocol.TCP


def test_probe_threshold_needs_consecutive_failures_to_mark_down() -> None:
    assert probe_verdict([True, False, False], 3) is True
    assert probe_verdict([True, False, False, False], 3) is False
    assert probe_verdict([True, False, True, False, False], 3) is True


def test_probe_threshold_needs_the_same_count_to_come_back() -> None:
    assert probe_verdict([True, True], 2, initial=False) is True
    assert probe_verdict([True, False, True], 2, initial=False) is False


def test_probe_marks_a_fresh_instance_up_after_one_success() -> None:
    assert probe_verdict([], 2) is None
    assert probe_verdict([False], 2) is None
    assert probe_verdict([False, True], 2) is True


def test_probe_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="probeThreshold"):
        probe_verdict([True], 0)


def test_rich_app_health_starts_initializing_until_number_of_probes_agree() -> None:
    settings = AppHealthSettings(HTTP, number_of_probes=3, grace_period=600)
    assert app_health_state([], settings, 0) is INITIALIZING
    assert app_health_state([HEALTHY, HEALTHY], settings, 10) is INITIALIZING
    assert app_health_state([HEALTHY] * 3, settings, 15) is HEALTHY
    assert app_health_state([UNHEALTHY] * 3, settings, 15) is UNHEALTHY


def test_rich_app_health_changes_state_after_number_of_probes_identical_results() -> None:
    settings = AppHealthSettings(HTTP, number_of_probes=2, grace_period=600)
    assert app_health_state([HEALTHY, HEALTHY, UNHEALTHY], settings, 15) is HEALTHY
    assert app_health_state([HEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY], settings, 20) is UNHEALTHY
    assert app_health_state([HEALTHY, HEALTHY, UNKNOWN, UNKNOWN], settings, 20) is UNKNOWN


def test_rich_app_health_grace_period_expiry_is_unknown_for_http_and_unhealthy_for_tcp() -> None:
    http = AppHealthSettings(HTTP, number_of_probes=2, grace_period=10)
    tcp = AppHealthSettings(TCP, number_of_probes=2, grace_period=10)
    assert app_health_state([UNKNOWN, UNKNOWN], http, 10) is UNKNOWN
    assert app_health_state([HEALTHY], http, 9) is INITIALIZING
    assert app_health_state([HEALTHY], http, 10) is UNKNOWN
    assert app_health_state([HEALTHY], tcp, 10) is UNHEALTHY
    # After the grace period, results move the state on as usual.
    assert app_health_state([UNKNOWN, UNKNOWN, HEALTHY, HEALTHY], http, 20) is HEALTHY


def test_grace_period_defaults_to_interval_times_number_of_probes() -> None:
    assert (
        AppHealthSettings(HTTP, interval_in_seconds=10, number_of_probes=3).effective_grace_period
        == 30
    )


def test_binary_app_health_reports_only_healthy_or_unhealthy() -> None:
    binary = AppHealthSettings(HTTP, rich=False)
    assert app_health_state([], binary, 0) is UNHEALTHY
    assert app_health_state([HEALTHY], binary, 5) is HEALTHY
    assert classify_app_probe(binary, status_code=200) is HEALTHY
    assert classify_app_probe(binary, status_code=204) is UNHEALTHY
    assert classify_app_probe(binary, status_code=None) is UNHEALTHY


def test_rich_http_probe_reads_the_application_health_state() -> None:
    rich = AppHealthSettings(HTTP)
    assert classify_app_probe(rich, status_code=204, body_state="Healthy") is HEALTHY
    assert classify_app_probe(rich, status_code=200, body_state="Unhealthy") is UNHEALTHY
    assert classify_app_probe(rich, status_code=200, body_state="Busy") is UNKNOWN
    assert classify_app_probe(rich, status_code=500, body_state="Healthy") is UNKNOWN
    assert classify_app_probe(rich, status_code=None) is UNKNOWN


def test_tcp_probe_is_a_handshake() -> None:
    tcp = AppHealthSettings(TCP)
    assert classify_app_probe(tcp, connected=True) is HEALTHY
    assert classify_app_probe(tcp, connected=False) is UNHEALTHY


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"interval_in_seconds": 4}, "intervalInSeconds"),
        ({"interval_in_seconds": 61}, "intervalInSeconds"),
        ({"number_of_probes": 0}, "numberOfProbes"),
        ({"number_of_probes": 25}, "numberOfProbes"),
        ({"grace_period": 14401}, "gracePeriod"),
    ],
)
def test_app_health_settings_are_range_checked(changes: dict[str, int], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        AppHealthSettings(HTTP, **changes)  # type: ignore[arg-type]
