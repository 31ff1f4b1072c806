"""The pages: a login for everything, buttons for operators only, the grid's hooks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollout.demo.fleet import DEMO_SUBSCRIPTION
from rollout.models import FaultKind, FaultRule, ScaleSet, StartedBy
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import automatic
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db


def page(client: Client, name: str, *args: int, **query: str) -> str:
    response = client.get(reverse(f"dashboard:{name}", args=args), query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def embedded(html: str, element_id: str) -> dict:
    start = html.index(f'id="{element_id}"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def table_row(html: str, scale_set_id: int) -> str:
    """The ``<tr>`` of one scale set in a page or a fragment."""
    start = html.index(f'<tr data-scale-set="{scale_set_id}"')
    return html[start : html.index("</tr>", start) + len("</tr>")]


def run_to_end(operation_id: int) -> None:
    now = timezone.now()
    for _ in range(500):
        recheck = advance_once(operation_id, now)
        if recheck is None:
            return
        now = max(now, recheck)
    raise AssertionError("the upgrade did not end")


@pytest.mark.parametrize(
    "path",
    ["/", "/scale-sets/1/", "/scale-sets/1/preview/", "/scale-sets/1/history/"],
)
def test_every_page_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_login_page_logs_in_and_out(client, operator):
    assert "Log in to Rollwright" in page(client, "login")
    response = client.post("/login/", {"username": "olivia", "password": "rollwright-test"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.post("/logout/")
    assert response["Location"] == reverse("dashboard:login")
    assert client.get("/").status_code == 302


class TestFleet:
    def test_it_lists_every_scale_set_with_its_image_and_toggle(self, operator_client, demo):
        html = page(operator_client, "fleet")
        for name in ("web-10", "fleet-1000", "win-iis"):
            assert f">{name}</a>" in html
        assert html.count('role="switch"') == len(demo)
        web10 = table_row(html, demo["web-10"].pk)
        assert 'data-auto-upgrade="false"' in web10 and 'aria-checked="false"' in web10
        assert "refusal-hint" not in web10  # auto-upgrade off, and turning it on is allowed
        assert 'class="pill pill-new"' in web10  # a newer image than the instances run
        assert 'id="fleet-table" data-last-event-id="' in html

    def test_e2_the_strip_names_enablements_that_would_be_refused(self, operator_client, demo):
        html = page(operator_client, "fleet")
        strip = html[
            html.index('id="attention-list"') : html.index("</ul>", html.index("attention-list"))
        ]
        assert "win-iis" in strip and "legacy-noprobe" in strip
        assert "enableAutomaticUpdates" in strip

    def test_the_strip_names_faulted_upgrades_and_rolled_back_instances(
        self, operator_client, web10, settings
    ):
        settings.ROLLWRIGHT_TIME_SCALE = 600.0
        FaultRule.objects.create(
            scale_set=web10,
            kind=FaultKind.NEVER_HEALTHY,
            instance_ids=[0],
            created_at=timezone.now(),
        )
        ScaleSet.objects.filter(pk=web10.pk).update(enable_automatic_os_upgrade=True)
        operation = start_os_upgrade(automatic(web10), started_by=StartedBy.PLATFORM)
        run_to_end(operation.pk)
        html = page(operator_client, "fleet")
        assert "Upgrade faulted" in html
        assert "MaxUnhealthy" in html

    def test_filters_by_region_and_state(self, operator_client, demo):
        html = page(operator_client, "fleet", region="japaneast")
        assert ">fleet-1000</a>" in html and ">web-10</a>" not in html
        html = page(operator_client, "fleet", state="auto_off")
        assert ">web-10</a>" in html and ">fleet-1000</a>" not in html

    def test_a_viewer_sees_no_switch(self, viewer_client, demo):
        html = page(viewer_client, "fleet")
        assert 'role="switch"' not in html
        assert "Auto-upgrade off" in html
        assert '<span class="role role-viewer" title="Reader of /">Reader</span>' in html


class TestLivePage:
    def test_an_operator_sees_the_buttons(self, operator_client, web10):
        html = page(operator_client, "scale_set", web10.pk)
        for hook in ('id="start-button"', 'data-action="pause"', 'data-action="cancel"'):
            assert hook in html
        assert 'role="switch"' in html

    def test_a_viewer_sees_no_button(self, viewer_client, web10):
        html = page(viewer_client, "scale_set", web10.pk)
        for hook in ('id="start-button"', "data-action=", 'role="switch"', "start-dialog"):
            assert hook not in html

    def test_the_snapshot_is_embedded_for_the_first_paint(self, operator_client, web10):
        snapshot = embedded(page(operator_client, "scale_set", web10.pk), "live-snapshot")
        assert [cell["id"] for cell in snapshot["instances"]] == [str(i) for i in range(10)]
        assert {cell["state"] for cell in snapshot["instances"]} == {"idle"}
        assert snapshot["operation"] is None

    def test_the_admin_link_is_for_staff(self, operator_client, operator, web10):
        assert "/admin/" not in page(operator_client, "scale_set", web10.pk)
        operator.is_staff = True
        operator.save()
        assert 'href="/admin/"' in page(operator_client, "scale_set", web10.pk)


def test_b1_preview_shows_every_batch_and_the_expected_duration(operator_client, web10):
    html = page(operator_client, "preview", web10.pk)
    assert html.count("<tr data-batch=") >= 5
    assert "Expected duration" in html
    assert "Start the manual OS upgrade" in html
    fragment = page(operator_client, "preview", web10.pk, fragment="1")
    assert "<html" not in fragment and "plan-chip" in fragment


def test_h1_history_lists_upgrades_with_azure_fields_and_a_replay_link(
    operator_client, web10, settings
):
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    operation = start_os_upgrade(web10)
    run_to_end(operation.pk)
    html = page(operator_client, "history", web10.pk)
    assert f'data-operation="{operation.pk}"' in html
    assert 'data-status="Completed"' in html
    assert reverse("dashboard:replay", args=[web10.pk, operation.pk]) in html
    for field in ("runningStatus", "startTime", "endTime", "startedBy", "rollbackInfo"):
        assert field in html


def test_b3_replay_embeds_the_upgrades_events_in_order(operator_client, web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    operation = start_os_upgrade(web10)
    run_to_end(operation.pk)
    data = embedded(page(operator_client, "replay", web10.pk, operation.pk), "replay-data")
    ids = [event["id"] for event in data["events"]]
    assert ids == sorted(ids)
    assert data["events"][0]["kind"] == "upgrade_started"
    assert "upgrade_finished" in [event["kind"] for event in data["events"][-2:]]
    assert len(data["start"]["instances"]) == 10


def test_b2_rehearsal_lists_rules_and_offers_scenarios(operator_client, viewer_client, web10):
    FaultRule.objects.create(
        scale_set=web10,
        kind=FaultKind.UNHEALTHY_AFTER,
        seconds=120,
        share=0.25,
        created_at=timezone.now() - timedelta(minutes=1),
    )
    html = page(operator_client, "rehearsal", web10.pk)
    assert "unhealthy again after 120 s: 25% of the instances" in html
    assert "data-preset=" in html and "Add the rule" in html
    assert "Add the rule" not in page(viewer_client, "rehearsal", web10.pk)


def test_t5_the_fleet_and_the_scale_set_page_say_why_the_next_automatic_upgrade_waits(client, demo):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("watcher", password="pw")
    grant(user, "Reader", f"/subscriptions/{DEMO_SUBSCRIPTION}")
    client.force_login(user)
    row = client.get(reverse("dashboard:fleet_row", args=[demo["api-5"].pk])).content.decode()
    line = row[row.index('<p class="next-upgrade"') : row.index("</p>", row.index("next-upgrade"))]
    assert "hidden" not in line.split(">")[0] and "data-code=" in line
    assert line.split('title="')[1][:2] in {"T1", "T4", "T5", "T6", "T7"}
    off = client.get(reverse("dashboard:fleet_row", args=[demo["web-10"].pk])).content.decode()
    assert '<p class="next-upgrade" data-part="next" hidden></p>' in off  # auto-upgrade off
    page = client.get(reverse("dashboard:scale_set", args=[demo["api-5"].pk]))
    assert "Next automatic upgrade" in page.content.decode()
