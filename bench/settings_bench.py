"""Settings of ``bench/rollout_overhead.py``: the product's, plus the simulation timings.

``rollout.settings`` reads everything else from the environment (DEBUG, DATABASE_URL,
REDIS_URL, ROLLWRIGHT_TIME_SCALE); the simulated provider's timings are a Django setting only,
so the benchmark passes them, to itself and to its Celery worker, as JSON in
``ROLLWRIGHT_BENCH_TIMINGS`` (BehaviourModel keyword arguments, e.g. ``{"jitter": 0}``).
``ROLLWRIGHT_BENCH_CHANNELS=memory`` swaps the Redis channel layer for the in-memory one. The
worker logs each task's runtime (``celery.app.trace`` at INFO), which the product keeps quiet:
figures 2 and 4 read them from its log.
Use it as ``DJANGO_SETTINGS_MODULE=bench.settings_bench`` with the repository on PYTHONPATH.
"""

if __name__ == "__main__":  # `make bench` runs every bench/*.py: this one is not a benchmark
    print("bench/settings_bench.py holds the settings of bench/rollout_overhead.py.")
    raise SystemExit(0)

import json
import os
from typing import Any, cast

from rollout.settings import *  # noqa: F403
from rollout.settings import LOGGING

ROLLWRIGHT_SIMULATION_TIMINGS: dict[str, Any] = json.loads(
    os.environ.get("ROLLWRIGHT_BENCH_TIMINGS", "{}")
)
if os.environ.get("ROLLWRIGHT_BENCH_CHANNELS") == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
_loggers = cast(dict[str, Any], LOGGING["loggers"])
LOGGING = {**LOGGING, "loggers": {**_loggers, "celery.app.trace": {"level": "INFO"}}}
