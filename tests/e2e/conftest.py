"""The browser tests' world: a real daphne server and a real Celery worker on the test
database, Redis for the broker and the channel layer, and Debian's headless Chromium, all
started by the harness in tests/support.

The servers start once per module (a few seconds); each test seeds the demo fleet and its
users, and leaves the database clean (``transaction=True``). Time runs 200 times faster than
Azure's, so the 5-minute health wait lasts 1.5 s. The servers' Redis database is
``ROLLWRIGHT_E2E_REDIS_URL`` when set, else an idle one claimed for the module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollout.models import ScaleSet
from tests.support import (
    RedisUnavailable,
    Stack,
    chromium_available,
    chromium_launch_options,
    claim_redis_database,
    terminate_other_sessions,
)
from tests.support import log_in as log_in_as
from tests.support.fleets import demo_fleet

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIME_SCALE = 200.0
PASSWORD = "rollwright-e2e"


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it
# is open, and pytest-asyncio cannot run the (async) consumer tests that follow under it.
@pytest.fixture(scope="module")
def stack(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """daphne and a worker (4 threads) with the Redis channel layer (tests/e2e/settings.py);
    ``stack.web.restart()`` is a server restart."""
    if not chromium_available():
        pytest.skip("no /usr/bin/chromium (make test installs Debian's)")
    try:
        redis = claim_redis_database(env_var="ROLLWRIGHT_E2E_REDIS_URL")
    except RedisUnavailable as error:
        pytest.skip(str(error))
    logs: Path = tmp_path_factory.mktemp("e2e-logs")
    with redis:
        with django_db_blocker.unblock():
            started = Stack.on_test_database(
                logs, redis_url=redis.url, time_scale=TIME_SCALE, settings="tests.e2e.settings"
            )
        with started:
            started.start(web=True, workers=1, concurrency=4)
            yield started
        with django_db_blocker.unblock():
            terminate_other_sessions()


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**chromium_launch_options())
        yield launched
        launched.close()


@pytest.fixture
def fleet(stack: Stack, transactional_db: Any) -> dict[str, ScaleSet]:
    """The demo fleet and its two logins, committed for the servers to see."""
    return demo_fleet(password=PASSWORD)


def log_in(browser: Any, stack: Stack, username: str) -> Any:
    """A fresh browser context, logged in through the login page; returns its page."""
    return log_in_as(browser, stack.url, username, PASSWORD, timeout_ms=15_000)
