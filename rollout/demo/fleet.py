"""The demo fleet: a fleet that shows off every rule (``python manage.py seed_demo``).

Six regions in three geo pairs, the E3 catalogue with monthly versions (the newest not yet
rolled out), a Compute Gallery image replicated to some regions only, and scale sets of 1, 5,
6, 10, 100 and 1,000 instances, plus the ones E2 refuses until fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from rollout.demo.catalog import REGIONS, RELEASE_DATES, SKUS, ZONES, version_string
from rollout.models import (
    Extension,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    HealthProbe,
    ImageKind,
    LoadBalancer,
    LoadBalancerSku,
    OsType,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ReplicationState,
    ResourceGroup,
    ScaleSet,
    ServiceFabricDurability,
    Subscription,
    UpgradeMode,
    version_sort_key,
)
from rollout.services.scale_sets.placement import create_instances

DEMO_SUBSCRIPTION = "6f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10"
DEMO_RESOURCE_GROUP = "rollwright-demo"
UBUNTU = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-LTS")
UBUNTU_18 = ("Canonical", "UbuntuServer", "18.04-LTS")
WINDOWS_2019 = ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter")
WINDOWS_2016 = ("MicrosoftWindowsServer", "WindowsServer", "2016-Datacenter")
CENTOS_OLD = ("OpenLogic", "CentOS", "6.10")

APP_HEALTH = {
    "name": "HealthExtension",
    "publisher": "Microsoft.ManagedServices",
    "extension_type": "ApplicationHealthLinux",
    "type_handler_version": "2.0",
    "settings": {"protocol": "http", "port": 80, "requestPath": "/health"},
}


@dataclass
class DemoScaleSet:
    name: str
    region: str
    capacity: int
    image: tuple[str, str, str] = UBUNTU
    zones: list[str] = field(default_factory=lambda: list(ZONES))
    probe: bool = True
    basic_probe: bool = False
    extensions: list[dict[str, Any]] = field(default_factory=list)
    auto_upgrade: bool = True
    fields: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def demo_scale_sets(now: datetime) -> list[DemoScaleSet]:
    expired = now - timedelta(days=3)
    return [
        DemoScaleSet("solo-1", "westeurope", 1, zones=[], probe=False, extensions=[APP_HEALTH]),
        DemoScaleSet("api-5", "northeurope", 5),
        DemoScaleSet("batch-6", "eastus", 6, fields={"upgrade_mode": UpgradeMode.ROLLING}),
        DemoScaleSet(
            "web-10",
            "westeurope",
            10,
            auto_upgrade=False,
            note="10 VMs in 3 zones, eligible: enable auto-upgrade with a click",
        ),
        DemoScaleSet(
            "app-100",
            "westus",
            100,
            zones=[],
            probe=False,
            extensions=[APP_HEALTH],
            fields={"platform_fault_domain_count": 5},
            note="regional, 5 update domains",
        ),
        DemoScaleSet(
            "fleet-1000",
            "japaneast",
            1000,
            fields={"single_placement_group": False},
            note="several placement groups: needs a Standard load balancer probe",
        ),
        DemoScaleSet(
            "win-iis",
            "northeurope",
            4,
            image=WINDOWS_2019,
            auto_upgrade=False,
            fields={"os_type": OsType.WINDOWS, "enable_automatic_updates": True},
            note="refused until windowsConfiguration.enableAutomaticUpdates is false",
        ),
        DemoScaleSet(
            "sf-silver",
            "japanwest",
            5,
            image=WINDOWS_2016,
            probe=False,
            extensions=[
                {
                    "name": "ServiceFabricNodeVmExt",
                    "publisher": "Microsoft.Azure.ServiceFabric",
                    "extension_type": "ServiceFabricNode",
                    "type_handler_version": "1.1",
                    "settings": {"durabilityLevel": "Silver", "clusterEndpoint": "demo"},
                }
            ],
            fields={
                "os_type": OsType.WINDOWS,
                "enable_automatic_updates": False,
                "service_fabric_cluster_durability": ServiceFabricDurability.SILVER,
                "upgrade_mode": UpgradeMode.AUTOMATIC,
            },
            note="Service Fabric Silver: no extra probe needed",
        ),
        DemoScaleSet(
            "legacy-noprobe",
            "eastus",
            3,
            image=UBUNTU_18,
            probe=False,
            auto_upgrade=False,
            note="refused until a health probe or the Application Health extension is added",
        ),
        DemoScaleSet(
            "centos-6",
            "westus",
            2,
            image=CENTOS_OLD,
            auto_upgrade=False,
            note="refused: the SKU does not support automatic OS upgrade",
        ),
        DemoScaleSet(
            "jobs-sas",
            "japanwest",
            4,
            extensions=[
                {
                    "name": "CustomScript",
                    "publisher": "Microsoft.Azure.Extensions",
                    "extension_type": "CustomScript",
                    "type_handler_version": "2.1",
                    "settings": {
                        "fileUris": [
                            "https://rollwrightdemo.blob.core.windows.net/scripts/setup.sh"
                            f"?sv=2024-11-04&se={expired:%Y-%m-%dT%H:%MZ}&sr=b&sp=r&sig=REDACTED"
                        ],
                        "commandToExecute": "bash setup.sh",
                    },
                    "credential_expires_at": expired,
                }
            ],
            note="its extension's SAS token has expired (U9)",
        ),
    ]


def seed(*, reset: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Build the demo fleet; idempotent. ``reset`` deletes the demo subscription first.

    Returns what was created, by kind.
    """
    now = now or timezone.now()
    created: dict[str, int] = {}
    with transaction.atomic():
        if reset:
            # Scale sets first: they protect the probes and gallery images they reference.
            demo_rows = {"resource_group__subscription__subscription_id": DEMO_SUBSCRIPTION}
            ScaleSet.objects.filter(**demo_rows).delete()
            Gallery.objects.filter(**demo_rows).delete()
            Subscription.objects.filter(subscription_id=DEMO_SUBSCRIPTION).delete()
        regions = _seed_regions(created)
        _seed_catalogue(regions, created, reset_flags=reset)
        subscription, _ = Subscription.objects.get_or_create(
            subscription_id=DEMO_SUBSCRIPTION, defaults={"display_name": "Rollwright demo"}
        )
        group, _ = ResourceGroup.objects.get_or_create(
            subscription=subscription,
            name=DEMO_RESOURCE_GROUP,
            defaults={"location": "westeurope"},
        )
        probes = _seed_load_balancers(group, regions, created)
        gallery_image = _seed_gallery(group, regions, now, created)
        for spec in demo_scale_sets(now):
            if not ScaleSet.objects.filter(resource_group=group, name=spec.name).exists():
                _create_scale_set(group, regions, probes, spec)
                created["scale sets"] = created.get("scale sets", 0) + 1
        if not ScaleSet.objects.filter(resource_group=group, name="gallery-web").exists():
            spec = DemoScaleSet("gallery-web", "eastus", 6, note="follows a gallery image (T4)")
            scale_set = _create_scale_set(group, regions, probes, spec, gallery_image=gallery_image)
            assert scale_set.image_kind == ImageKind.GALLERY
            created["scale sets"] = created.get("scale sets", 0) + 1
    return created


