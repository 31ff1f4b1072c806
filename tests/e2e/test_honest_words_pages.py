"""Issue 10.4, honest words: an upgrade or a batch with failed or rolled-back instances is never
shown as plain success (no green "Completed", no "Batch 4 ✓"), on the fleet page, the live
page, the history and the replay. The upgrade runs in this process, step by step (instant), and
the pages read what it committed."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from rollout.models import FaultKind, FaultRule, ScaleSet, StartedBy, UpgradeOperation
from rollout.services.scale_sets.updates import enable_auto_upgrade
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.e2e.conftest import Stack, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_to_end(operation_id: int) -> None:
    now = timezone.now()
    for _ in range(500):
        recheck = advance_once(operation_id, now)
        if recheck is None:
            return
        now = max(now, recheck)
    raise AssertionError("the upgrade did not end")


def completed_with_a_rollback(web10: ScaleSet) -> UpgradeOperation:
    """web-10's automatic upgrade in which instance 8 (a late batch) is never healthy: rolled
    back after U4's wait, 1 of 10 is within U5's 20%, so the upgrade completes."""
    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[8], created_at=timezone.now()
    )
    enable_auto_upgrade(web10, actor="test")
    web10.refresh_from_db()
    operation = start_os_upgrade(web10, started_by=StartedBy.PLATFORM)
    run_to_end(operation.pk)
    operation.refresh_from_db()
    assert operation.status == "Completed"
    assert operation.rolled_back_instance_count == 1
    return operation


def test_honest_words_a_completed_upgrade_with_a_rollback_is_not_plain_success(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet], settings: Any
) -> None:
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    web10 = fleet["web-10"]
    operation = completed_with_a_rollback(web10)
    page = log_in(browser, stack, "operator")

    # The fleet page: amber, with the count, never the green "Completed".
    row = page.locator(f'tr[data-scale-set="{web10.pk}"]')
    badge = row.locator(".status-badge")
    assert badge.get_attribute("class") == "status-badge status-completed-failures"
    assert badge.inner_text().strip() == "Completed with failures: 1 rolled back"
    assert badge.evaluate("b => getComputedStyle(b).color") != page.locator("body").evaluate(
        "() => getComputedStyle(document.querySelector('.status-completed') || document.body).color"
    )

    # The live page: the status, and the batch holding instance 8 (no ✓).
    page.goto(f"{stack.url}/scale-sets/{web10.pk}/")
    page.wait_for_selector("body[data-grid-ready]")
    status = page.locator("#status-line .status-badge")
    assert status.get_attribute("data-status") == "completed-failures"
    assert "1 rolled back" in status.inner_text()
    batch8 = page.locator('#grid [data-batch]:has([data-instance-id="8"])')
    assert batch8.get_attribute("data-batch-outcome") == "failures"
    assert "1 rolled back" in batch8.locator("[data-batch-status]").inner_text()
    mark = batch8.locator(".batch-title").evaluate("t => getComputedStyle(t, '::after').content")
    assert "✓" not in mark
    others = page.locator('#grid [data-batch]:not(:has([data-instance-id="8"]))')
    assert set(others.evaluate_all("bs => bs.map(b => b.dataset.batchOutcome)")) == {"succeeded"}
    page.select_option("#log-filter", "all")
    assert "Completed with failures: 1 rolled back" in page.inner_text("#log")

    # History: the same words, in a column named in words.
    page.goto(f"{stack.url}/scale-sets/{web10.pk}/history/")
    history = page.locator(f'#history-table tr[data-operation="{operation.pk}"]')
    assert history.get_attribute("data-status") == "Completed"  # Azure's code, for tools
    assert "Completed with failures: 1 rolled back" in history.locator(".status-badge").inner_text()
    assert "1 rolled back" in history.inner_text()
    # Issue 10.7: the longer status still leaves History's Replay link on screen at 1440 px.
    replay = history.locator("text=Replay").evaluate("a => a.getBoundingClientRect().right")
    assert replay <= 1440
    assert page.evaluate("() => document.querySelector('.table-wrap').scrollWidth") <= (
        page.evaluate("() => document.querySelector('.table-wrap').clientWidth") + 1
    )

    # Replay: played to its end, it says the same.
    history.locator("text=Replay").click()
    page.wait_for_selector("body[data-grid-ready]")
    page.evaluate("() => window.rollwright.seek(window.rollwright.end)")
    status = page.locator("#status-line .status-badge")
    assert status.get_attribute("data-status") == "completed-failures"
    assert batch8.get_attribute("data-batch-outcome") == "failures"
    page.context.close()
