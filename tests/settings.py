"""Test settings: the product's settings, differing only where tests need it (STYLE 2.6).

- Celery talks to a Redis database of its own (``ROLLWRIGHT_TEST_REDIS_URL``, default db 14),
  so a developer's running worker never picks up a test's tasks, nor the reverse.
- The channel layer is in memory unless a test starts servers of its own.
- SQLite tests use a file, so worker and server subprocesses can share the test database.
- A fast password hasher; ``testserver`` (the test client's host) allowed; plain HTTP.
"""

from __future__ import annotations

import os

from rollout.settings import *  # noqa: F403
from rollout.settings import ALLOWED_HOSTS, DATABASES, VAR_DIR, redis_channel_layer

TEST_REDIS_URL = os.environ.get("ROLLWRIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
REDIS_URL = TEST_REDIS_URL
CELERY_BROKER_URL = TEST_REDIS_URL
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if os.environ.get("ROLLWRIGHT_TEST_REDIS_CHANNELS") == "1":
    CHANNEL_LAYERS = {"default": redis_channel_layer(TEST_REDIS_URL)}
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # Django's test client
# The test client and the test servers speak plain HTTP (tests/rollout/wiring/test_production.py
# runs the production settings themselves).
ROLLWRIGHT_HTTPS = "off"
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # One file per test run, so concurrent runs never share (or delete) each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_rollwright_{os.getpid()}.sqlite3")}
