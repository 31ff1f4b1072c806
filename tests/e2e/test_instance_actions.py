"""The grid's per-instance actions in a real browser (issue 12): an operator clicks a VM, powers
it off (the cell greys: unhealthy for U7/U8), protects it, powers it on again and reimages it,
each through the same services as the API; a viewer watching the same page sees every change
live and is offered no action."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.models import Event, EventKind, Instance, PowerState, ScaleSet
from tests.e2e.conftest import Stack, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cell(page: Any, instance_id: int) -> Any:
    return page.locator(f'#grid [data-instance-id="{instance_id}"]')


def act(page: Any, verb: str) -> None:
    """Press the panel's button for ``verb`` and wait for the server's answer."""
    form = page.locator(f'#instance-panel form[data-instance-verb="{verb}"]')
    with page.expect_response(lambda r: "/instances/action/" in r.url) as answer:
        form.locator("button").click()
    assert answer.value.status == 200, answer.value.text()


def test_an_operator_acts_on_one_vm_from_the_grid_and_a_viewer_sees_it_live(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    web10 = fleet["web-10"]
    url = f"{stack.url}/scale-sets/{web10.pk}/"
    watcher = log_in(browser, stack, "viewer")
    watcher.goto(url)
    watcher.wait_for_selector("#live-status[data-status=live]")
    assert watcher.locator("#instance-panel").count() == 0  # a Reader is offered no action

    page = log_in(browser, stack, "operator")
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.wait_for_selector("#live-status[data-status=live]")
    assert page.locator("#instance-panel").is_hidden()

    cell(page, 3).click()
    assert not errors, errors

    panel = page.locator("#instance-panel")
    assert panel.is_visible()
    assert "Instance 3" in page.inner_text("#instance-title")
    assert page.locator('#instance-panel form[data-instance-verb="start"]').is_hidden()

    act(page, "powerOff")
    for viewer_or_operator in (page, watcher):
        cell(viewer_or_operator, 3).and_(
            viewer_or_operator.locator('[data-power="stopped"]')
        ).wait_for(timeout=10_000)
    assert "powered off" in cell(page, 3).get_attribute("title")
    vm = Instance.objects.get(scale_set=web10, instance_id=3)
    assert vm.power_state == PowerState.STOPPED
    page.locator('#instance-panel form[data-instance-verb="start"]').wait_for(state="visible")
    assert page.locator('#instance-panel form[data-instance-verb="powerOff"]').is_hidden()

    act(page, "protect")
    cell(watcher, 3).and_(watcher.locator('[data-protected="true"]')).wait_for(timeout=10_000)
    vm.refresh_from_db()
    assert (vm.protect_from_scale_in, vm.protect_from_scale_set_actions) == (True, True)

    act(page, "start")
    cell(watcher, 3).and_(watcher.locator('[data-power="running"]')).wait_for(timeout=10_000)
    vm.refresh_from_db()
    assert vm.power_state == PowerState.RUNNING
    act(page, "reimage")
    vm.refresh_from_db()
    assert vm.os_disks.count() == 2  # the reimage's new OS disk; the old one deleted

    actions = Event.objects.filter(scale_set=web10, kind=EventKind.INSTANCE_ACTION)
    assert [e.data["action"] for e in actions.order_by("id")] == ["powerOff", "start", "reimage"]
    assert {e.actor_name for e in actions} == {"operator"}
    watcher.locator("#log-filter").select_option("audit")
    watcher.locator("#log", has_text="reimage of instance 3").wait_for(timeout=10_000)
    page.context.close()
    watcher.context.close()
