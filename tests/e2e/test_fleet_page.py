"""The fleet page in a real browser: the server renders every row, and the page swaps in the
row the server renders again when an event concerns a scale set (``/fleet/rows/<id>/``),
one fetch per burst."""

from __future__ import annotations

import time
from typing import Any

import pytest

from rollout.models import ScaleSet
from tests.e2e.conftest import Stack, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def row_fetches(page: Any, scale_set_id: int) -> list[float]:
    """Record when the page asks for the row of ``scale_set_id``."""
    started: list[float] = []
    path = f"/fleet/rows/{scale_set_id}/"
    page.on(
        "request", lambda request: started.append(time.monotonic()) if path in request.url else None
    )
    return started


def test_a_row_and_the_strip_follow_the_server(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    api5 = fleet["api-5"]
    operator = log_in(browser, stack, "operator")
    page = operator.context.new_page()
    page.goto(f"{stack.url}/")
    page.wait_for_selector("#live-status[data-status=live]")
    row = page.locator(f'tr[data-scale-set="{api5.pk}"]')
    strip_items = page.locator(f'.attention-list [data-scale-set="{api5.pk}"]')
    assert strip_items.count() == 0
    before = int(page.inner_text(".attention .count"))
    fetches = row_fetches(page, api5.pk)

    # Start a manual upgrade of api-5 and cancel it (U10), from its own page.
    operator.goto(f"{stack.url}/scale-sets/{api5.pk}/")
    operator.wait_for_selector("#live-status[data-status=live]")
    operator.click("#start-button")
    operator.wait_for_selector("#start-preview .plan-chip")
    operator.click("#start-confirm")
    operator.on("dialog", lambda dialog: dialog.accept())
    operator.click('[data-op-control="cancel"]:not([hidden]) button')

    row.locator(".status-badge.status-cancelled").wait_for()
    strip_items.filter(has_text="Upgrade cancelled").wait_for()
    assert int(page.inner_text(".attention .count")) == before + 1
    assert page.inner_text("#fleet-upgrading") == "0"
    assert fetches, "the events refetched the row"

    # A burst of refreshes is one fetch; another within 250 ms waits for its turn. The worker may
    # still commit the cancelled upgrade's last events (each refetches the row): wait for a quiet
    # second first, so that the fetches counted are the burst's only.
    deadline = time.monotonic() + 15
    while True:
        fetches.clear()
        page.wait_for_timeout(1000)
        if not fetches or time.monotonic() > deadline:
            break
    assert not fetches, "the row kept refetching with nothing happening"
    burst = f"() => {{ for (let i = 0; i < 50; i++) window.rollwright.refresh({api5.pk}); }}"
    page.evaluate(burst)
    page.wait_for_timeout(100)
    page.evaluate(burst)
    page.wait_for_timeout(800)
    assert len(fetches) == 2, fetches
    assert fetches[1] - fetches[0] >= 0.2
    page.context.close()


def test_a_swapped_in_switch_still_works(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    web10 = fleet["web-10"]
    page = log_in(browser, stack, "operator")
    page.wait_for_selector("#live-status[data-status=live]")
    switch = f'tr[data-scale-set="{web10.pk}"] .switch'
    page.evaluate(f"() => {{ window.oldRow = document.querySelector('{switch}').closest('tr'); }}")
    page.click(switch)
    page.wait_for_selector(f'{switch}[aria-checked="true"]')
    page.wait_for_function("() => !document.contains(window.oldRow)")  # swapped in
    assert page.locator(switch).get_attribute("aria-checked") == "true"  # the server's word
    page.evaluate("() => { window.samePage = true; }")
    page.click(switch)  # the new row's switch: posted by the script, not by a page load
    page.wait_for_selector(f'{switch}[aria-checked="false"]')  # once the POST succeeded
    assert page.evaluate("() => window.samePage") is True
    assert ScaleSet.objects.get(pk=web10.pk).enable_automatic_os_upgrade is False
    page.context.close()
