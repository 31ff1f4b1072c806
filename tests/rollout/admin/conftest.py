"""The admin's tests share one world (a row of every model) and the helpers that post its
forms the way a browser would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db.models import Model
from django.forms import BaseForm, CheckboxInput, MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollout.models import (
    Event,
    EventKind,
    Extension,
    FaultKind,
    FaultRule,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    HealthProbe,
    InstanceUpgrade,
    InstanceUpgradeState,
    LoadBalancer,
    LoadBalancerSku,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ReplicationState,
    ResourceGroup,
    RunningStatus,
    ScaleSet,
    ScaleSetStream,
    StartedBy,
    Subscription,
    UpgradeBatch,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.models.api import ApiToken, AsyncOperation, AsyncOperationKind, token_digest
from rollout.services.access.service_principals import create_service_principal
from rollout.services.scale_sets.placement import create_instances
from tests.rollout.admin.signal_rows import add_signal_rows
from tests.rollout.services.releases.fleet import add_release_rows
from tests.support.fleets import grant

VERSION = "22.04.202401010"
UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-LTS"}
T0 = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


@dataclass
class World:
    region: Region
    resource_group: ResourceGroup
    probe: HealthProbe
    web: ScaleSet  # 3 instances in 3 zones behind a probe: may enable auto-upgrade
    bare: ScaleSet  # 1 instance, no health probe: enabling is refused (E2)
    extension: Extension


def add_scale_set(
    resource_group: ResourceGroup, region: Region, name: str, capacity: int, **fields: Any
) -> ScaleSet:
    scale_set = ScaleSet.objects.create(
        resource_group=resource_group,
        name=name,
        location=region,
        capacity=capacity,
        image_publisher=UBUNTU["publisher"],
        image_offer=UBUNTU["offer"],
        image_sku=UBUNTU["sku"],
        **fields,
    )
    create_instances(scale_set, capacity, VERSION)
    return scale_set


@pytest.fixture
def world(db: Any) -> World:
    """One row of every model, so every change form has something to show."""
    subscription = Subscription.objects.create(
        subscription_id="00000000-0000-0000-0000-0000000000ad", display_name="Admin tests"
    )
    resource_group = ResourceGroup.objects.create(
        subscription=subscription, name="rg-admin", location="westeurope"
    )
    region = Region.objects.create(
        name="westeurope", display_name="West Europe", availability_zones=["1", "2", "3"]
    )
    image = PlatformImage.objects.create(**UBUNTU, automatic_os_upgrade_supported=True)
    PlatformImageVersion.objects.create(image=image, version=VERSION, published_at=T0).regions.add(
        region
    )
    balancer = LoadBalancer.objects.create(
        resource_group=resource_group, name="lb-web", location=region, sku=LoadBalancerSku.STANDARD
    )
    probe = HealthProbe.objects.create(
        load_balancer=balancer,
        name="http",
        protocol=ProbeProtocol.HTTP,
        port=80,
        request_path="/health",
    )
    web = add_scale_set(resource_group, region, "web", 3, zones=["1", "2", "3"], health_probe=probe)
    bare = add_scale_set(resource_group, region, "bare", 1)
    extension = Extension.objects.create(
        scale_set=web,
        name="setup",
        publisher="Microsoft.Azure.Extensions",
        extension_type="CustomScript",
        type_handler_version="2.1",
        settings={"commandToExecute": "echo hello"},
    )
    gallery = Gallery.objects.create(resource_group=resource_group, name="gal", location=region)
    gallery_image = GalleryImage.objects.create(
        gallery=gallery, name="app", publisher="Contoso", offer="app", sku="v1"
    )
    gallery_version = GalleryImageVersion.objects.create(
        image=gallery_image, name="1.0.0", location=region, published_at=T0
    )
    GalleryImageReplica.objects.create(
        version=gallery_version, region=region, state=ReplicationState.COMPLETED, progress=100
    )
    operation = UpgradeOperation.objects.create(
        scale_set=web,
        kind=UpgradeKind.AUTOMATIC,
        started_by=StartedBy.PLATFORM,
        target_image_version=VERSION,
        location="westeurope",
        status=RunningStatus.COMPLETED,
        started_at=T0,
        last_action_at=T0,
    )
    batch = UpgradeBatch.objects.create(operation=operation, index=0, update_domain=0)
    InstanceUpgrade.objects.create(
        operation=operation,
        batch=batch,
        instance=web.instances.get(instance_id=0),
        state=InstanceUpgradeState.SUCCEEDED,
    )
    Event.objects.create(
        kind=EventKind.UPGRADE_FINISHED,
        scale_set=web,
        operation=operation,
        created_at=T0,
        actor_name="Platform",
    )
    FaultRule.objects.create(scale_set=web, kind=FaultKind.NEVER_HEALTHY, created_at=T0)
    ScaleSetStream.objects.update_or_create(scale_set=web, defaults={"sequence": 1})
    operator = User.objects.create_user("operator")
    ApiToken.objects.create(
        user=operator,
        prefix="a1b2c3",
        token_hash=token_digest("secret"),
        expires_at=timezone.now() + timedelta(days=90),
    )
    AsyncOperation.objects.create(
        subscription_id=subscription.subscription_id,
        location="westeurope",
        kind=AsyncOperationKind.UPDATE,
        resource_id=web.arm_id,
        scale_set=web,
        api_version="2024-07-01",
        started_at=T0,
    )
    add_release_rows(bare)  # releases, trigger policies, maintenance windows (T1-T7)
    grant(operator, "Reader", resource_group.arm_id)  # access (R1, A2)
    create_service_principal("deploy-bot")
    add_signal_rows(web, operation, T0)  # gates, checkpoints, notifications (G1, G2, G4)
    return World(region, resource_group, probe, web, bare, extension)


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would post back from a rendered change form, unchanged."""
    context = response.context
    forms: list[BaseForm] = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(field.widget, MultiWidget):
                for index, part in enumerate(field.widget.decompress(value) or []):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            else:
                data[bound.html_name] = "" if value is None else value
    return data


def post_change(client: Client, obj: Model, **changes: Any) -> Any:
    url = admin_url(type(obj), "change", obj.pk)
    data = form_data(client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return client.post(url, data)


def form_errors(response: Any) -> dict[str, list[str]]:
    context = response.context
    assert context is not None, f"expected the form again, got {response.status_code}"
    return {name: list(errors) for name, errors in context["adminform"].form.errors.items()}


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client: Client, action: str, *scale_sets: ScaleSet) -> Any:
    return client.post(
        admin_url(ScaleSet, "changelist"),
        {"action": action, "_selected_action": [s.pk for s in scale_sets]},
    )
