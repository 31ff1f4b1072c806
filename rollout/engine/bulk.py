"""A faster ``bulk_update``: one parameterised UPDATE run with ``executemany``.

Django's ``bulk_update`` builds a CASE/WHEN expression per cell, which costs more than the
rest of an engine step for a batch of hundreds of instances (bench/rollout_overhead.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def update_rows(objects: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """``UPDATE table SET f1=%s, ... WHERE pk=%s`` for each object, in one round of calls."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(str(meta.pk.column))} = %s"
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]  # type: ignore[union-attr]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
