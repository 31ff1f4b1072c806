"""A throw-away Rollwright for ``bench/live_latency.py`` and ``bench/screenshots.py``.

A fresh SQLite database in a temporary directory (or a fresh PostgreSQL database named by
``--database-url``: dropped and created), migrated and seeded with the demo fleet; a daphne
server and, when asked, a Celery worker as subprocesses; Redis (a database no one else is
connected to, flushed first) as broker and channel layer. Call ``configure()`` first: it sets
the environment Django reads.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REDIS_SERVER = "redis://127.0.0.1:6379"
PASSWORD = "rollwright-demo"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def configure(database_url: str | None, redis_url: str, time_scale: float) -> Path | None:
    """Point this process (and the subprocesses it starts) at a throw-away world."""
    scratch = None
    if database_url is None:
        scratch = Path(tempfile.mkdtemp(prefix="rollwright-bench-"))
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    elif database_url.startswith("postgres"):
        create_postgres_database(database_url)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "rollout.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ROLLWRIGHT_TIME_SCALE": str(time_scale),
            "DEBUG": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    import django
    import redis

    django.setup()
    redis.Redis.from_url(redis_url).flushdb()
    return scratch


def create_postgres_database(url: str) -> None:
    """A fresh PostgreSQL database at ``url`` (dropped first when it exists)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def idle_redis_database(server: str = REDIS_SERVER) -> str:
    """The URL of a Redis database no client is connected to (the highest of 1-11).

    Benchmarks and test suites of several people may share one Redis: each flushes and
    consumes its own database, so a busy one would steal (or lose) this run's tasks.
    """
    import redis

    busy = {int(client["db"]) for client in redis.Redis.from_url(server).client_list()}
    for number in range(11, 0, -1):
        if number not in busy:
            return f"{server}/{number}"
    raise RuntimeError(f"every Redis database of {server} has clients; pass --redis-url")


def prepare_database() -> None:
    """Migrate, seed the demo fleet and create the demo logins."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", reset=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("create_demo_operator", stdout=open(os.devnull, "w"))  # noqa: SIM115


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Stack:
    """daphne (and a Celery worker when ``worker``) on this process's environment.

    Their output goes to log files; a failure inside ``with Stack(...)`` prints their ends.
    """

    def __init__(self, *, worker: bool, concurrency: int = 4) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = Path(tempfile.mkdtemp(prefix="rollwright-bench-logs-"))
        self.processes: list[subprocess.Popen[bytes]] = []
        web = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "rollout.asgi:application"]
        self.processes.append(self._spawn("daphne", web))
        if worker:
            celery = [
                *("-m", "celery", "-A", "rollout", "worker", "--pool=threads"),
                f"--concurrency={concurrency}",
                *("--loglevel=WARNING", "--without-heartbeat", "--without-gossip"),
                "--without-mingle",
            ]
            self.processes.append(self._spawn("worker", celery))
        self._wait_for_web()

    def _spawn(self, name: str, arguments: list[str]) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "wb") as log:
            return subprocess.Popen(
                [sys.executable, *arguments],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_for_web(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"daphne did not answer within 30 s\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        """The end of every subprocess's log, for a failure's message."""
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close()
        if kind is not None:
            print(self.tail(), file=sys.stderr)
        shutil.rmtree(self.logs, ignore_errors=True)


def session_cookie(username: str) -> str:
    """A logged-in session for ``username``, as a Cookie header value."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def log_in(browser: Any, stack: Stack, username: str, viewport: tuple[int, int]) -> Any:
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"{stack.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/")
    return page


def remove(scratch: Path | None) -> None:
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":  # `make bench` runs every bench/*.py: this one is not a benchmark
    print("bench/live_stack.py is the helper of bench/live_latency.py and bench/screenshots.py.")
