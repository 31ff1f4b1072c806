"""Issue 10.7, layout: the boxes measured in Chromium at 1440, 1280 and 390 px wide. A refusal
does not widen the fleet table, the needs-attention cards wrap long words, History's Replay
link is on screen with its headers in words, and on a phone the header and the Start dialog
fit the viewport."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rollout.models import ScaleSet
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.e2e.conftest import PASSWORD, Stack
from tests.support import log_in as log_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDE = [(1440, 900), (1280, 800)]
PHONE = (390, 844)


def log_in(browser: Any, stack: Stack, viewport: tuple[int, int], user: str = "operator") -> Any:
    return log_in_as(browser, stack.url, user, PASSWORD, viewport=viewport, timeout_ms=15_000)


def box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; }"
    )


def page_width(page: Any) -> float:
    return page.evaluate("() => document.documentElement.scrollWidth")


def finished_upgrade(scale_set: ScaleSet) -> None:
    operation = start_os_upgrade(scale_set)
    now = timezone.now()
    for _ in range(500):
        recheck = advance_once(operation.pk, now)
        if recheck is None:
            return
        now = max(now, recheck)


@pytest.mark.parametrize("viewport", WIDE, ids=lambda v: f"{v[0]}px")
def test_layout_a_refusal_does_not_widen_the_fleet_table(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet], viewport: tuple[int, int]
) -> None:
    page = log_in(browser, stack, viewport)
    wrap = page.locator(".table-wrap").first
    before = box(page, ".fleet-table")
    # E2: win-iis's enablement is refused; the message shows in its row.
    row = page.locator(f'tr[data-scale-set="{fleet["win-iis"].pk}"]')
    row.locator(".switch").click()
    row.locator("[data-refusal]:not([hidden])").wait_for()
    assert "enableAutomaticUpdates" in row.locator("[data-refusal]").inner_text()
    after = box(page, ".fleet-table")
    assert after["width"] <= before["width"] + 1, (before, after)
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1"), "the table scrolls sideways"
    upgrade = box(page, f'tr[data-scale-set="{fleet["web-10"].pk}"] [data-cell=upgrade]')
    assert upgrade["right"] <= viewport[0], upgrade
    assert page_width(page) <= viewport[0]

    # The needs-attention cards: no word runs past its card.
    overflowing = page.eval_on_selector_all(
        ".attention-item",
        "items => items.filter(i => [...i.querySelectorAll('*:not(.visually-hidden)')].some("
        "e => e.getBoundingClientRect().right > i.getBoundingClientRect().right + 1"
        " || e.scrollWidth > e.clientWidth + 1)).map(i => i.dataset.name)",
    )
    assert overflowing == []
    page.context.close()


@pytest.mark.parametrize("viewport", WIDE, ids=lambda v: f"{v[0]}px")
def test_layout_history_shows_replay_and_words(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet], viewport: tuple[int, int]
) -> None:
    api5 = fleet["api-5"]
    finished_upgrade(api5)
    page = log_in(browser, stack, viewport)
    page.goto(f"{stack.url}/scale-sets/{api5.pk}/history/")
    replay = box(page, "#history-table a:has-text('Replay')")
    assert replay["left"] >= 0 and replay["right"] <= viewport[0], replay
    assert page_width(page) <= viewport[0]
    headers = page.eval_on_selector_all(
        "#history-table thead th", "ths => ths.map(t => t.innerText)"
    )
    assert headers[:8] == [
        "Status",
        "Started",
        "Ended",
        "Started by",
        "Target image",
        "Instances",
        "Rollbacks",
        "Error",
    ]
    counts = page.locator("#history-table tbody tr").first.locator("td.counts").first.inner_text()
    assert "5 succeeded" in counts and " / " not in counts
    page.context.close()


def test_layout_on_a_phone_the_header_and_the_start_dialog_fit(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    width, height = PHONE
    get_user_model().objects.filter(username="operator").update(is_staff=True)  # has "Admin"
    page = log_in(browser, stack, PHONE)
    for selector in (".topbar a.toplink", ".topbar button.toplink"):  # Admin, Log out
        found = box(page, selector)
        assert found["left"] >= 0 and found["right"] <= width, (selector, found)
    assert page_width(page) <= width

    page.goto(f"{stack.url}/scale-sets/{fleet['web-10'].pk}/")
    page.wait_for_selector("body[data-grid-ready]")
    for selector in (".topbar a.toplink", ".topbar button.toplink"):
        found = box(page, selector)
        assert found["right"] <= width, (selector, found)
    page.click("#start-button")
    page.wait_for_selector("#start-preview .plan-chip")
    dialog = box(page, "#start-dialog")
    assert dialog["left"] >= 0 and dialog["right"] <= width, dialog
    assert dialog["top"] >= 0 and dialog["bottom"] <= height, dialog
    # Everything in it can be reached: the confirm button scrolls into the viewport.
    page.locator("#start-confirm").scroll_into_view_if_needed()
    confirm = box(page, "#start-confirm")
    assert confirm["right"] <= width and confirm["bottom"] <= height, confirm
    assert page.locator("#start-dialog").evaluate(
        "d => d.querySelector('.dialog-form').scrollWidth <= d.clientWidth + 1"
    )
    page.context.close()