def _count(created: dict[str, int], kind: str, number: int) -> None:
    if number:
        created[kind] = created.get(kind, 0) + number


def _seed_regions(created: dict[str, int]) -> dict[str, Region]:
    regions = {}
    for name, display, _pair in REGIONS:
        region, made = Region.objects.get_or_create(
            name=name, defaults={"display_name": display, "availability_zones": list(ZONES)}
        )
        regions[name] = region
        _count(created, "regions", int(made))
    for name, _display, pair in REGIONS:
        if regions[name].paired_region_id != regions[pair].id:
            regions[name].paired_region = regions[pair]
            regions[name].save(update_fields=["paired_region"])
    return regions


def _seed_catalogue(
    regions: dict[str, Region], created: dict[str, int], *, reset_flags: bool
) -> None:
    existing = {(i.publisher, i.offer, i.sku) for i in PlatformImage.objects.all()}
    if reset_flags:  # E3's list is data an operator may have edited; a reset restores it
        for sku in SKUS:
            PlatformImage.objects.filter(
                publisher=sku.publisher, offer=sku.offer, sku=sku.sku
            ).update(automatic_os_upgrade_supported=sku.supported)
    new_images = PlatformImage.objects.bulk_create(
        [
            PlatformImage(
                publisher=sku.publisher,
                offer=sku.offer,
                sku=sku.sku,
                os_type=sku.os_type,
                automatic_os_upgrade_supported=sku.supported,
            )
            for sku in SKUS
            if (sku.publisher, sku.offer, sku.sku) not in existing
        ]
    )
    _count(created, "platform images", len(new_images))
    images = {(i.publisher, i.offer, i.sku): i for i in PlatformImage.objects.all()}
    known = set(PlatformImageVersion.objects.values_list("image_id", "version"))
    versions = []
    for sku in SKUS:
        image = images[(sku.publisher, sku.offer, sku.sku)]
        for release in RELEASE_DATES:
            version = version_string(sku, release)
            if (image.id, version) in known:
                continue
            versions.append(
                PlatformImageVersion(
                    image=image,
                    version=version,
                    sort_key=version_sort_key(version),  # bulk_create skips save()
                    published_at=datetime.fromisoformat(release).replace(tzinfo=UTC),
                )
            )
    PlatformImageVersion.objects.bulk_create(versions)
    _count(created, "image versions", len(versions))
    saved = PlatformImageVersion.objects.filter(
        image__in=images.values(), version__in={v.version for v in versions}
    )
    through = PlatformImageVersion.regions.through
    through.objects.bulk_create(
        [
            through(platformimageversion_id=version.id, region_id=region.id)
            for version in saved
            for region in regions.values()
        ],
        ignore_conflicts=True,
    )


