"""One harness for everything that runs Rollwright for real: the e2e, acceptance and
integration tests, the fault tests and every benchmark under bench/.

* ``processes``: ``Process``, a subprocess in its own process group with its output in a log
  file; ``stop()`` (SIGTERM, then SIGKILL), ``kill()`` (-9), ``restart()``, ``tail()``.
* ``servers``: ``Server`` (daphne, ready on /healthz; over https with a ``Tls`` certificate
  made by trustme), ``Worker`` and ``Beat`` (Celery, ready
  from their logs), ``free_port()``.
* ``stack``: ``Stack``, a web server, workers and beat on one ``environment()``.
* ``brokers``: ``claim_redis_database()`` (a Redis database of the run's own),
  ``RedisServer`` (a redis-server of a test's own, to kill and restart), ``use_broker()``
  (this process's Celery app on such a Redis).
* ``databases``: the test database as a URL, ``ScratchDatabase`` for benchmarks, ending
  PostgreSQL sessions, counting them (``count_sessions()``).
* ``websockets``: ``LiveSocket``, a live page's websocket without a browser.
* ``scratch``: ``scratch_rollwright()``, a benchmark's throw-away database and Redis database,
  this process set up and migrated on them.
* ``browser``: Debian's Chromium for Playwright, ``log_in()``, ``session_cookie()``.
* ``fleets`` (imports the models: Django must be set up): the demo fleet with its logins,
  ``Site`` and scale sets of N instances.
* ``pytest_plugin``: logs in failing tests' reports; the ``worker_stack`` fixture.

Importing this package needs no Django set-up, so a benchmark can import it first:

    with scratch_rollwright(time_scale=60) as scratch:  # database, Redis, Django migrated
        demo_fleet(admin=True)                          # tests.support.fleets
        with Stack(scratch.env) as stack:
            stack.start(web=True, workers=2)
            stack.workers[0].kill()                     # kill -9
            stack.add_worker()                          # a replacement
"""

from __future__ import annotations

from tests.support.brokers import (
    REDIS_SERVER,
    RedisDatabase,
    RedisServer,
    RedisUnavailable,
    claim_redis_database,
    flush,
    redis_answers,
    use_broker,
)
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    chromium_available,
    chromium_launch_options,
    log_in,
    session_cookie,
)
from tests.support.databases import (
    ScratchDatabase,
    count_sessions,
    database_url,
    ensure_postgres_database,
    is_postgres,
    terminate_other_sessions,
)
from tests.support.processes import (
    ROOT,
    Process,
    ProcessFailed,
    stop_all,
    unwind_on_termination,
    wait_until,
)
from tests.support.scratch import ScratchRollwright, scratch_rollwright
from tests.support.servers import Beat, Server, Tls, Worker, free_port
from tests.support.stack import Stack, configure_django, environment

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "REDIS_SERVER",
    "ROOT",
    "Beat",
    "Process",
    "ProcessFailed",
    "RedisDatabase",
    "RedisServer",
    "RedisUnavailable",
    "ScratchDatabase",
    "ScratchRollwright",
    "Server",
    "Stack",
    "Tls",
    "Worker",
    "chromium_available",
    "chromium_launch_options",
    "claim_redis_database",
    "configure_django",
    "count_sessions",
    "database_url",
    "ensure_postgres_database",
    "environment",
    "flush",
    "free_port",
    "is_postgres",
    "log_in",
    "redis_answers",
    "scratch_rollwright",
    "session_cookie",
    "stop_all",
    "terminate_other_sessions",
    "unwind_on_termination",
    "use_broker",
    "wait_until",
]
