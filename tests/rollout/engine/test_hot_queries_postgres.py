"""Fleet scale (issue 14): every query of an engine step, of beat's sweep and of a wake-up that
finds its row held can use an index on PostgreSQL: EXPLAINed with sequential scans disabled,
no plan falls back to a Seq Scan (PostgreSQL still picks one when no index fits). Skips on
SQLite, whose planner says little about this."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rollout.models import StartedBy
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.stepping import advance_once, held_elsewhere, overdue_operations
from tests.rollout.conftest import automatic

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's (DATABASE_URL)"
    ),
]

# Tables of a handful of rows per deployment, read by primary or unique key when they are.
SMALL = ("rollout_region", "django_content_type", "auth_user")


def seq_scans(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = on")
    return [line for line in plan if "Seq Scan" in line and not any(t in line for t in SMALL)]


def test_hot_queries_of_a_step_use_indexes(web10):
    operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
    now = timezone.now()
    statements = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as captured:
            recheck = advance_once(operation.pk, now)
            held_elsewhere(operation.pk)
            overdue_operations(now)
        statements += [q["sql"] for q in captured.captured_queries]
        now = max(now, recheck or now)
    reads = [
        sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    ]
    assert len(reads) > 20, reads
    problems = {sql: scans for sql in reads if (scans := seq_scans(sql))}
    assert not problems, problems