def _seed_load_balancers(
    group: ResourceGroup, regions: dict[str, Region], created: dict[str, int]
) -> dict[tuple[str, str], HealthProbe]:
    probes: dict[tuple[str, str], HealthProbe] = {}
    for name, region in regions.items():
        for sku in (LoadBalancerSku.STANDARD, LoadBalancerSku.BASIC):
            suffix = "" if sku == LoadBalancerSku.STANDARD else "-basic"
            balancer, made = LoadBalancer.objects.get_or_create(
                resource_group=group,
                name=f"lb-{name}{suffix}",
                defaults={"location": region, "sku": sku},
            )
            _count(created, "load balancers", int(made))
            probe, _ = HealthProbe.objects.get_or_create(
                load_balancer=balancer,
                name="http-health",
                defaults={
                    "protocol": ProbeProtocol.HTTP,
                    "port": 80,
                    "request_path": "/health",
                    "interval_in_seconds": 5,
                    "number_of_probes": 2,
                    "probe_threshold": 1,
                },
            )
            probes[(name, sku)] = probe
    return probes


def _seed_gallery(
    group: ResourceGroup, regions: dict[str, Region], now: datetime, created: dict[str, int]
) -> GalleryImage:
    gallery, _ = Gallery.objects.get_or_create(
        resource_group=group,
        name="rollwrightGallery",
        defaults={"location": regions["westeurope"], "description": "Demo Compute Gallery"},
    )
    image, made = GalleryImage.objects.get_or_create(
        gallery=gallery,
        name="web-app",
        defaults={"publisher": "Contoso", "offer": "WebApp", "sku": "ubuntu-22"},
    )
    if not made:
        return image
    _count(created, "gallery images", 1)
    everywhere = list(regions)
    # (version, days ago, exclude from latest, {region: (state, progress)})
    plan: list[tuple[str, int, bool, dict[str, tuple[str, int]]]] = [
        ("1.0.0", 60, False, {r: (ReplicationState.COMPLETED, 100) for r in everywhere}),
        ("1.1.0", 20, False, {r: (ReplicationState.COMPLETED, 100) for r in everywhere}),
        (
            "1.2.0",
            2,
            False,
            {
                "westeurope": (ReplicationState.COMPLETED, 100),
                "northeurope": (ReplicationState.COMPLETED, 100),
                "eastus": (ReplicationState.REPLICATING, 40),
                "westus": (ReplicationState.FAILED, 10),
            },
        ),
        ("1.3.0", 1, True, {r: (ReplicationState.COMPLETED, 100) for r in everywhere}),
    ]
    for name, days, exclude, replicas in plan:
        version = GalleryImageVersion.objects.create(
            image=image,
            name=name,
            location=regions["westeurope"],
            exclude_from_latest=exclude,
            published_at=now - timedelta(days=days),
        )
        for region_name, (state, progress) in replicas.items():
            GalleryImageReplica.objects.create(
                version=version,
                region=regions[region_name],
                state=state,
                progress=progress,
                started_at=now - timedelta(days=days),
                completed_at=now - timedelta(days=days)
                if state == ReplicationState.COMPLETED
                else None,
            )
    return image


