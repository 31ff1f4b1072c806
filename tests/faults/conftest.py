"""The fault suite: real workers, beat and daphne on the test database (PostgreSQL only) and on
a redis-server of the test's own, which a test may kill and restart.

Every test here is marked ``faults`` (and ``integration``); the longest are also ``slow``
(``make test-quick`` leaves those out). The figures each test asserts are in its docstring.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.support import RedisServer, Stack, use_broker
from tests.support.fleets import Site

# Time in the fault tests' processes: a reimage takes 0.5 s, the health wait 0.17 s.
FAULT_TIME_SCALE = 120.0
# Beat's sweeper looks every second: a wake-up lost with a killed worker costs about a second.
SWEEP_SECONDS = 1.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        request.getfixturevalue("transactional_db")
    if connection.vendor != "postgresql":
        pytest.skip(
            "the fault suite needs PostgreSQL (DATABASE_URL=postgresql://...): SQLite has no row "
            "locks, no sessions to terminate and one writer at a time"
        )


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port (kill it, restart it)."""
    if not RedisServer.available():
        pytest.skip("no redis-server on PATH (apt-get install redis-server)")
    with RedisServer(tmp_path / "logs") as server:
        yield server


@pytest.fixture
def fault_stack(settings: Any, tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    """Processes on the test database and ``redis_server`` (nothing started yet): Celery and
    the channel layer on that Redis, time ``FAULT_TIME_SCALE`` times faster, a 1 s sweep.
    This process queues its wake-ups there too."""
    settings.ROLLWRIGHT_TIME_SCALE = FAULT_TIME_SCALE
    settings.ROLLWRIGHT_SWEEP_SECONDS = SWEEP_SECONDS
    stack = Stack.on_test_database(
        tmp_path / "logs",
        redis_url=redis_server.url(0),
        time_scale=FAULT_TIME_SCALE,
        extra={
            "ROLLWRIGHT_TEST_REDIS_CHANNELS": "1",
            "ROLLWRIGHT_SWEEP_SECONDS": f"{SWEEP_SECONDS:g}",
        },
    )
    with stack, use_broker(redis_server.url(0)):
        yield stack


@pytest.fixture
def site(transactional_db: Any) -> Site:
    """westeurope with the Ubuntu SKU's OLD and NEW versions, a group and a probe."""
    return Site.build(group="rg-faults")
