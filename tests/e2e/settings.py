"""Settings of the servers the browser tests start: the test settings, with the Redis channel
layer (so a worker's events reach the web server's websockets) on a Redis database of their
own (``ROLLWRIGHT_TEST_REDIS_URL``, set by tests/e2e/conftest.py)."""

from __future__ import annotations

from rollout.settings import redis_channel_layer
from tests.settings import *  # noqa: F403
from tests.settings import TEST_REDIS_URL

CHANNEL_LAYERS = {"default": redis_channel_layer(TEST_REDIS_URL)}
