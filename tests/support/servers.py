"""Rollwright's own processes: the web server (daphne), Celery workers and Celery beat.

Each is a ``Process``: in its own process group, its output in a log file, ready when it
serves, stopped or killed (-9) as a group, restartable with the same port, name and log.
"""

from __future__ import annotations

import os
import socket
import ssl
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Tls:
    """A throw-away certificate for ``localhost`` and 127.0.0.1, its key, and the CA that
    signed it (what a client must trust: ``REQUESTS_CA_BUNDLE``, ``ssl.create_default_context``)."""

    certificate: Path
    key: Path
    ca: Path

    @classmethod
    def make(cls, directory: Path) -> Tls:
        """Made by ``trustme`` (a test dependency) in ``directory``."""
        import trustme

        authority = trustme.CA()
        issued = authority.issue_cert("localhost", "127.0.0.1")
        tls = cls(directory / "server.pem", directory / "server.key", directory / "ca.pem")
        issued.cert_chain_pems[0].write_to_path(str(tls.certificate))
        for pem in issued.cert_chain_pems[1:]:
            pem.write_to_path(str(tls.certificate), append=True)
        issued.private_key_pem.write_to_path(str(tls.key))
        authority.cert_pem.write_to_path(str(tls.ca))
        return tls

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def named(env: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """``env`` with PGAPPNAME: PostgreSQL shows the process's sessions under its name
    (``count_sessions(application=name)``)."""
    return {"PGAPPNAME": name, **(env or {})}


class Server(Process):
    """daphne serving ``rollout.asgi`` on 127.0.0.1; ready when ``/healthz`` answers 200.

    The port is chosen once, so ``restart()`` comes back where the browsers look for it.
    With ``tls`` it serves https only (a Twisted ssl endpoint), at ``https://localhost:port``.
    """

    ready_timeout = 30.0

    def __init__(
        self,
        logs: Path,
        *,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        name: str = "daphne",
        tls: Tls | None = None,
    ) -> None:
        self.port = port or free_port()
        self.tls = tls
        if tls is None:
            self.url = f"http://127.0.0.1:{self.port}"
            command = python_module("daphne", "-b", "127.0.0.1", "-p", str(self.port), APPLICATION)
        else:
            self.url = f"https://localhost:{self.port}"
            endpoint = f"ssl:{self.port}:interface=127.0.0.1:privateKey={tls.key}"
            endpoint += f":certKey={tls.certificate}"
            command = python_module("daphne", "-e", endpoint, APPLICATION)
        super().__init__(name, command, log=logs / f"{name}.log", env=named(env, name))

    def is_ready(self) -> bool:
        context = self.tls.context() if self.tls is not None else None
        try:
            with urllib.request.urlopen(
                f"{self.url}/healthz", timeout=1, context=context
            ) as answer:
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
        super().__init__(name, command, log=logs / f"{name}.log", env=named(env, name))

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
        super().__init__(name, command, log=logs / f"{name}.log", env=named(env, name))

    def start(self, *, wait: bool = True) -> Self:
        for stale in self.schedule.parent.glob(f"{self.schedule.name}*"):
            stale.unlink()  # a restart runs every entry on its own clock again
        return super().start(wait=wait)

    def is_ready(self) -> bool:
        return any(self.schedule.parent.glob(f"{self.schedule.name}*"))
