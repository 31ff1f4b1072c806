"""Redis for concurrent runs: each claims a database of its own; a test's own redis-server can
crash and come back on the same port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from tests.support.brokers import (
    CLAIM_PREFIX,
    REDIS_SERVER,
    RedisServer,
    claim_redis_database,
    redis_answers,
)

needs_redis = pytest.mark.skipif(not redis_answers(REDIS_SERVER), reason="no Redis at 6379")


@needs_redis
def test_two_runs_claim_different_idle_databases_until_they_release_them() -> None:
    with claim_redis_database() as first, claim_redis_database() as second:
        assert first.url != second.url
        assert first.url.startswith(f"{REDIS_SERVER}/") and second.url.startswith(REDIS_SERVER)
        assert len(our_claims()) == 2
    assert our_claims() == []


def our_claims() -> list[int]:
    """The databases this process holds claims on."""
    admin = redis.Redis.from_url(REDIS_SERVER)
    try:
        name = f"{CLAIM_PREFIX}-{os.getpid()}"
        return [int(client["db"]) for client in admin.client_list() if client["name"] == name]
    finally:
        admin.close()


@needs_redis
def test_a_claimed_database_starts_empty() -> None:
    with claim_redis_database() as claimed:
        client = redis.Redis.from_url(claimed.url)
        client.set("left-over", 1)
        client.close()
        claimed.release()
        with claim_redis_database(claimed.url) as named:
            assert redis.Redis.from_url(named.url).dbsize() == 0


@needs_redis
def test_the_callers_choice_wins_an_argument_first_then_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with claim_redis_database() as claimed:
        monkeypatch.setenv("ROLLWRIGHT_HARNESS_REDIS_URL", claimed.url)
        chosen = claim_redis_database(env_var="ROLLWRIGHT_HARNESS_REDIS_URL", fresh=False)
        assert chosen.url == claimed.url
        assert claim_redis_database("redis://127.0.0.1:6379/3", fresh=False).url.endswith("/3")


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
def test_a_redis_server_of_its_own_crashes_and_comes_back_on_the_same_port(
    tmp_path: Path,
) -> None:
    with RedisServer(tmp_path) as server:
        redis.Redis.from_url(server.url()).set("key", "value")
        server.kill()
        assert not redis_answers(server.url(), timeout=0.2)
        server.start()
        assert redis_answers(server.url())
        assert redis.Redis.from_url(server.url()).get("key") is None  # nothing was saved
        assert server.starts == 2
    assert not server.running
