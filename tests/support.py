"""Helpers for the suites that start real servers and workers as subprocesses."""

from __future__ import annotations

import os
import socket

import redis
from django.db import connection

REDIS_SERVER = "redis://127.0.0.1:6379"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def database_url() -> str:
    """The test database as a DATABASE_URL, for subprocesses to share it."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings['NAME']}"


def idle_redis_database(override: str) -> str:
    """A Redis database of the run's own: the URL in env var ``override``, else one no client
    uses. Other suites, benchmarks and stray workers flush or read theirs, and a shared one
    would steal this run's tasks."""
    if os.environ.get(override):
        return os.environ[override]
    busy = {int(client["db"]) for client in redis.Redis.from_url(REDIS_SERVER).client_list()}
    for number in range(11, 0, -1):
        if number not in busy:
            return f"{REDIS_SERVER}/{number}"
    raise RuntimeError(f"every Redis database has clients: set {override}")
