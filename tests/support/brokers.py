"""Redis for the suites and benchmarks: a database of the run's own on the shared server, or a
redis-server of a test's own that it can kill and restart.

Several people's test runs and benchmarks share the Redis at 127.0.0.1:6379. Each flushes and
consumes its broker database, so two runs on one database steal each other's tasks. A run
therefore *claims* a database: the URL its caller names (an argument, or an environment
variable such as ``ROLLWRIGHT_BENCH_REDIS_URL``), else one of databases 11 down to 1 that no
client uses and this process's settings do not name (``ROLLWRIGHT_TEST_REDIS_URL``,
``REDIS_URL``), held by a named connection for as long as the run lasts (0 is ``make run``'s,
14 the test settings' default). Claims only see clients that are connected: a run told to use
a database is safe from others when each caller names its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import redis

from tests.support.processes import Process
from tests.support.servers import free_port

REDIS_SERVER = "redis://127.0.0.1:6379"
CLAIMABLE = range(11, 0, -1)
CLAIM_PREFIX = "rollwright-claim"
NAMED_BY = ("ROLLWRIGHT_TEST_REDIS_URL", "REDIS_URL")


class RedisUnavailable(RuntimeError):
    """No Redis answers, or every claimable database is in use."""


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """True when a Redis at ``url`` answers a PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def flush(url: str) -> None:
    """Empty the database at ``url``: no message left over from an earlier run."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


class RedisDatabase:
    """One Redis database for one run, at ``url``; ``release()`` (or leaving ``with``) gives
    the claim back. A database the caller named is used as it is, with no claim."""

    def __init__(self, url: str, claim: redis.Redis | None = None) -> None:
        self.url = url
        self._claim = claim

    def __repr__(self) -> str:
        return f"<RedisDatabase {self.url}{' (claimed)' if self._claim else ''}>"

    def release(self) -> None:
        if self._claim is not None:
            self._claim.close()
            self._claim = None

    def __enter__(self) -> RedisDatabase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def claim_redis_database(
    url: str | None = None,
    *,
    env_var: str | None = None,
    server: str = REDIS_SERVER,
    fresh: bool = True,
) -> RedisDatabase:
    """A Redis database of this run's own, flushed first unless ``fresh=False``.

    1. ``url`` when given, else the URL in the environment variable ``env_var`` when set:
       the caller chose (concurrent runs choose different ones);
    2. else the highest of databases 11 to 1 that no client uses, claimed by a connection
       named ``rollwright-claim-<pid>`` kept open until ``release()``. Two runs that pick the
       same database at the same moment both see both claims; the later connection yields.

    Raises ``RedisUnavailable`` when the server does not answer or every database is busy.
    """
    chosen = url or (os.environ.get(env_var) if env_var else None)
    if chosen:
        if not redis_answers(chosen):
            raise RedisUnavailable(f"Redis does not answer at {chosen}")
        if fresh:
            flush(chosen)
        return RedisDatabase(chosen)
    if not redis_answers(server):
        raise RedisUnavailable(f"Redis does not answer at {server}")
    for number in CLAIMABLE:
        if number in _named_here(server):
            continue
        claim = _claim(server, number)
        if claim is not None:
            database = RedisDatabase(f"{server}/{number}", claim)
            if fresh:
                claim.flushdb()
            return database
    hint = f": set {env_var}" if env_var else ""
    raise RedisUnavailable(f"every Redis database 1-11 of {server} has clients{hint}")


def _named_here(server: str) -> set[int]:
    """The databases of ``server`` this process's own settings name (its test broker): in use
    even while no connection to them is open."""
    named = set()
    for variable in NAMED_BY:
        url = urlsplit(os.environ.get(variable, ""))
        if url.netloc and url.netloc == urlsplit(server).netloc and url.path.strip("/").isdigit():
            named.add(int(url.path.strip("/")))
    return named


def _claim(server: str, number: int) -> redis.Redis | None:
    """A connection holding database ``number``, or None when another client has it."""
    admin = redis.Redis.from_url(server, socket_timeout=5)
    try:
        if any(int(client["db"]) == number for client in admin.client_list()):
            return None
    finally:
        admin.close()
    claim = redis.Redis.from_url(
        f"{server}/{number}", socket_timeout=5, single_connection_client=True
    )
    claim.client_setname(f"{CLAIM_PREFIX}-{os.getpid()}")
    mine = int(claim.client_id())
    others = [client for client in claim.client_list() if int(client["db"]) == number]
    # Another run's claim with a lower id came first; any other client means the db is in use.
    if any(
        int(client["id"]) < mine or not client.get("name", "").startswith(CLAIM_PREFIX)
        for client in others
        if int(client["id"]) != mine
    ):
        claim.close()
        return None
    return claim


class RedisServer(Process):
    """A redis-server of a test's own on a free port, no persistence, its files in ``logs``.

    ``kill()`` is a crash, ``stop()`` a clean shutdown, ``start()`` or ``restart()`` brings it
    back on the same port (empty: nothing is saved), which is what the fault tests need.
    """

    ready_timeout = 15.0

    def __init__(self, logs: Path, *, port: int | None = None, name: str = "redis-server") -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable("no redis-server on PATH (apt-get install redis-server)")
        self.port = port or free_port()
        directory = logs / name
        directory.mkdir(parents=True, exist_ok=True)
        command = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(directory), "--daemonize", "no",
        ]  # fmt: skip
        super().__init__(name, command, log=logs / f"{name}.log")

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def is_ready(self) -> bool:
        return redis_answers(self.url(), timeout=0.5)


@contextlib.contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at the broker ``url`` while inside: what a test's
    services queue (``rollout.services.wakeups``) reaches the workers of a stack on a Redis of
    the test's own. Needs Django set up."""
    from kombu import pools

    from rollout.celery import app

    def forget_connections() -> None:
        # What app.close() leaves: the producer pool bound to the previous broker. The pools live
        # in kombu's registries, keyed by broker URL: closing one and leaving it there hands the
        # closed pool back the next time that URL is used ("Acquire on closed pool"), so empty
        # the registries too.
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    forget_connections()
    app.conf.broker_url = url
    try:
        yield
    finally:
        forget_connections()
        app.conf.broker_url = before
