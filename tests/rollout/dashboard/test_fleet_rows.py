"""``GET /fleet/rows/<id>/``: one row of the fleet table, rendered by the same partial as the
page (``_fleet_row.html``), which the page swaps in when an event concerns the scale set."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rollout.models import ScaleSet, UpgradeOperation
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.dashboard.test_dashboard_pages import page, table_row
from tests.support.fleets import add_scale_set as build_scale_set

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def fragment(client: Client, scale_set_id: int, **query: str) -> str:
    response = client.get(reverse("dashboard:fleet_row", args=[scale_set_id]), query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def without_csrf(html: str) -> str:
    """A form's CSRF token is masked anew at every render."""
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', html)


def upgrading(scale_set: ScaleSet) -> UpgradeOperation:
    operation = start_os_upgrade(scale_set)
    now = timezone.now()
    advance_once(operation.pk, now)  # plan
    advance_once(operation.pk, now)  # batch 1 starts
    operation.refresh_from_db()
    return operation


def test_it_needs_a_login(client, web10):
    response = client.get(reverse("dashboard:fleet_row", args=[web10.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_scale_set_is_not_found(viewer_client):
    assert viewer_client.get(reverse("dashboard:fleet_row", args=[999])).status_code == 404


@pytest.mark.parametrize("running", [False, True])
def test_the_row_is_the_one_the_page_renders(operator_client, web10, tiny3, running):
    if running:
        upgrading(web10)
    html = page(operator_client, "fleet")
    for scale_set in (web10, tiny3):
        row = fragment(operator_client, scale_set.pk).strip()
        assert row.startswith(f'<tr data-scale-set="{scale_set.pk}"') and row.endswith("</tr>")
        assert without_csrf(row) == without_csrf(table_row(html, scale_set.pk))


def test_a_running_upgrade_shows_in_its_row(viewer_client, web10):
    operation = upgrading(web10)
    row = fragment(viewer_client, web10.pk)
    assert row.split(">")[0].endswith(" data-upgrading")
    assert 'data-status="rolling"' in row and "Rolling forward" in row
    assert f"batch 1 of {operation.batch_count}" in row and "0/10 done" in row
    assert 'role="switch"' not in row  # a viewer's row has no switch


def test_the_row_carries_its_attention_items(viewer_client, tiny3, web10):
    row = fragment(viewer_client, tiny3.pk)
    items = row[row.index('<template data-part="attention">') : row.index("</template>")]
    assert f'<li class="attention-item sev-info" data-scale-set="{tiny3.pk}" data-rank="2"' in items
    assert 'data-name="tiny3"' in items and "Auto-upgrade would be refused" in items
    clear = fragment(viewer_client, web10.pk)
    assert '<template data-part="attention"></template>' in clear


def test_its_switch_returns_to_the_page_that_asked(operator_client, web10):
    row = fragment(operator_client, web10.pk, next="/?region=westeurope")
    assert 'name="next" value="/?region=westeurope"' in row
    elsewhere = fragment(operator_client, web10.pk, next="https://elsewhere.example/")
    assert 'name="next" value="/"' in elsewhere


def test_its_queries_do_not_grow_with_the_scale_set(
    operator_client, web10, resource_group, region, probe
):
    web40 = build_scale_set(
        resource_group, region, "web40", 40, zones=["1", "2", "3"], health_probe=probe
    )
    counts = []
    for scale_set in (web10, web40):
        upgrading(scale_set)
        fragment(operator_client, scale_set.pk)  # the session and the user, once
        with CaptureQueriesContext(connection) as queries:
            fragment(operator_client, scale_set.pk)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