def _create_scale_set(
    group: ResourceGroup,
    regions: dict[str, Region],
    probes: dict[tuple[str, str], HealthProbe],
    spec: DemoScaleSet,
    gallery_image: GalleryImage | None = None,
) -> ScaleSet:
    probe = None
    if spec.probe:
        sku = LoadBalancerSku.BASIC if spec.basic_probe else LoadBalancerSku.STANDARD
        probe = probes[(spec.region, sku)]
    publisher, offer, sku_name = spec.image
    scale_set = ScaleSet(
        resource_group=group,
        name=spec.name,
        location=regions[spec.region],
        zones=spec.zones,
        capacity=spec.capacity,
        computer_name_prefix=spec.name.replace("-", "")[:9],
        health_probe=probe,
        upgrade_mode=UpgradeMode.MANUAL,
        tags={"demo": spec.note} if spec.note else {},
    )
    if gallery_image is not None:
        scale_set.image_kind = ImageKind.GALLERY
        scale_set.gallery_image = gallery_image
    else:
        scale_set.image_publisher, scale_set.image_offer, scale_set.image_sku = (
            publisher,
            offer,
            sku_name,
        )
    for name, value in spec.fields.items():
        setattr(scale_set, name, value)
    scale_set.enable_automatic_os_upgrade = spec.auto_upgrade
    if spec.auto_upgrade:
        scale_set.auto_upgrade_first_enabled_at = timezone.now() - timedelta(days=30)
    scale_set.save()
    Extension.objects.bulk_create(
        [Extension(scale_set=scale_set, position=i, **ext) for i, ext in enumerate(spec.extensions)]
    )
    create_instances(scale_set, spec.capacity, _rolled_out_version(scale_set))
    return scale_set


def _rolled_out_version(scale_set: ScaleSet) -> str:
    """The version the fleet runs: one behind the newest, so the newest is still to roll out."""
    if scale_set.image_kind == ImageKind.GALLERY:
        assert scale_set.gallery_image is not None
        return "1.1.0"
    image = PlatformImage.objects.get(
        publisher=scale_set.image_publisher, offer=scale_set.image_offer, sku=scale_set.image_sku
    )
    versions = list(image.versions.order_by("-sort_key").values_list("version", flat=True))
    return versions[1] if len(versions) > 1 else versions[0]
