"""Databases for subprocesses: the test database as a URL, throw-away databases for the
benchmarks, and ending PostgreSQL sessions (a stopped server's, or a fault test's)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def database_url() -> str:
    """The database Django is connected to (in a test: the test database) as a DATABASE_URL,
    for servers and workers to share it."""
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings['NAME']}"


def ensure_postgres_database(url: str, *, fresh: bool = False) -> bool:
    """Create the database a postgresql:// URL names when it is missing (dropped first when
    ``fresh``); returns whether it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params: dict[str, Any] = {"dbname": "postgres", "connect_timeout": 5, "autocommit": True}
    for key, value in (
        ("host", parts.hostname),
        ("port", parts.port),
        ("user", unquote(parts.username or "") or None),
        ("password", unquote(parts.password or "") or None),
    ):
        if value is not None:
            params[key] = value
    with psycopg.connect(**params) as connection:
        if fresh:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is not None:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


class ScratchDatabase:
    """A throw-away database for a benchmark, with a scratch directory beside it.

    Without a URL: a fresh SQLite file in the directory. With a postgresql:// URL: that
    database, created when missing (dropped and created again when ``fresh``). Leaving the
    ``with`` block removes the directory unless ``keep``.
    """

    def __init__(
        self, url: str | None = None, *, fresh: bool = False, keep: bool = False, prefix: str = ""
    ) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix=prefix or "rollwright-scratch-"))
        self.url = url or f"sqlite:///{self.directory / 'rollwright.sqlite3'}"
        self.keep = keep
        self.created = is_postgres(self.url) and ensure_postgres_database(self.url, fresh=fresh)

    def __repr__(self) -> str:
        return f"<ScratchDatabase {self.url}>"

    def remove(self) -> None:
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> ScratchDatabase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()


def terminate_other_sessions() -> int:
    """End every other session on Django's PostgreSQL database (none on SQLite); returns how
    many. A stopped server's sessions end a moment after it; the test database can only be
    dropped once they are gone. A fault test uses it to cut the workers' connections."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


def count_sessions(*, application: str | None = None) -> int:
    """The sessions open on Django's PostgreSQL database (0 on SQLite), this one excluded;
    only those of the ``application`` (a harness process's name, its PGAPPNAME) when given."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        if application is None:
            cursor.execute(query)
        else:
            cursor.execute(query + " AND application_name = %s", [application])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
