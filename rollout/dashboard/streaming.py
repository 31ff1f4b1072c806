"""What keeps a live socket honest under load: resyncs rate limited per connection, reads
off the event loop in parallel (bounded), and the heartbeat's pace.

- A browser asks for what it missed (``{"type": "resync", "after": N}``) or a snapshot. Each
  connection serves its requests one at a time, at most ``RESYNC_BURST`` at once and then
  one every ``1 / RESYNC_PER_SECOND`` s; requests arriving meanwhile merge into one (the
  oldest ``after`` wins, a snapshot wins over events), so a flood costs the flooder's own
  connection a wait and nobody else anything.
- Snapshots and catch-ups run in the thread pool (``thread_sensitive=False``), not on the
  one thread ``database_sync_to_async`` uses by default, so a slow one does not hold up the
  others; ``READS_AT_ONCE`` bounds how many run together (each holds a pooled connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

from rollout.events import streams

RESYNC_BURST = 3
RESYNC_PER_SECOND = 1.0
READS_AT_ONCE = 4
# How often a consumer compares the committed head(s) with what it forwarded.
HEARTBEAT_SECONDS = 2.0

T = TypeVar("T")

_reads: dict[int, asyncio.Semaphore] = {}


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    semaphore = _reads.get(id(loop))
    if semaphore is None:
        semaphore = _reads[id(loop)] = asyncio.Semaphore(READS_AT_ONCE)
    return semaphore


async def read(function: Callable[..., T], *args: Any) -> T:
    """Run a database read in the thread pool, at most READS_AT_ONCE together."""
    async with _semaphore():
        result: T = await sync_to_async(_closing, thread_sensitive=False)(function, *args)
        return result


def _closing(function: Callable[..., T], *args: Any) -> T:
    """Call ``function`` and give its thread's connection back (to the pool, on PostgreSQL):
    the pool's threads come and go with event loops, and must not keep connections."""
    try:
        return function(*args)
    finally:
        connections.close_all()


_heads: dict[int, tuple[float, int]] = {}
HEAD_FRESH_SECONDS = 1.0


async def head(scale_set_id: int) -> int:
    """The scale set's committed head, read at most once a second per process: fifty pages
    on one scale set cost one query per heartbeat, not fifty (the heartbeat only needs to
    notice, within seconds, a head this process did not forward)."""
    now = time.monotonic()
    cached = _heads.get(scale_set_id)
    if cached is not None and now - cached[0] < HEAD_FRESH_SECONDS:
        return cached[1]
    value = await read(streams.head, scale_set_id)
    _heads[scale_set_id] = (time.monotonic(), value)
    if len(_heads) > 10_000:
        _heads.clear()
    return value


class TokenBucket:
    """``burst`` at once, then ``per_second``: the per-connection resync budget."""

    def __init__(self, burst: int = RESYNC_BURST, per_second: float = RESYNC_PER_SECOND):
        self.burst = burst
        self.per_second = per_second
        self.tokens = float(burst)
        self.at = time.monotonic()

    def wait_seconds(self) -> float:
        """0 when a token is free now (and take it); else how long until one is."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


SNAPSHOT = -1  # a resync asking for a snapshot rather than events


class Resyncs:
    """One connection's resync requests: merged, rate limited and served in order.

    ``serve(after)`` is called with the merged request (``SNAPSHOT`` for a snapshot).
    """

    def __init__(self, serve: Callable[[int], Awaitable[None]]) -> None:
        self.serve = serve
        self.bucket = TokenBucket()
        self.pending: int | None = None
        self.task: asyncio.Task[None] | None = None
        self.served = 0
        self.merged = 0

    def request(self, after: int | None) -> None:
        wanted = SNAPSHOT if after is None or after < 0 else after
        if self.pending is None:
            self.pending = wanted
        else:
            self.merged += 1
            self.pending = (
                SNAPSHOT if SNAPSHOT in (self.pending, wanted) else min(self.pending, wanted)
            )
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self.pending is not None:
            wait = self.bucket.wait_seconds()
            if wait:
                await asyncio.sleep(wait)
                continue
            wanted, self.pending = self.pending, None
            self.served += 1
            await self.serve(wanted)

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
