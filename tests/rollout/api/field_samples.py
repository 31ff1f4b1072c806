"""Helpers for the field-table tests: a valid wire value for any wire type, and placing or
finding a value at a dotted wire path."""

from __future__ import annotations

import copy
from typing import Any

from rollout.services.wire.fields import Field
from rollout.services.wire.schema import (
    Arr,
    Base64,
    Bool,
    DateTime,
    Duration,
    Enum,
    Int,
    JsonObject,
    Node,
    Str,
    StrMap,
)

# Members whose value must name something that exists.
KNOWN = {"location": "westeurope"}


def wire_sample(node: Node | None, member: str = "") -> Any:
    """A valid wire value of ``node``, unlike any model default."""
    if member in KNOWN:
        return KNOWN[member]
    if isinstance(node, Int):
        return node.maximum
    if isinstance(node, Bool):
        return True
    if isinstance(node, Enum):
        return node.values[-1]
    if isinstance(node, Duration):
        return "PT1M30S"
    if isinstance(node, DateTime):
        return "2030-01-31T12:00:00+00:00"
    if isinstance(node, Base64):
        return "ZWNobyBoaQ=="
    if isinstance(node, Str):
        return "1" if node.pattern else "x" * min(node.max_length, 5)
    if isinstance(node, StrMap):
        return {"team": "web"}
    if isinstance(node, Arr):
        return [wire_sample(node.item)]
    if isinstance(node, JsonObject):
        return {"port": 80}
    raise AssertionError(f"no sample for {node}")


def sample_of(row: Field) -> tuple[Any, Any, Any]:
    """A wire value for the row, the model's value it parses to, and how a response shows it."""
    assert row.node is not None and row.wire is not None
    value = wire_sample(row.node, row.member)
    parsed = row.node.parse(value, row.wire)
    return value, parsed, row.node.dump(parsed)


def placed(path: str, value: Any, into: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``into`` with ``value`` at ``path``."""
    body = copy.deepcopy(into or {})
    target = body
    *parents, name = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = value
    return body


def at(body: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (``KeyError`` when absent)."""
    for name in path.split("."):
        body = body[name]
    return body
