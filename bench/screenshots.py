"""The README's screenshots, taken from a real run: ``.venv/bin/python bench/screenshots.py``.

1. Seeds the demo fleet on a throw-away database and starts daphne and a Celery worker (the
   harness of tests/support), time running 30 times faster than Azure's.
2. Sets a rehearsal going the way an operator would, through the services with a user and a
   reason: web-10 gets auto-upgrade and a VM that never becomes healthy on the new image (B2),
   jobs-sas runs into its expired SAS token (U9), sf-silver is cancelled (U10), api-5 and
   app-100 finish, fleet-1000 rolls.
3. Photographs, in headless Chromium, 1440 px wide: the fleet page and the live grid
   mid-rollout (``docs/screenshots/fleet.png``, ``live-grid.png``: web-10, a VM rolled back,
   a batch waiting for health; ``live-grid-1000.png``: fleet-1000 mid-rollout), web-10's
   history once it ended (``history.png``), a preview (``preview.png``) and the admin
   (``admin.png``); and each again on a 390 x 844 phone (``*-390.png``), with the Start
   dialog (``start-dialog-390.png``). ``--out DIR`` writes them elsewhere (to try the script
   without touching the README's pictures).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Stack,
    chromium_launch_options,
    log_in,
    scratch_rollwright,
    wait_until,
)

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = (1440, 1000)


def set_the_scene() -> dict[str, int]:
    """Upgrades in every state the fleet page can show; returns scale set ids by name."""
    from django.contrib.auth import get_user_model

    from rollout.models import RunningStatus, ScaleSet, StartedBy, UpgradeOperation
    from rollout.services import enable_auto_upgrade
    from rollout.services.gallery.images import latest_available_version
    from rollout.services.scale_sets.fault_rules import add_fault_rule
    from rollout.services.upgrades.operations import cancel_upgrade, start_os_upgrade

    operator = get_user_model().objects.get(username="operator")
    sets = {s.name: s for s in ScaleSet.objects.all()}
    platform = {"started_by": StartedBy.PLATFORM}
    start_os_upgrade(sets["api-5"], actor="Platform", **platform)
    start_os_upgrade(sets["jobs-sas"], actor="Platform", **platform)
    cancelled = start_os_upgrade(sets["sf-silver"], actor=operator, reason="change freeze")
    web10 = sets["web-10"]
    enable_auto_upgrade(web10, actor=operator, reason="November patch window")
    web10.refresh_from_db()  # the service saved it: an automatic upgrade needs it on
    target = latest_available_version(web10)
    assert target is not None
    add_fault_rule(
        web10,
        kind="never_healthy",
        instance_ids=[4],
        image_version=target.version,
        actor=operator,
        reason="rehearse U4: a VM the new image breaks",
    )
    start_os_upgrade(web10, actor=operator, reason="roll November now", **platform)
    start_os_upgrade(sets["app-100"], actor=operator, reason="app-100 hotfix image")
    wait_until(
        lambda: UpgradeOperation.objects.filter(pk=cancelled.pk, batch_count__gt=0).exists(),
        30,
        "sf-silver's plan",
    )
    cancel_upgrade(sets["sf-silver"], actor=operator, reason="change freeze: not this week")
    wait_until(
        lambda: (
            UpgradeOperation.objects.filter(
                scale_set__name__in=["api-5", "jobs-sas", "sf-silver"],
                status__in=[
                    RunningStatus.COMPLETED,
                    RunningStatus.FAULTED,
                    RunningStatus.CANCELLED,
                ],
            ).count()
            == 3
        ),
        120,
        "api-5, jobs-sas and sf-silver to end",
    )
    start_os_upgrade(sets["fleet-1000"], actor="Platform", **platform)
    return {name: scale_set.pk for name, scale_set in sets.items()}


PHONE = (390, 844)


def shoot(page: Any, out: Path, name: str, *, full_page: bool = False) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / name), full_page=full_page)
    print(f"wrote {out / name}")


def photograph(stack: Stack, ids: dict[str, int], out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from rollout.models import RunningStatus, UpgradeOperation
    from tests.support.fleets import DEMO_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options())
        page = log_in(browser, stack.url, "operator", DEMO_PASSWORD, viewport=VIEWPORT)
        phone = log_in(browser, stack.url, "operator", DEMO_PASSWORD, viewport=PHONE)

        # fleet-1000 early: a few batches done, one running (waiting for health), more to come.
        page.set_viewport_size({"width": VIEWPORT[0], "height": 1200})
        page.goto(f"{stack.url}/scale-sets/{ids['fleet-1000']}/")
        page.wait_for_selector(
            '#grid [data-batch-state="running"] [data-state="waiting_for_health"]',
            timeout=180_000,
        )
        shoot(page, out, "live-grid-1000.png")

        # web-10: a VM rolled back (U4), a later batch waiting for health (the countdown).
        page.set_viewport_size({"width": VIEWPORT[0], "height": 1250})
        live = f"{stack.url}/scale-sets/{ids['web-10']}/"
        page.goto(live)
        phone.goto(live)
        page.wait_for_selector(
            '#grid [data-instance-id="4"][data-state="rolled_back"]', timeout=120_000
        )
        page.wait_for_selector('#grid [data-state="waiting_for_health"]', timeout=60_000)
        shoot(page, out, "live-grid.png")
        phone.wait_for_selector('#grid [data-state="waiting_for_health"]', timeout=60_000)
        shoot(phone, out, "live-grid-390.png")

        page.set_viewport_size({"width": VIEWPORT[0], "height": 1100})
        for shot, url in (("fleet", f"{stack.url}/"),):
            page.goto(url)
            page.wait_for_selector("#live-status[data-status=live]")
            page.wait_for_timeout(1200)
            shoot(page, out, f"{shot}.png")
            phone.goto(url)
            phone.wait_for_selector("#live-status[data-status=live]")
            shoot(phone, out, f"{shot}-390.png")

        # web-10's history once it ended (a VM rolled back: "Completed with failures").
        wait_until(
            lambda: UpgradeOperation.objects.filter(
                scale_set_id=ids["web-10"], status=RunningStatus.COMPLETED
            ).exists(),
            120,
            "web-10 to end",
        )
        page.set_viewport_size({"width": VIEWPORT[0], "height": 700})
        pages = (
            ("history", f"{stack.url}/scale-sets/{ids['web-10']}/history/"),
            ("preview", f"{stack.url}/scale-sets/{ids['batch-6']}/preview/"),
            ("admin", f"{stack.url}/admin/"),
        )
        for shot, url in pages:
            page.goto(url)
            shoot(page, out, f"{shot}.png")
            phone.goto(url)
            shoot(phone, out, f"{shot}-390.png")
        # The Start dialog on a phone: the plan, the reason and both buttons fit.
        phone.goto(f"{stack.url}/scale-sets/{ids['batch-6']}/")
        phone.wait_for_selector("body[data-grid-ready]")
        phone.click("#start-button")
        phone.wait_for_selector("#start-preview .plan-chip")
        shoot(phone, out, "start-dialog-390.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="default: an idle Redis database")
    parser.add_argument("--time-scale", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    args = parser.parse_args()
    with scratch_rollwright(
        database_url=args.database_url, redis_url=args.redis_url, time_scale=args.time_scale
    ) as scratch:
        from tests.support.fleets import demo_fleet

        demo_fleet(admin=True)
        with Stack(scratch.env) as stack:
            stack.start(web=True, workers=1, concurrency=4)
            photograph(stack, set_the_scene(), args.out)


if __name__ == "__main__":
    main()
