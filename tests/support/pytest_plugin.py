"""The harness's pytest side (loaded by tests/conftest.py).

* A failing test that used a ``Stack`` or a ``Process`` (as a fixture) gets the end of each
  process's log in its report, next to the captured output.
* ``worker_stack`` / ``worker``: a real Celery worker on the test database and the test broker,
  for the integration tests; add more with ``worker_stack.add_worker()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.brokers import flush, redis_answers
from tests.support.processes import Process
from tests.support.servers import Worker
from tests.support.stack import Stack

# Time in the integration tests' workers and in the tests: a reimage takes 0.5 s, health 0.17 s.
INTEGRATION_TIME_SCALE = 120.0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:
        for name, tail in _log_tails(getattr(item, "funcargs", {})):
            report.sections.append((f"log of {name}", tail))
    return report


def _log_tails(funcargs: dict[str, Any]) -> list[tuple[str, str]]:
    tails: list[tuple[str, str]] = []
    seen: set[int] = set()
    for value in funcargs.values():
        processes = value.processes if isinstance(value, Stack) else [value]
        for process in processes:
            if isinstance(process, Process) and id(process) not in seen:
                seen.add(id(process))
                tails.append((process.name, process.tail(60)))
    return tails


@pytest.fixture
def worker_stack(settings: Any, tmp_path: Path) -> Iterator[Stack]:
    """One Celery worker (2 threads) on the test database and the test broker (flushed first),
    with time ``INTEGRATION_TIME_SCALE`` times faster in the worker and in the test. Skips when
    Redis does not answer."""
    broker = settings.CELERY_BROKER_URL
    if not redis_answers(broker):
        pytest.skip(f"Redis does not answer at the test broker URL {broker}")
    settings.ROLLWRIGHT_TIME_SCALE = INTEGRATION_TIME_SCALE
    flush(broker)
    stack = Stack.on_test_database(
        tmp_path / "logs", redis_url=broker, time_scale=INTEGRATION_TIME_SCALE
    )
    with stack:
        stack.start(web=False, workers=1)
        yield stack


@pytest.fixture
def worker(worker_stack: Stack) -> Worker:
    """``worker_stack``'s first worker: ``worker.kill()`` is kill -9."""
    return worker_stack.workers[0]
