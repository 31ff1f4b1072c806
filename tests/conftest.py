"""Shared test set-up: the suite runs on SQLite by default, on PostgreSQL with DATABASE_URL.

The harness's pytest plugin (tests/support/pytest_plugin.py) adds the logs of the servers and
workers a failing test used to its report, and the ``worker_stack`` fixture.
"""

from __future__ import annotations

pytest_plugins = ["tests.support.pytest_plugin"]
