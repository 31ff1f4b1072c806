"""Field tables: for one Azure resource type, each member of its wire shape, the model field
behind it, its wire type (range, enum, length), its default and whether a request may change it.

One table per resource type is the one source of these facts. The API builds its request
schemas (and so the OpenAPI description) from the rows, reads requests and writes responses
with them; the services take their updatable and create-only fields from them; the admin groups
its fields by them. A row says how its member travels:

- ``Via.TABLE``: the table copies it, from a parsed request to the model field and from the
  model field to a response (``FieldTable.read``, ``FieldTable.write``);
- ``Via.CODE``: code next to the serializer and the parser handles it, because it is more than a
  copy (an image reference's form, a probe's id, a Windows-only setting); the row still owns
  its wire type and whether it may change;
- ``Via.NONE``: not on Azure's wire (the path, bookkeeping, admin-only settings); listed so that
  every model field has exactly one row.

The table lives below the API (services may not import it) because the services' list of
updatable fields derives from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.db import models

from orchestrator.policy import WireMember, wire_members
from rollout.services.wire.schema import Bool, Duration, Int, Node, Obj


class Via(StrEnum):
    """How a row's member travels between the wire and its model field."""

    TABLE = "table"
    CODE = "code"
    NONE = "none"


class Change(StrEnum):
    """Whether a request may change the model field once the resource exists."""

    UPDATABLE = "updatable"  # a later PUT or PATCH may change it
    CREATE_ONLY = "create-only"  # set at creation; a later PUT may repeat it unchanged
    FIXED = "fixed"  # never set from a request body: read-only, derived or bookkeeping


@dataclass(frozen=True)
class Field:
    """One row: ``wire`` is the member's dotted path from the resource's root (``None`` when it
    is not on the wire) and ``model`` the field that stores it."""

    wire: str | None
    model: str
    node: Node | None = None
    via: Via = Via.TABLE
    change: Change = Change.UPDATABLE
    in_update: bool = True  # also a member of the update (PATCH) shape
    required: bool = False  # a creation must state it
    write_only: bool = False  # accepted, never returned (secrets, custom data)
    omit_empty: bool = False  # left out of a response when empty

    def __post_init__(self) -> None:
        if (self.wire is None) != (self.via is Via.NONE):
            raise ValueError(f"{self.model}: a row is off the wire exactly when via is NONE")
        if self.via is Via.TABLE and self.node is None:
            raise ValueError(f"{self.model}: the table copies only members with a wire type")

    @property
    def parent(self) -> str:
        """The path of the object holding the member: ``properties.upgradePolicy``."""
        return (self.wire or "").rpartition(".")[0]

    @property
    def member(self) -> str:
        """The member's own name: ``mode``."""
        return (self.wire or "").rpartition(".")[2]


class FieldTable:
    """The rows of one resource type, over its Django model."""

    def __init__(self, model: type[models.Model], *rows: Field) -> None:
        self.model = model
        self.rows = rows
        names = {field.name for field in model._meta.concrete_fields}
        unknown = {row.model for row in rows} - names
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")

    def __iter__(self) -> Iterator[Field]:
        return iter(self.rows)

    def row(self, model_field: str) -> Field:
        return next(row for row in self.rows if row.model == model_field)

    def default(self, row: Field) -> Any:
        """The model field's default: what a creation that does not state the member gets."""
        field = self.model._meta.get_field(row.model)
        if not isinstance(field, models.Field):  # __init__ lets only concrete fields in
            raise TypeError(f"{row.model} is not a concrete field")
        return field.get_default()

    @property
    def updatable(self) -> frozenset[str]:
        """The model fields a later PUT or PATCH (or the admin) may change."""
        return frozenset(row.model for row in self.rows if row.change is Change.UPDATABLE)

    @property
    def create_only(self) -> dict[str, str]:
        """Model field → wire path of the copied members set only at creation."""
        return {
            row.model: row.wire
            for row in self.rows
            if row.change is Change.CREATE_ONLY and row.via is Via.TABLE and row.wire
        }

    def model_fields(self, under: str) -> tuple[str, ...]:
        """The model fields of the members directly under ``under``, in the table's order."""
        return tuple(row.model for row in self.rows if row.wire and row.parent == under)

    def members(self, path: str, *, update: bool = False) -> dict[str, Node]:
        """Member name → wire type, for the object at ``path`` (of the update shape or not)."""
        found: dict[str, Node] = {}
        for row in self.rows:
            if row.node is None or row.parent != path or (update and not row.in_update):
                continue
            if found.setdefault(row.member, row.node) is not row.node:
                raise ValueError(f"{row.wire} has two wire types")
        return found

    def obj(
        self,
        name: str,
        path: str = "",
        *,
        update: bool = False,
        members: Mapping[str, Node] | None = None,
        required: tuple[str, ...] = (),
        tolerated: frozenset[str] = frozenset(),
        unsupported: frozenset[str] = frozenset(),
    ) -> Obj:
        """The wire object at ``path``: the table's members there, plus ``members`` (nested
        objects, and members that no model field stores)."""
        fields = self.members(path, update=update)
        for member in members or {}:
            if member in fields:
                raise ValueError(f"{path}.{member} is in the table already")
        stated = tuple(
            row.member
            for row in self.rows
            if row.required and row.parent == path and (row.in_update or not update)
        )
        return Obj(
            name,
            {**fields, **(members or {})},
            required=stated + required,
            tolerated=tolerated,
            unsupported=unsupported,
        )

    def read(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Model field → value, for each copied member a parsed request states."""
        values: dict[str, Any] = {}
        for row in self.rows:
            if row.via is not Via.TABLE or row.wire is None:
                continue
            found, value = _dig(body, row.wire)
            if found:
                values[row.model] = value
        return values

    def write(self, instance: models.Model, into: dict[str, Any] | None = None) -> dict[str, Any]:
        """``into`` (a new dict by default) with each copied member of ``instance`` set."""
        body = {} if into is None else into
        for row in self.rows:
            if row.via is not Via.TABLE or row.write_only or not row.wire or not row.node:
                continue
            value = getattr(instance, row.model)
            if row.omit_empty and not value:
                continue
            target = body
            for name in row.wire.split(".")[:-1]:
                target = target.setdefault(name, {})
            target[row.member] = row.node.dump(value)
        return body


def _dig(body: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    value: Any = body
    for name in path.split("."):
        if not isinstance(value, Mapping) or name not in value:
            return False, None
        value = value[name]
    return True, value


def policy_fields(path: str, policy: type) -> tuple[Field, ...]:
    """Rows for a policy the engine defines (``orchestrator.policy``): each member's wire name,
    type, range and default are the engine's, and its model field is named as its attribute."""
    return tuple(
        Field(f"{path}.{item.wire}", item.attribute, _node_of(item))
        for item in wire_members(policy)
    )


def _node_of(item: WireMember) -> Node:
    if item.type is bool:
        return Bool()
    if item.type is int:
        return Int(item.minimum, item.maximum)
    if item.type is timedelta:
        return Duration()
    raise TypeError(f"{item.wire}: no wire type for {item.type}")
