"""R1: roles × scopes × faces. Every principal holds one role (Owner, Contributor, Reader,
Rollout Operator) at one scope (web10's subscription, its resource group, another group of
the subscription, another subscription); each face (the API, the dashboard's pages and
actions, the admin, the commands' ``--user``) is asked each verb, and each cell asserts the
answer (allowed, or refused with nothing changed) against ``conftest.ALLOWED``, a table
written by hand. The websocket face is ``test_r1_matrix_websockets.py``.

Each question runs in a savepoint that is rolled back, so the cells of one principal do not
see each other's changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rollout.models import (
    Event,
    FaultRule,
    RoleAssignment,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.access.tokens import issue_token
from rollout.services.upgrades.operations import pause_upgrade, start_os_upgrade
from tests.rollout.access.conftest import (
    ROLES,
    SCOPES,
    SUBSCRIPTION,
    Cell,
    principal,
)

pytestmark = pytest.mark.django_db

VMSS = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.Compute/"
    "virtualMachineScaleSets"
)
VERSION = "api-version=2024-11-01"
ENABLE = {
    "properties": {
        "upgradePolicy": {"automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}
    }
}


def state() -> tuple[Any, ...]:
    """Everything a refused request might have changed."""
    return (
        list(
            ScaleSet.objects.order_by("pk").values(
                "name", "enable_automatic_os_upgrade", "model_version"
            )
        ),
        list(UpgradeOperation.objects.order_by("pk").values()),
        Event.objects.count(),
        FaultRule.objects.count(),
        RoleAssignment.objects.count(),
    )


@contextmanager
def savepoint() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


Answer = str  # "allowed" or "refused"; anything else fails the cell


def ask(
    cell: Cell, face: str, verb: str, question: Callable[[], Answer], upgrading: str = ""
) -> None:
    """One cell: ``question`` answers; a refusal must have changed nothing."""
    with savepoint():
        web10 = ScaleSet.objects.get(name="web10")
        if upgrading:
            start_os_upgrade(web10, started_by=StartedBy.USER, actor="test")
            if upgrading == "paused":
                pause_upgrade(web10, actor="test")
        before = state()
        answer = question()
        wanted = "allowed" if cell.may(verb) else "refused"
        assert answer == wanted, f"{cell}: {face} {verb} was {answer}, should be {wanted}"
        if answer == "refused":
            assert state() == before, f"{cell}: {face} {verb} was refused but changed something"


# The API: 403 AuthorizationFailed (Azure's words) or the operation's own answer.


def api(client: Client, token: str, method: str, path: str, body: Any = None) -> Any:
    version = "api-version=2022-12-01" if path == "/subscriptions" else VERSION
    return client.generic(
        method,
        f"{path}?{version}",
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def answer_of(response: Any, *allowed: int) -> Answer:
    if response.status_code in allowed:
        return "allowed"
    if response.status_code == 403:
        error = response.json()["error"]
        assert error["code"] == "AuthorizationFailed"
        assert "does not have authorization to perform action" in error["message"]
        assert (
            "If access was recently granted, please refresh your credentials." in error["message"]
        )
        return "refused"
    return f"HTTP {response.status_code}: {response.content[:300]!r}"


def check_api(cell: Cell) -> None:
    client, token = Client(), issue_token(cell.user, "matrix")[1]
    web = f"{VMSS}/web10"
    ask(cell, "API", "read", lambda: answer_of(api(client, token, "GET", web), 200))
    ask(cell, "API", "change", lambda: answer_of(api(client, token, "PATCH", web, ENABLE), 200))
    ask(
        cell,
        "API",
        "start",
        lambda: answer_of(api(client, token, "POST", f"{web}/osRollingUpgrade"), 202),
    )
    ask(
        cell,
        "API",
        "cancel",
        lambda: answer_of(api(client, token, "POST", f"{web}/rollingUpgrades/cancel"), 202),
        upgrading="running",
    )
    ask(cell, "API", "delete", lambda: answer_of(api(client, token, "DELETE", web), 202))
    # A list at subscription scope: refused without a role in the subscription, and showing
    # only what the caller may read.
    listed = api(
        client,
        token,
        "GET",
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachineScaleSets",
    )
    in_subscription = cell.scope != "other-subscription"
    assert listed.status_code == (200 if in_subscription else 403), cell
    if in_subscription:
        names = [row["name"] for row in listed.json()["value"]]
        assert ("web10" in names) is cell.may("read"), cell
    subscriptions = api(client, token, "GET", "/subscriptions").json()["value"]
    ids = {row["subscriptionId"] for row in subscriptions}
    assert (SUBSCRIPTION in ids) is in_subscription, cell


# The dashboard: pages show and offer by role; actions answer 403 with Azure's message.


def page(client: Client, name: str, pk: int) -> Any:
    return client.get(reverse(f"dashboard:{name}", args=[pk]))


def post(client: Client, name: str, pk: int, data: dict[str, str]) -> Answer:
    response = client.post(
        reverse(f"dashboard:{name}", args=[pk]), data, headers={"Accept": "application/json"}
    )
    body = response.json()
    if response.status_code == 403:
        assert (
            body["code"] == "AuthorizationFailed"
            and "does not have authorization" in body["message"]
        )
        return "refused"
    return "allowed" if "ok" in body else f"HTTP {response.status_code}"


def check_dashboard(cell: Cell) -> None:
    client = Client()
    client.force_login(cell.user)
    pk = ScaleSet.objects.get(name="web10").pk
    live = page(client, "scale_set", pk)
    ask(
        cell,
        "page",
        "read",
        lambda: (
            "allowed"
            if live.status_code == 200
            else ("refused" if live.status_code == 403 else str(live.status_code))
        ),
    )
    fleet = client.get(reverse("dashboard:fleet")).content.decode()
    assert ("web10" in fleet) is cell.may("read"), f"{cell}: the fleet page"
    if live.status_code == 200:
        html = live.content.decode()
        assert ('data-action="auto-upgrade"' in html) is cell.may("change"), f"{cell}: the switch"
        assert ('id="start-button"' in html) is cell.may("start"), f"{cell}: Start"
        assert ('data-op-control="cancel"' in html) is cell.may("cancel"), f"{cell}: Cancel"
        rehearsal = page(client, "rehearsal", pk).content.decode()
        assert ("Add the rule" in rehearsal) is cell.may("rehearse"), f"{cell}: fault rules"
    ask(cell, "action", "change", lambda: post(client, "auto_upgrade", pk, {"enable": "on"}))
    ask(cell, "action", "start", lambda: post(client, "start", pk, {"kind": "manual"}))
    ask(cell, "action", "pause", lambda: post(client, "pause", pk, {}), upgrading="running")
    ask(cell, "action", "resume", lambda: post(client, "resume", pk, {}), upgrading="paused")
    ask(cell, "action", "cancel", lambda: post(client, "cancel", pk, {}), upgrading="running")
    ask(
        cell,
        "action",
        "rehearse",
        lambda: post(client, "add_fault_rule", pk, {"kind": "never_healthy", "instance_ids": "1"}),
    )


# The admin (the principals are staff): what it shows, and what it lets change.


def check_admin(cell: Cell, other: Any) -> None:
    client = Client()
    client.force_login(cell.user)
    pk = ScaleSet.objects.get(name="web10").pk
    change_page = client.get(reverse("admin:rollout_scaleset_change", args=[pk]))
    ask(cell, "admin", "read", lambda: "allowed" if change_page.status_code == 200 else "refused")
    if change_page.status_code == 200:
        assert ('name="_save"' in change_page.content.decode()) is cell.may("change"), cell

    def enable() -> Answer:
        client.post(
            reverse("admin:rollout_scaleset_changelist"),
            {"action": "enable_auto_upgrade_action", "_selected_action": [pk]},
        )
        on = ScaleSet.objects.get(pk=pk).enable_automatic_os_upgrade
        return "allowed" if on else "refused"

    ask(cell, "admin", "change", enable)

    def assign() -> Answer:
        before = RoleAssignment.objects.count()
        client.post(
            reverse("admin:rollout_roleassignment_add"),
            {
                "principal": other.pk,
                "role": "Reader",
                "subscription": ScaleSet.objects.get(pk=pk).resource_group.subscription.pk,
                "resource_group": ScaleSet.objects.get(pk=pk).resource_group.pk,
            },
        )
        return "allowed" if RoleAssignment.objects.count() == before + 1 else "refused"

    ask(cell, "admin", "assign", assign)


# The commands that take an actor (--user).


def command(*args: str) -> Answer:
    try:
        call_command(*args)
    except CommandError as error:
        assert "AuthorizationFailed" in str(error)
        return "refused"
    return "allowed"


def check_commands(cell: Cell) -> None:
    name = cell.user.username
    base = ("-g", "rg-test", "-n", "web10", "--user", name)
    ask(cell, "command", "start", lambda: command("rolling_upgrade", "start", *base))
    ask(
        cell,
        "command",
        "pause",
        lambda: command("rolling_upgrade", "pause", *base),
        upgrading="running",
    )
    ask(
        cell,
        "command",
        "cancel",
        lambda: command("rolling_upgrade", "cancel", *base),
        upgrading="running",
    )


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("role", ROLES)
def test_r1_each_role_at_each_scope_in_every_face(
    world: ScaleSet, django_user_model: Any, role: str, scope: str
) -> None:
    cell = Cell(role, scope, principal(role, scope))
    other = django_user_model.objects.create_user("someone-else")
    check_api(cell)
    check_dashboard(cell)
    check_admin(cell, other)
    check_commands(cell)


def test_r1_a_user_with_no_role_sees_and_does_nothing(
    world: ScaleSet, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("nobody", is_staff=True)
    token = issue_token(user, "matrix")[1]
    before = state()
    client = Client()
    assert api(client, token, "GET", f"{VMSS}/web10").status_code == 403
    assert api(client, token, "PATCH", f"{VMSS}/web10", ENABLE).status_code == 403
    assert api(client, token, "GET", "/subscriptions").json()["value"] == []
    client.force_login(user)
    pk = ScaleSet.objects.get(name="web10").pk
    assert page(client, "scale_set", pk).status_code == 403
    assert "web10" not in client.get(reverse("dashboard:fleet")).content.decode()
    assert post(client, "start", pk, {"kind": "manual"}) == "refused"
    assert client.get(reverse("admin:rollout_scaleset_changelist")).status_code == 403
    assert (
        command("rolling_upgrade", "start", "-g", "rg-test", "-n", "web10", "--user", "nobody")
        == "refused"
    )
    assert state() == before
