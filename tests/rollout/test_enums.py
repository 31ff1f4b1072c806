"""The engine's enums and the models' are one: same members, same values, as migrated.

``rollout.models`` re-exports the engine's ``UpgradeKind``, ``RunningStatus`` and
``InstanceUpgradeState`` and derives its fields' choices from them, so there is no second copy
to drift; these tests keep it that way, and keep the migrations in step with the labels.
"""

from __future__ import annotations

import typing
from enum import StrEnum
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models as django_models

import orchestrator
from rollout import models
from rollout.dashboard.messages import CellState

FIELDS = [
    (models.UpgradeKind, orchestrator.UpgradeKind, models.UpgradeOperation, "kind"),
    (models.RunningStatus, orchestrator.RunningStatus, models.UpgradeOperation, "status"),
    (
        models.InstanceUpgradeState,
        orchestrator.InstanceUpgradeState,
        models.InstanceUpgrade,
        "state",
    ),
]


@pytest.mark.parametrize(("ours", "engines", "model", "field"), FIELDS)
def test_the_models_enum_is_the_engines(
    ours: type[StrEnum], engines: type[StrEnum], model: type[django_models.Model], field: str
) -> None:
    assert ours is engines
    choices = model._meta.get_field(field).choices
    assert choices is not None
    assert [value for value, _ in choices] == [member.value for member in engines]
    assert [member.name for member in ours] == [member.name for member in engines]


def test_active_statuses_are_the_engines_unfinished_ones() -> None:
    assert models.ACTIVE_STATUSES == ("RollingForward", "RollingBack")
    assert all(not status.is_final for status in models.ACTIVE_STATUSES)


def test_a_grid_cell_is_in_an_engine_state_or_idle() -> None:
    assert set(typing.get_args(CellState)) == {"idle", *orchestrator.InstanceUpgradeState}


@pytest.mark.django_db
def test_the_migrations_match_the_models_choices() -> None:
    """Labels are part of a field's migrated state: a new member or label needs a migration."""
    out = StringIO()
    call_command("makemigrations", "rollout", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
