"""Every row lock in the project covers only the rows of the model it is taken on (issue 11,
item 2): ``select_for_update(of=("self",))``. Without ``OF``, PostgreSQL also locks every
joined row (a ``select_related`` or a filter across a relation), such as the Region of the
scale set an operation belongs to, and unrelated work in that region found it held."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rollout.services.upgrades.stepping import lock_operation
from tests.support import ROOT

CALL = re.compile(r"select_for_update\(((?:[^()]|\([^()]*\))*)\)")  # one level of (...)


def test_every_select_for_update_locks_only_its_own_rows() -> None:
    calls = [
        (path.relative_to(ROOT), match.group(1))
        for path in (ROOT / "rollout").rglob("*.py")
        for match in CALL.finditer(path.read_text())
    ]
    assert len(calls) >= 19  # the audit saw them all
    missing = [(str(path), args) for path, args in calls if 'of=("self",)' not in args]
    assert missing == []


@pytest.mark.django_db(transaction=True)
def test_a_step_locks_the_operations_row_and_nothing_else(web10) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks")
    from rollout.services.upgrades.operations import start_os_upgrade

    operation = start_os_upgrade(web10)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert lock_operation(operation.pk) is not None
    (sql,) = [query["sql"] for query in queries.captured_queries if "FOR UPDATE" in query["sql"]]
    assert sql.endswith('FOR UPDATE OF "rollout_upgradeoperation" SKIP LOCKED'), sql
    assert "rollout_region" in sql  # the region comes along, unlocked
