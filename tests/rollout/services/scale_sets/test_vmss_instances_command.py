"""The ``vmss_instances`` command: the instance actions as a face of their own (issue 12)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rollout.models import Event, EventKind, PowerState, ScaleSet
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("vmss_instances", *args, stdout=out)
    return out.getvalue()


def test_power_off_and_protection_from_the_command_line(web10):
    group = ["-g", "rg-test", "-n", "web10"]
    assert "protect" in run("protect", *group, "--instance-ids", "1")
    out = run("power-off", *group)
    assert "left out (protected): [1]" in out
    states = dict(web10.instances.values_list("instance_id", "power_state"))
    assert states[1] == PowerState.RUNNING
    assert {states[i] for i in states if i != 1} == {PowerState.STOPPED}
    event = Event.objects.filter(kind=EventKind.INSTANCE_ACTION).get()
    assert event.actor_name == "command line"


def test_delete_needs_instance_ids_and_drops_capacity(web10):
    group = ["-g", "rg-test", "-n", "web10"]
    with pytest.raises(CommandError):
        run("delete", *group)
    run("delete", *group, "--instance-ids", "8", "9")
    assert ScaleSet.objects.get(pk=web10.pk).capacity == 8


def test_r1_a_reader_may_not_reimage(web10, django_user_model):
    grant(django_user_model.objects.create_user("viewer"), "Reader")
    with pytest.raises(CommandError, match="AuthorizationFailed"):
        run("reimage", "-g", "rg-test", "-n", "web10", "--user", "viewer")
    assert not Event.objects.filter(kind=EventKind.INSTANCE_ACTION).exists()
