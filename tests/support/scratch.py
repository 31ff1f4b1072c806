"""A throw-away Rollwright for a benchmark: its own database, its own Redis database, and this
process set up on them (Django configured, migrated), ready to start a ``Stack``.

    with scratch_rollwright(database_url=args.database_url, redis_url=args.redis_url,
                            time_scale=60) as scratch:
        demo_fleet(admin=True)                   # tests.support.fleets, once Django is set up
        with Stack(scratch.env) as stack:
            stack.start(web=True, workers=1)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tests.support.brokers import RedisDatabase, claim_redis_database
from tests.support.databases import ScratchDatabase
from tests.support.stack import configure_django, environment

BENCH_REDIS_VARIABLE = "ROLLWRIGHT_BENCH_REDIS_URL"


@dataclass
class ScratchRollwright:
    database: ScratchDatabase
    redis: RedisDatabase | None  # None: no Redis, REDIS_URL is memory://
    env: dict[str, str]
    migrate_seconds: float

    @property
    def redis_url(self) -> str:
        return self.env["REDIS_URL"]


@contextlib.contextmanager
def scratch_rollwright(
    *,
    settings: str = "rollout.settings",
    database_url: str | None = None,
    fresh: bool = True,
    redis_url: str | None = None,
    use_redis: bool = True,
    time_scale: float = 1.0,
    extra: Mapping[str, str] | None = None,
    keep: bool = False,
) -> Iterator[ScratchRollwright]:
    """Set this process up on a throw-away database and Redis database, migrated.

    1. The database: a fresh SQLite file in a scratch directory, or ``database_url``
       (PostgreSQL: created when missing; dropped and created again when ``fresh``).
    2. Redis: ``redis_url``, else ``$ROLLWRIGHT_BENCH_REDIS_URL``, else an idle database
       claimed for the run; flushed first. ``use_redis=False`` claims none: ``memory://``
       (an in-memory broker and channel layer, for work that stays in this process).
    3. ``environment()`` of the two, put into ``os.environ``; Django set up and migrated.

    The scratch directory goes at the end unless ``keep``; the Redis claim is released.
    """
    with contextlib.ExitStack() as cleanup:
        database = cleanup.enter_context(
            ScratchDatabase(database_url, fresh=fresh, keep=keep, prefix="rollwright-bench-")
        )
        redis = None
        if use_redis:
            redis = cleanup.enter_context(
                claim_redis_database(redis_url, env_var=BENCH_REDIS_VARIABLE)
            )
        env = environment(
            settings=settings,
            database_url=database.url,
            redis_url=redis.url if redis else "memory://",
            time_scale=time_scale,
            extra=extra,
        )
        configure_django(env)
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        yield ScratchRollwright(database, redis, env, time.perf_counter() - started)
