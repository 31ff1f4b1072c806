"""Health signals from raw probe results, for an edge that probes real endpoints.

* `probe_verdict`: a load balancer probe's verdict with probeThreshold semantics.
* `classify_app_probe` and `app_health_state`: the Application Health extension, binary (v1.0)
  and Rich states (v2.0), with numberOfProbes and gracePeriod.

The engine itself only reads the results (`Observation.probe_healthy`, `.app_health`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from orchestrator.model import AppHealthState


def probe_verdict(
    results: Sequence[bool], threshold: int, *, initial: bool | None = None
) -> bool | None:
    """A load balancer probe's verdict after `results` (oldest first), or None if unknown.

    The verdict changes after `threshold` consecutive identical results (probeThreshold). From
    unknown (after boot), one success marks the instance up, as Azure does.

    >>> probe_verdict([True], 3), probe_verdict([False, False], 3), probe_verdict([False] * 3, 3)
    (True, None, False)
    >>> probe_verdict([False, False, True], 2, initial=True)
    False
    """
    if threshold < 1:
        raise ValueError(f"probeThreshold must be at least 1, got {threshold}")
    verdict = initial
    run_value: bool | None = None
    run_length = 0
    for result in results:
        run_length = run_length + 1 if result == run_value else 1
        run_value = result
        if run_length >= threshold or (verdict is None and result):
            verdict = result
    return verdict


class AppProbeProtocol(StrEnum):
    HTTP = "http"
    HTTPS = "https"
    TCP = "tcp"


@dataclass(frozen=True)
class AppHealthSettings:
    """The Application Health extension's settings (defaults and ranges as documented)."""

    protocol: AppProbeProtocol
    interval_in_seconds: int = 5
    number_of_probes: int = 1
    grace_period: int | None = None
    rich: bool = True  # typeHandlerVersion 2.0; 1.0 is binary

    def __post_init__(self) -> None:
        if not 5 <= self.interval_in_seconds <= 60:
            raise ValueError(f"intervalInSeconds must be 5 to 60, got {self.interval_in_seconds}")
        if not 1 <= self.number_of_probes <= 24:
            raise ValueError(f"numberOfProbes must be 1 to 24, got {self.number_of_probes}")
        if self.grace_period is not None and not 5 <= self.grace_period <= 14400:
            raise ValueError(f"gracePeriod must be 5 to 14400, got {self.grace_period}")

    @property
    def effective_grace_period(self) -> int:
        """gracePeriod defaults to intervalInSeconds × numberOfProbes."""
        if self.grace_period is not None:
            return self.grace_period
        return self.interval_in_seconds * self.number_of_probes


def classify_app_probe(
    settings: AppHealthSettings,
    *,
    status_code: int | None = None,
    body_state: str | None = None,
    connected: bool = False,
) -> AppHealthState:
    """One probe of the local endpoint, as the extension reads it.

    Binary: http(s) is Healthy only on 200, tcp on a completed handshake. Rich http(s): a 2xx
    with `ApplicationHealthState` Healthy or Unhealthy says so; anything else (non-2xx, timeout
    as `status_code=None`, missing or invalid state) is Unknown. Rich tcp is as binary.
    """
    if settings.protocol is AppProbeProtocol.TCP:
        return AppHealthState.HEALTHY if connected else AppHealthState.UNHEALTHY
    if not settings.rich:
        return AppHealthState.HEALTHY if status_code == 200 else AppHealthState.UNHEALTHY
    if status_code is not None and 200 <= status_code < 300:
        if body_state == "Healthy":
            return AppHealthState.HEALTHY
        if body_state == "Unhealthy":
            return AppHealthState.UNHEALTHY
    return AppHealthState.UNKNOWN


def app_health_state(
    results: Sequence[AppHealthState], settings: AppHealthSettings, elapsed_seconds: float
) -> AppHealthState:
    """The state the extension reports `elapsed_seconds` after it started.

    `results` are its probes, oldest first, one per intervalInSeconds from the start. A state
    changes after numberOfProbes identical results in a row. Rich: the extension starts
    Initializing and leaves it on numberOfProbes identical Healthy or Unhealthy results, or when
    gracePeriod expires (http(s): Unknown, tcp: Unhealthy). Binary starts from its first result
    (Unhealthy before it: no 200 yet).

    >>> http = AppHealthSettings(AppProbeProtocol.HTTP, number_of_probes=2, grace_period=30)
    >>> H, U = AppHealthState.HEALTHY, AppHealthState.UNKNOWN
    >>> app_health_state([H], http, 5), app_health_state([H, H], http, 10)
    (<AppHealthState.INITIALIZING: 'Initializing'>, <AppHealthState.HEALTHY: 'Healthy'>)
    >>> app_health_state([U] * 6, http, 30)
    <AppHealthState.UNKNOWN: 'Unknown'>
    """
    needed = settings.number_of_probes
    grace = settings.effective_grace_period
    expired = AppHealthState.UNHEALTHY
    if settings.protocol is not AppProbeProtocol.TCP:
        expired = AppHealthState.UNKNOWN
    state = AppHealthState.INITIALIZING if settings.rich else None
    run_value: AppHealthState | None = None
    run_length = 0
    for number, result in enumerate(results, start=1):
        if state is AppHealthState.INITIALIZING and number * settings.interval_in_seconds > grace:
            state = expired
        run_length = run_length + 1 if result == run_value else 1
        run_value = result
        if state is None:
            state = result
        elif state is AppHealthState.INITIALIZING:
            settled = result in (AppHealthState.HEALTHY, AppHealthState.UNHEALTHY)
            if settled and run_length >= needed:
                state = result
        elif run_length >= needed:
            state = result
    if state is AppHealthState.INITIALIZING and elapsed_seconds >= grace:
        state = expired
    return AppHealthState.UNHEALTHY if state is None else state
