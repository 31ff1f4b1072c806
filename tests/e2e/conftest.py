"""The browser tests' world: a real daphne server and a real Celery worker on the test
database, Redis for the broker and the channel layer, and Debian's headless Chromium.

The servers start once per session (a few seconds); each test seeds the demo fleet and its
users, and leaves the database clean (``transaction=True``). Time runs 200 times faster than
Azure's, so the 5-minute health wait lasts 1.5 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.contrib.auth.models import User
from django.db import connection

from rollout.demo import fleet as demo
from rollout.management.commands.create_demo_operator import operators_group
from rollout.models import ScaleSet
from tests.support import REDIS_SERVER, database_url, free_port, idle_redis_database

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIME_SCALE = "200"
PASSWORD = "rollwright-e2e"


class Stack:
    """The web server and the worker, as subprocesses; ``restart_web`` is a server restart."""

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
            "DATABASE_URL": database_url(),
            "ROLLWRIGHT_TEST_REDIS_URL": redis_url,
            "ROLLWRIGHT_TIME_SCALE": TIME_SCALE,
            "DEBUG": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.worker = self._spawn(
            "-m", "celery", "-A", "rollout", "worker", "--pool=threads", "--concurrency=4",
            "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle",
        )  # fmt: skip
        self.web = self._start_web()

    def _spawn(self, *arguments: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, *arguments],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _start_web(self) -> subprocess.Popen[bytes]:
        web = self._spawn(
            "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "rollout.asgi:application"
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return web
            except OSError:
                time.sleep(0.1)
        stop(web)
        raise RuntimeError("daphne did not answer within 20 s")

    def restart_web(self, down_for: float = 0.5) -> None:
        stop(self.web)
        time.sleep(down_for)
        self.web = self._start_web()

    def close(self) -> None:
        stop(self.web)
        stop(self.worker)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it
# is open, and pytest-asyncio cannot run the (async) consumer tests that follow under it.
@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("no /usr/bin/chromium (make test installs Debian's)")
    try:
        redis_url = idle_redis_database("ROLLWRIGHT_E2E_REDIS_URL")
        redis.Redis.from_url(redis_url, socket_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip(f"Redis does not answer at {REDIS_SERVER}")
    with django_db_blocker.unblock():
        started = Stack(redis_url)
    try:
        yield started
    finally:
        started.close()
        with django_db_blocker.unblock():
            disconnect_others()


def disconnect_others() -> None:
    """PostgreSQL ends a stopped server's sessions a moment later; the test database can only
    be dropped once they are gone."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def fleet(stack: Stack, transactional_db: Any) -> dict[str, ScaleSet]:
    """The demo fleet and its two logins, committed for the servers to see."""
    demo.seed()
    operator = User.objects.create_user("operator", password=PASSWORD)
    operator.groups.add(operators_group())
    User.objects.create_user("viewer", password=PASSWORD)
    return {s.name: s for s in ScaleSet.objects.filter(resource_group__name="rollwright-demo")}


def log_in(browser: Any, stack: Stack, username: str) -> Any:
    """A fresh browser context, logged in through the login page; returns its page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{stack.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/")
    return page
