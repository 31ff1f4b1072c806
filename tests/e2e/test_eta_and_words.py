"""Issue 10.6 and 10.8-10.9 in the browser: an overrunning batch says what it waits for, on the
wall clock ("waiting for instance 8 to be healthy (up to 0:01)"), never "in 0 s"; the cells
count down in wall-clock time; Find says when nothing matches; regional cells name their update
domain only; the status header gives the pause's reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from rollout.models import FaultKind, FaultRule, ScaleSet
from rollout.services.scale_sets.updates import enable_auto_upgrade
from tests.e2e.conftest import TIME_SCALE, Stack, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every text the status facts and the cell timers ever show, as they change.
RECORD = """() => {
  window.factTexts = new Set();
  window.timerTexts = new Set();
  const facts = document.getElementById("status-facts");
  new MutationObserver(() => window.factTexts.add(facts.innerText)).observe(
    facts, { childList: true, subtree: true, characterData: true });
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 3 ? r.target.parentElement : r.target;
      if (el && el.classList && el.classList.contains("cell-timer") && el.textContent) {
        window.timerTexts.add(el.textContent);
      }
    }
  }).observe(document.getElementById("grid"),
    { childList: true, subtree: true, characterData: true });
}"""


def test_b8_an_overrunning_batch_says_what_it_waits_for_on_the_wall_clock(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    web10 = fleet["web-10"]
    FaultRule.objects.create(
        scale_set=web10, kind=FaultKind.NEVER_HEALTHY, instance_ids=[8], created_at=timezone.now()
    )
    enable_auto_upgrade(web10, actor="test")
    page = log_in(browser, stack, "operator")
    page.goto(f"{stack.url}/scale-sets/{web10.pk}/")
    page.wait_for_selector("#live-status[data-status=live]")
    page.evaluate(RECORD)
    page.click("#start-button")
    page.wait_for_selector("#start-preview .plan-chip")
    page.check("input[name=kind][value=automatic]")
    page.wait_for_selector("#start-preview .plan-chip")
    page.click("#start-confirm")

    # Instance 8 waits out U4's health wait (5 minutes of Azure time, 1.5 s here).
    page.wait_for_function(
        """() => /waiting for instance 8 to be healthy \\(up to 0:0\\d\\)/
            .test(document.getElementById("status-facts").innerText)""",
        timeout=45_000,
    )
    note = page.locator(".fact:has-text('waiting for instance 8')")
    assert "of Azure time" in (note.get_attribute("title") or "")
    page.wait_for_selector(".status-badge[data-status=completed-failures]", timeout=30_000)

    facts = page.evaluate("[...window.factTexts]")
    assert not [text for text in facts if "in 0 s" in text], facts
    timers = page.evaluate("[...window.timerTexts]")
    assert timers, "no cell counted down"
    # Wall-clock: the 1.5 s wait shows as 0:00-0:02, never as Azure's 4:59.
    wait = 300 / TIME_SCALE
    seconds = [int(m) * 60 + int(s) for m, s in (t.split(":") for t in timers)]
    assert max(seconds) <= round(wait) + 1, timers

    # Find: an id the scale set does not have says so.
    page.fill("#find-instance", "5000")
    line = page.inner_text("#hover-line")
    assert line.startswith("No instance 5000 in this scale set"), line
    assert page.locator("#find-instance[aria-invalid]").count() == 1
    page.fill("#find-instance", "3")
    assert page.inner_text("#hover-line").startswith("Instance 3")
    page.context.close()


def test_regional_cells_name_their_update_domain_only(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    page = log_in(browser, stack, "viewer")
    page.goto(f"{stack.url}/scale-sets/{fleet['app-100'].pk}/")
    page.wait_for_selector("body[data-grid-ready]")
    metas = page.eval_on_selector_all("#grid .cell-meta", "ms => ms.map(m => m.textContent)")
    assert len(metas) == 100
    assert all(re.fullmatch(r"ud\d", meta) for meta in metas), sorted(set(metas))
    zoned = page.context.new_page()
    zoned.goto(f"{stack.url}/scale-sets/{fleet['web-10'].pk}/")
    zoned.wait_for_selector("body[data-grid-ready]")
    metas = zoned.eval_on_selector_all("#grid .cell-meta", "ms => ms.map(m => m.textContent)")
    assert all(re.fullmatch(r"z[123]·ud\d", meta) for meta in metas), metas
    page.context.close()


def test_b5_the_status_header_gives_the_pause_reason(
    browser: Any, stack: Stack, fleet: dict[str, ScaleSet]
) -> None:
    app100 = fleet["app-100"]
    page = log_in(browser, stack, "operator")
    page.goto(f"{stack.url}/scale-sets/{app100.pk}/")
    page.wait_for_selector("#live-status[data-status=live]")
    page.click("#start-button")
    page.wait_for_selector("#start-preview .plan-chip")
    page.click("#start-confirm")
    # The start's answer clears the shared reason field: fill it once the dialog has closed.
    page.wait_for_selector("#start-dialog", state="hidden")
    page.wait_for_selector('[data-op-control="pause"]:not([hidden])')
    page.fill("#action-reason", "change freeze until the release is signed off")
    page.click('[data-op-control="pause"] button')
    pause = page.locator('#status-facts [data-fact="pause"]')
    pause.wait_for()
    text = pause.inner_text()
    assert "change freeze until the release is signed off" in text
    assert "asked by operator" in text
    # It survives a reload: the reason comes from the event log the snapshot carries.
    page.reload()
    page.wait_for_selector("body[data-grid-ready]")
    assert "change freeze" in page.locator('#status-facts [data-fact="pause"]').inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click('[data-op-control="cancel"]:not([hidden]) button')
    page.wait_for_selector(".status-badge[data-status=cancelled]", timeout=30_000)
    page.context.close()
