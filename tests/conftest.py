"""Shared test set-up: the suite runs on SQLite by default, on PostgreSQL with DATABASE_URL."""

from __future__ import annotations
