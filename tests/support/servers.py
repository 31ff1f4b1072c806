"""Rollwright's own processes: the web server (daphne), Celery workers and Celery beat.

Each is a ``Process``: in its own process group, its output in a log file, ready when it
serves, stopped or killed (-9) as a group, restartable with the same port, name and log.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from tests.support.processes import Process, python_module

APPLICATION = "rollout.asgi:application"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Server(Process):
    """daphne serving ``rollout.asgi`` on 127.0.0.1; ready when ``/healthz`` answers 200.

    The port is chosen once, so ``restart()`` comes back where the browsers look for it.
    """

    ready_timeout = 30.0

    def __init__(
        self,
        logs: Path,
        *,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        name: str = "daphne",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = python_module("daphne", "-b", "127.0.0.1", "-p", str(self.port), APPLICATION)
        super().__init__(name, command, log=logs / f"{name}.log", env=env)

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False


class Worker(Process):
    """``celery -A rollout worker``; ready when its log says ``ready.``.

    Its node name is unique (``<name>-<pid of this process>@<host>``), so several workers can
    serve one broker. Readiness is read from the log, so the log level is INFO or DEBUG; at
    INFO the log also holds every task's runtime (``Task rollout.advance[...] succeeded in``).
    """

    ready_timeout = 45.0

    def __init__(
        self,
        logs: Path,
        *,
        env: Mapping[str, str] | None = None,
        name: str = "worker",
        pool: str = "threads",
        concurrency: int = 2,
        queues: Sequence[str] = (),
        loglevel: str = "INFO",
        arguments: Sequence[str] = (),
    ) -> None:
        if loglevel.upper() not in ("INFO", "DEBUG"):
            raise ValueError("a Worker's readiness is read from its log: loglevel INFO or DEBUG")
        self.node = f"{name}-{os.getpid()}@%h"
        command = python_module(
            "celery", "-A", "rollout", "worker",
            f"--pool={pool}", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
            "-n", self.node,
            *(["-Q", ",".join(queues)] if queues else []),
            *arguments,
        )  # fmt: skip
        super().__init__(name, command, log=logs / f"{name}.log", env=env)

    def is_ready(self) -> bool:
        return " ready." in self.output()


class Beat(Process):
    """``celery -A rollout beat`` with its schedule file beside its log; ready once it has
    opened the schedule (its own log lines are silenced by the settings' LOGGING)."""

    ready_timeout = 30.0

    def __init__(
        self, logs: Path, *, env: Mapping[str, str] | None = None, name: str = "beat"
    ) -> None:
        self.schedule = logs / f"{name}-schedule"
        command = python_module(
            "celery", "-A", "rollout", "beat", "--loglevel=INFO", "--schedule", str(self.schedule)
        )
        super().__init__(name, command, log=logs / f"{name}.log", env=env)

    def start(self, *, wait: bool = True) -> Self:
        for stale in self.schedule.parent.glob(f"{self.schedule.name}*"):
            stale.unlink()  # a restart runs every entry on its own clock again
        return super().start(wait=wait)

    def is_ready(self) -> bool:
        return any(self.schedule.parent.glob(f"{self.schedule.name}*"))
