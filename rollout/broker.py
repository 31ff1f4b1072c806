"""The Celery broker transport: kombu's Redis transport, surviving a Redis restart.

Celery 5.7's consumer, on losing its broker connection, first ``collect()``s the connection,
which detaches its transport (``transport.client = None``), and then ``close()``s it (5.6 only
collected). When Redis dropped the socket during a BRPOP, ``collect()`` could not finish
closing the channel, so ``close()`` closes it again: the channel restores its unacknowledged
messages (acks_late tasks, ETA wake-ups), builds a new connection pool from the detached
transport and raises ``AttributeError: 'NoneType' object has no attribute 'hostname'``; the
late ack of a task that was running does the same. Celery treats only connection and channel
errors as recoverable, so the worker logged "Unrecoverable error" and exited 1, mid-rollout,
on every Redis restart.

Here a channel whose transport was detached raises a Redis ``ConnectionError`` instead, which
every one of those paths already handles: the close gives up, the ack is logged as failed, and
the worker reconnects. Nothing is lost: a Redis that restarted is empty anyway, and beat's
sweeper re-enqueues every operation whose next look is overdue, from the database.

Selected by ``CELERY_BROKER_TRANSPORT`` (rollout/settings.py) for ``redis://`` URLs.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed after it was lost")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class Transport(kombu_redis.Transport):
    Channel = Channel
