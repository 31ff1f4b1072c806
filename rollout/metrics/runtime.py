"""Measurements taken inside processes (G3): engine steps, queue lag, websocket clients.

prometheus-client's multiprocess mode writes them to ``PROMETHEUS_MULTIPROC_DIR`` (the settings
set it before the library is imported), one file per process, and ``/metrics`` sums them: a
worker's step durations are scraped from the web server. The library is imported on first use,
after the settings, so the mode is always on.
"""

from __future__ import annotations

import functools
from typing import Any

# Engine steps take milliseconds; a step behind a long lock or a slow provider, seconds.
STEP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Queue lag: a wake-up a few ms late is normal; the sweeper catches lost ones within seconds.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@functools.cache
def _instruments() -> dict[str, Any]:
    from django.conf import settings
    from prometheus_client import Gauge, Histogram

    settings.PROMETHEUS_MULTIPROC_DIR  # noqa: B018  # the settings (and the mode) first
    return {
        "step": Histogram(
            "rollwright_engine_step_duration_seconds",
            "Time one engine step takes: snapshot, decision, applied and committed.",
            buckets=STEP_BUCKETS,
        ),
        "lag": Histogram(
            "rollwright_engine_queue_lag_seconds",
            "Time from a step's due time (the operation's next look) to the step's start.",
            buckets=LAG_BUCKETS,
        ),
        "websockets": Gauge(
            "rollwright_websocket_clients",
            "Live pages' websockets open now.",
            ["page"],
            multiprocess_mode="livesum",
        ),
    }


def observe_step(seconds: float) -> None:
    _instruments()["step"].observe(seconds)


def observe_queue_lag(seconds: float) -> None:
    _instruments()["lag"].observe(max(seconds, 0.0))


def websocket_opened(page: str) -> None:
    _instruments()["websockets"].labels(page=page).inc()


def websocket_closed(page: str) -> None:
    _instruments()["websockets"].labels(page=page).dec()
