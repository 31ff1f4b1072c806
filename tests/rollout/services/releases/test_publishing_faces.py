"""The faces of publishing and of releases: the ARM route, the management commands and the
admin all call the same services, and record who and why (B7)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from rollout.models import (
    Event,
    EventKind,
    GalleryImage,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    Release,
    ReleaseStatus,
    ReplicationState,
)
from rollout.services.access.tokens import issue_token
from rollout.services.releases.publishing import publish_image_version
from tests.rollout.services.releases.fleet import NEW, UBUNTU, Fleet
from tests.support.fleets import grant

pytestmark = pytest.mark.django_db

SUBSCRIPTION = "00000000-0000-0000-0000-0000000f1ee7"
SKU_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{{location}}/publishers/"
    f"{UBUNTU[0]}/artifacttypes/vmimage/offers/{UBUNTU[1]}/skus/{UBUNTU[2]}/versions/{{version}}"
)


def token_for(user: Any, *, operator: bool) -> str:
    grant(user, "Contributor" if operator else "Reader")
    return issue_token(user, "tests")[1]


def put(token: str, location: str, version: str, body: Any) -> Any:
    return Client().put(
        SKU_PATH.format(location=location, version=version) + "?api-version=2026-04-01",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# The ARM route


def test_the_arm_route_publishes_a_version_and_answers_with_its_release(
    fleet: Fleet, django_user_model: Any
) -> None:
    fleet.add("we-2", "westeurope", 2)
    fleet.add("eus-3", "eastus", 3)
    token = token_for(django_user_model.objects.create_user("publisher"), operator=True)
    response = put(token, "westeurope", NEW, {"properties": {"reason": "December image"}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == NEW and body["location"] == "westeurope"
    assert body["properties"]["rollwrightRelease"]["phases"] == [["westeurope"]]
    event = Event.objects.get(kind=EventKind.IMAGE_PUBLISHED)
    assert (event.actor_name, event.reason) == ("publisher", "December image")
    again = put(token, "westeurope", NEW, {"properties": {"regions": ["eastus"]}})
    assert again.status_code == 200
    assert again.json()["properties"]["rollwrightRelease"]["phases"] == [
        ["westeurope"],
        ["eastus"],
    ]
    got = Client().get(
        SKU_PATH.format(location="eastus", version=NEW) + "?api-version=2026-04-01",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200  # H2: now available in eastus too


def test_the_arm_route_refuses_viewers_and_unknown_skus(
    fleet: Fleet, django_user_model: Any
) -> None:
    viewer = token_for(django_user_model.objects.create_user("viewer"), operator=False)
    assert put(viewer, "westeurope", NEW, {}).status_code == 403
    operator = token_for(django_user_model.objects.create_user("op"), operator=True)
    response = Client().put(
        SKU_PATH.replace(UBUNTU[2], "99_99-LTS").format(location="westeurope", version=NEW)
        + "?api-version=2026-04-01",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {operator}"},
    )
    assert response.status_code == 404
    bad = put(operator, "westeurope", "not-a-version", {})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "version"
    assert not Release.objects.exists()


# The commands


def test_publish_image_version_command_prints_the_plan_and_releases_shows_it(fleet: Fleet) -> None:
    fleet.add("we-2", "westeurope", 2)
    fleet.add("ne-5", "northeurope", 5)
    out = run(
        "publish_image_version",
        *UBUNTU,
        NEW,
        "--reason",
        "December",
        "--region",
        "westeurope",
        "--region",
        "northeurope",
    )
    assert f"Published {UBUNTU[0]}:{UBUNTU[1]}:{UBUNTU[2]}:{NEW}" in out
    assert "phase 1: westeurope; phase 2: northeurope" in out
    release = Release.objects.get()
    shown = run("releases", "show", str(release.pk))
    assert "phase 1: westeurope (running)" in shown and "ne-5" in shown
    assert "T1: phase 2 of 2 not started" in run("releases", "next", "-g", "rg-fleet", "-n", "ne-5")
    assert "Stopped" in run("releases", "stop", str(release.pk), "--reason", "hold on")
    assert "Rolling" in run("releases", "resume", str(release.pk))
    assert str(release.pk) in run("releases", "list")


def test_maintenance_configuration_command_creates_and_assigns_a_window(fleet: Fleet) -> None:
    scale_set = fleet.add("web-3", "westeurope", 3)
    out = run(
        "maintenance_configuration",
        "create",
        "nightly",
        "-g",
        "rg-fleet",
        "--location",
        "westeurope",
        "--start",
        "2026-01-05 02:00",
        "--duration",
        "06:00",
        "--time-zone",
        "Europe/Paris",
        "--recur-every",
        "Week Saturday,Sunday",
    )
    assert "Created nightly" in out and "next window" in out
    run("maintenance_configuration", "assign", "nightly", "-g", "rg-fleet", "--scale-set", "web-3")
    assert MaintenanceConfigurationAssignment.objects.get().scale_set == scale_set
    run("maintenance_configuration", "unassign", "-g", "rg-fleet", "--scale-set", "web-3")
    assert not MaintenanceConfigurationAssignment.objects.exists()
    with pytest.raises(Exception, match="lasts 05:00 to 23:55"):
        run(
            "maintenance_configuration",
            "create",
            "short",
            "-g",
            "rg-fleet",
            "--location",
            "westeurope",
            "--start",
            "2026-01-05 02:00",
            "--duration",
            "02:00",
        )


def test_gallery_commands_publish_and_steer_replication(fleet: Fleet) -> None:
    image: GalleryImage = fleet.gallery_image()
    out = run(
        "publish_gallery_image_version",
        "1.2.0",
        "-g",
        "rg-fleet",
        "--gallery",
        "fleetGallery",
        "--image",
        "web-app",
        "--target-region",
        "eastus",
        "--reason",
        "hotfix",
    )
    assert "replicating to eastus, westeurope" in out
    assert Event.objects.get(kind=EventKind.IMAGE_PUBLISHED).reason == "hotfix"
    steer = (
        "gallery_replication",
        "1.2.0",
        "-g",
        "rg-fleet",
        "--gallery",
        "fleetGallery",
        "--image",
        "web-app",
    )
    shown = run(*steer, "--fail", "eastus")
    assert "eastus           Failed" in shown
    run(*steer, "--complete", "westeurope")
    version = image.versions.get(name="1.2.0")
    states = dict(version.replicas.values_list("region__name", "state"))
    assert states == {"eastus": ReplicationState.FAILED, "westeurope": ReplicationState.COMPLETED}
    run(*steer, "--restart", "eastus")
    assert version.replicas.get(region__name="eastus").state == ReplicationState.REPLICATING


# The admin


@pytest.fixture
def admin(django_user_model: Any) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_the_admin_publishes_a_release_and_shows_it(fleet: Fleet, admin: Client) -> None:
    fleet.add("we-2", "westeurope", 2)
    response = admin.post(
        "/admin/rollout/release/add/",
        {"image": fleet.image.pk, "version": NEW, "reason": "from the admin"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    release = Release.objects.get()
    assert release.created_by_name == "root" and release.reason == "from the admin"
    page = admin.get(f"/admin/rollout/release/{release.pk}/change/")
    assert page.status_code == 200 and "we-2" in page.content.decode()
    admin.post(
        "/admin/rollout/release/",
        {"action": "stop_selected", "_selected_action": [release.pk]},
    )
    release.refresh_from_db()
    assert release.status == ReleaseStatus.STOPPED
    refused = admin.post(
        "/admin/rollout/release/add/", {"image": fleet.image.pk, "version": "22.04.202601010"}
    )
    assert refused.status_code == 200 and "not the newest version" in refused.content.decode()
    assert Release.objects.count() == 1


def test_the_admin_checks_maintenance_windows_through_the_service(
    fleet: Fleet, admin: Client
) -> None:
    values = {
        "resource_group": fleet.group.pk,
        "name": "nightly",
        "location": fleet.regions["westeurope"].pk,
        "maintenance_scope": "OSImage",
        "start_date": "2026-01-05",
        "start_time": "02:00",
        "duration": "04:00:00",
        "time_zone": "Europe/Paris",
        "recur_every": "Day",
    }
    refused = admin.post("/admin/rollout/maintenanceconfiguration/add/", values)
    assert refused.status_code == 200
    assert not MaintenanceConfiguration.objects.exists()
    accepted = admin.post(
        "/admin/rollout/maintenanceconfiguration/add/", {**values, "duration": "05:00:00"}
    )
    assert accepted.status_code == 302
    assert Event.objects.filter(kind=EventKind.MAINTENANCE_CONFIGURED).get().actor_name == "root"


def test_the_admin_lists_replications_and_fails_one(fleet: Fleet, admin: Client) -> None:
    image = fleet.gallery_image()
    publish_image_version(*UBUNTU, NEW)  # unrelated; the list still renders
    from rollout.services.gallery.publishing import TargetRegionSpec, publish_gallery_image_version

    version, _ = publish_gallery_image_version(
        image, "1.2.0", "westeurope", target_regions=[TargetRegionSpec("eastus")]
    )
    page = admin.get("/admin/rollout/galleryreplication/")
    assert page.status_code == 200 and "1.2.0" in page.content.decode()
    eastus = version.replicas.get(region__name="eastus")
    admin.post(
        "/admin/rollout/galleryreplication/",
        {"action": "fail_selected", "_selected_action": [eastus.pk]},
    )
    eastus.refresh_from_db()
    assert eastus.state == ReplicationState.FAILED
