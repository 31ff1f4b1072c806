"""A whole Rollwright as subprocesses: ``Stack`` holds a web server, workers and beat that share
one environment (settings, database, Redis, time scale) and one log directory."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from tests.support.databases import database_url
from tests.support.processes import ROOT, Process, stop_all
from tests.support.servers import Beat, Server, Tls, Worker


def environment(
    *,
    settings: str,
    database_url: str,
    redis_url: str,
    time_scale: float = 1.0,
    debug: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables a Rollwright process reads, for a stack and for this process alike.

    The Redis URL goes to both ``REDIS_URL`` (the product's settings) and
    ``ROLLWRIGHT_TEST_REDIS_URL`` (the test settings'), so any settings module uses it.
    """
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ROLLWRIGHT_TEST_REDIS_URL": redis_url,
        "ROLLWRIGHT_TIME_SCALE": f"{time_scale:g}",
        "DEBUG": "1" if debug else "0",
        "PYTHONPATH": python_path,
        **(extra or {}),
    }


def configure_django(env: Mapping[str, str]) -> None:
    """Put ``env`` into this process's environment and set Django up on it (a benchmark's
    driver shares the database and Redis of the stack it starts)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Stack:
    """The processes of one Rollwright: ``web`` (daphne), ``workers`` and ``beat``.

    ``start()`` spawns what it is asked for and waits until each is ready; ``add_worker()`` and
    ``add_web()`` add more later (a load bench's W workers, a fault test's replacement). Closing
    stops every process (SIGTERM to each process group, SIGKILL after a grace period). Leaving
    ``with`` on an exception prints the end of every log to stderr; a log directory the stack
    made itself is removed afterwards unless ``keep_logs`` or something failed.

        with Stack(environment(...)) as stack:
            stack.start(web=True, workers=2)
            stack.workers[0].kill()          # kill -9
            stack.add_worker()               # a replacement
            stack.web.restart(down_for=1.0)  # same port
    """

    def __init__(
        self, env: Mapping[str, str], *, logs: Path | None = None, keep_logs: bool = False
    ) -> None:
        self.env = dict(env)
        self._own_logs = logs is None
        self.logs = logs or Path(tempfile.mkdtemp(prefix="rollwright-logs-"))
        self.logs.mkdir(parents=True, exist_ok=True)
        self.keep_logs = keep_logs
        self.web: Server | None = None
        self.workers: list[Worker] = []
        self.beat: Beat | None = None

    @classmethod
    def on_test_database(
        cls,
        logs: Path,
        *,
        redis_url: str,
        time_scale: float,
        settings: str = "tests.settings",
        extra: Mapping[str, str] | None = None,
    ) -> Stack:
        """A stack on the test database Django is connected to (the tests commit what the
        processes should see: ``django_db(transaction=True)``)."""
        env = environment(
            settings=settings,
            database_url=database_url(),
            redis_url=redis_url,
            time_scale=time_scale,
            extra=extra,
        )
        return cls(env, logs=logs)

    def __repr__(self) -> str:
        return f"<Stack {self.processes}>"

    @property
    def url(self) -> str:
        """The web server's base URL."""
        return self._web().url

    @property
    def port(self) -> int:
        """The web server's port."""
        return self._web().port

    def _web(self) -> Server:
        if self.web is None:
            raise RuntimeError("this stack has no web server: start(web=True) or add_web()")
        return self.web

    @property
    def processes(self) -> list[Process]:
        started: list[Process | None] = [self.web, *self.workers, self.beat]
        return [process for process in started if process is not None]

    def start(
        self,
        *,
        web: bool = True,
        workers: int = 1,
        beat: bool = False,
        pool: str = "threads",
        concurrency: int = 2,
        tls: Tls | None = None,
    ) -> Stack:
        """Spawn the web server (over https with ``tls``), ``workers`` workers and beat
        together, then wait for each."""
        spawned: list[Process] = []
        if web:
            spawned.append(self.add_web(wait=False, tls=tls))
        for _ in range(workers):
            spawned.append(self.add_worker(wait=False, pool=pool, concurrency=concurrency))
        if beat:
            spawned.append(self.add_beat(wait=False))
        try:
            for process in spawned:
                process.wait_ready()
        except Exception:
            self.close()
            raise
        return self

    def add_web(
        self, *, wait: bool = True, port: int | None = None, tls: Tls | None = None
    ) -> Server:
        if self.web is not None:
            raise RuntimeError("this stack has a web server already")
        self.web = Server(self.logs, env=self.env, port=port, tls=tls)
        self.web.start(wait=wait)
        return self.web

    def add_worker(
        self,
        *,
        wait: bool = True,
        pool: str = "threads",
        concurrency: int = 2,
        queues: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
    ) -> Worker:
        """One more worker, ``worker<n>``; ``env`` overrides some of the stack's variables."""
        worker = Worker(
            self.logs,
            env={**self.env, **(env or {})},
            name=f"worker{len(self.workers) + 1}",
            pool=pool,
            concurrency=concurrency,
            queues=queues,
        )
        self.workers.append(worker)
        worker.start(wait=wait)
        return worker

    def add_beat(self, *, wait: bool = True) -> Beat:
        if self.beat is not None:
            raise RuntimeError("this stack has beat already")
        self.beat = Beat(self.logs, env=self.env)
        self.beat.start(wait=wait)
        return self.beat

    def tail(self, lines: int = 40) -> str:
        """The end of every process's log, for a failure's message."""
        return "\n".join(process.tail(lines) for process in self.processes)

    def close(self) -> None:
        """Stop every process: SIGTERM to every group at once, then wait for each (SIGKILL
        after the grace period)."""
        stop_all(self.processes)

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        if kind is not None and not issubclass(kind, KeyboardInterrupt):
            print(self.tail(), file=sys.stderr)
        if self._own_logs and not self.keep_logs and kind is None:
            shutil.rmtree(self.logs, ignore_errors=True)
