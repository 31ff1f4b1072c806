"""A fleet in six regions (Azure's three geo pairs) and a driver that plays it in-process.

``Fleet.build()`` makes the regions, the Ubuntu SKU on ``OLD`` everywhere, one Standard load
balancer probe per region, and scale sets by ``add``. ``Driver`` steps everything with an
injected clock, the way the workers and beat would: the trigger (``reconcile_scale_sets``),
the replication engine, then ``advance_once`` of every active upgrade until it has nothing to
do at ``now``; after each tick it checks the release invariants (T1, T2) and keeps a log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rollout.models import (
    ACTIVE_STATUSES,
    Gallery,
    GalleryImage,
    GalleryImageReplica,
    GalleryImageVersion,
    HealthProbe,
    ImageKind,
    LoadBalancer,
    LoadBalancerSku,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    Release,
    ReleasePhase,
    ReleaseTarget,
    ReplicationSchedule,
    ReplicationState,
    ResourceGroup,
    ScaleSet,
    Subscription,
    TargetState,
    TriggerPolicy,
    TriggerPolicyAssignment,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.services.gallery.replication import advance_replications
from rollout.services.releases.publishing import reconcile_scale_sets
from rollout.services.scale_sets.placement import create_instances
from rollout.tasks.upgrades import advance_once

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UBUNTU = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-LTS")
OLD = "22.04.202610140"
NEW = "22.04.202612010"
NEWER = "22.04.202701050"
GALLERY_OLD = "1.1.0"
PAIRS = (("westeurope", "northeurope"), ("eastus", "westus"), ("japaneast", "japanwest"))
ZONES = ["1", "2", "3"]


@dataclass
class Fleet:
    regions: dict[str, Region]
    group: ResourceGroup
    probes: dict[str, HealthProbe]
    image: PlatformImage

    @classmethod
    def build(cls) -> Fleet:
        regions: dict[str, Region] = {}
        for one, other in PAIRS:
            for name in (one, other):
                regions[name] = Region.objects.create(
                    name=name, display_name=name.title(), availability_zones=ZONES
                )
            regions[one].paired_region = regions[other]
            regions[other].paired_region = regions[one]
            regions[one].save()
            regions[other].save()
        image = PlatformImage.objects.create(
            publisher=UBUNTU[0], offer=UBUNTU[1], sku=UBUNTU[2], automatic_os_upgrade_supported=True
        )
        old = PlatformImageVersion.objects.create(
            image=image, version=OLD, published_at=T0 - timedelta(days=30)
        )
        old.regions.set(regions.values())
        subscription = Subscription.objects.create(
            subscription_id="00000000-0000-0000-0000-0000000f1ee7"
        )
        group = ResourceGroup.objects.create(
            subscription=subscription, name="rg-fleet", location="westeurope"
        )
        probes = {}
        for name, region in regions.items():
            balancer = LoadBalancer.objects.create(
                resource_group=group,
                name=f"lb-{name}",
                location=region,
                sku=LoadBalancerSku.STANDARD,
            )
            probes[name] = HealthProbe.objects.create(
                load_balancer=balancer,
                name="http",
                protocol=ProbeProtocol.HTTP,
                port=80,
                request_path="/health",
            )
        return cls(regions, group, probes, image)

    def add(
        self,
        name: str,
        region: str,
        capacity: int,
        *,
        zones: list[str] | None = None,
        version: str = OLD,
        auto: bool = True,
        sku: str | None = None,
        **fields: Any,
    ) -> ScaleSet:
        scale_set = ScaleSet.objects.create(
            resource_group=self.group,
            name=name,
            location=self.regions[region],
            zones=ZONES if zones is None else zones,
            capacity=capacity,
            image_publisher=UBUNTU[0],
            image_offer=UBUNTU[1],
            image_sku=sku or UBUNTU[2],
            health_probe=self.probes[region],
            enable_automatic_os_upgrade=auto,
            **fields,
        )
        create_instances(scale_set, capacity, version, at=T0 - timedelta(days=30))
        return scale_set

    def gallery_image(self) -> GalleryImage:
        """``web-app`` in a gallery of westeurope, its 1.1.0 replicated to every region."""
        gallery = Gallery.objects.create(
            resource_group=self.group, name="fleetGallery", location=self.regions["westeurope"]
        )
        image = GalleryImage.objects.create(
            gallery=gallery, name="web-app", publisher="Contoso", offer="WebApp", sku="u22"
        )
        version = GalleryImageVersion.objects.create(
            image=image,
            name=GALLERY_OLD,
            location=self.regions["westeurope"],
            published_at=T0 - timedelta(days=20),
        )
        for region in self.regions.values():
            GalleryImageReplica.objects.create(
                version=version,
                region=region,
                state=ReplicationState.COMPLETED,
                progress=100,
                started_at=T0 - timedelta(days=20),
                completed_at=T0 - timedelta(days=20),
            )
        return image

    def add_follower(
        self, name: str, region: str, capacity: int, image: GalleryImage, **fields: Any
    ) -> ScaleSet:
        """A scale set with auto-upgrade on that follows the gallery image (T4)."""
        scale_set = ScaleSet.objects.create(
            resource_group=self.group,
            name=name,
            location=self.regions[region],
            zones=ZONES,
            capacity=capacity,
            image_kind=ImageKind.GALLERY,
            gallery_image=image,
            health_probe=self.probes[region],
            enable_automatic_os_upgrade=True,
            **fields,
        )
        create_instances(scale_set, capacity, GALLERY_OLD, at=T0 - timedelta(days=20))
        return scale_set


def versions_of(scale_set: ScaleSet) -> set[str]:
    return set(scale_set.instances.values_list("os_disk__image_version", flat=True))


@dataclass
class Tick:
    now: datetime
    running: list[tuple[str, str, tuple[str, ...]]]  # (scale set, region, open batch zones)


@dataclass
class Driver:
    """Plays the fleet tick by tick with an injected clock; checks T1/T2 after each tick."""

    now: datetime = T0
    tick: timedelta = timedelta(seconds=2)
    log: list[Tick] = field(default_factory=list)
    started: dict[str, datetime] = field(default_factory=dict)  # scale set -> first start
    check: bool = True
    scan: bool = True

    def step(self) -> None:
        """One tick: the beat's scan and replication, then every upgrade as far as it goes."""
        if self.scan:
            reconcile_scale_sets(None, self.now)
        advance_replications(self.now)
        active = UpgradeOperation.objects.filter(status__in=ACTIVE_STATUSES)
        for operation_id in active.values_list("pk", flat=True):
            for _ in range(50):
                recheck = advance_once(operation_id, self.now)
                if recheck is None or recheck > self.now:
                    break
        self._observe()

    def run(self, until: Callable[[], bool], *, limit: int = 2_000) -> datetime:
        for _ in range(limit):
            self.step()
            if until():
                return self.now
            self.now += self.tick
        raise AssertionError(f"not done after {limit} ticks (at {self.now})")

    def _observe(self) -> None:
        active = list(
            UpgradeOperation.objects.filter(status__in=ACTIVE_STATUSES).select_related(
                "scale_set__location"
            )
        )
        running = []
        for operation in active:
            scale_set = operation.scale_set
            self.started.setdefault(scale_set.name, self.now)
            batch = operation.batches.filter(
                started_at__isnull=False, completed_at__isnull=True
            ).first()
            running.append(
                (scale_set.name, scale_set.location.name, tuple(batch.zones) if batch else ())
            )
        self.log.append(Tick(self.now, running))
        if self.check:
            assert_release_invariants(active)


def assert_release_invariants(active: list[UpgradeOperation]) -> None:
    """T1 and T2 over the automatic upgrades running now, release by release."""
    targets = ReleaseTarget.objects.filter(
        operation__in=[op for op in active if op.kind == UpgradeKind.AUTOMATIC]
    ).select_related("region__paired_region", "phase", "scale_set", "release")
    by_release: dict[int, list[ReleaseTarget]] = {}
    for target in targets:
        by_release.setdefault(target.release_id, []).append(target)
    for members in by_release.values():
        regions = [target.region.name for target in members]
        # T2: one scale set per region at a time (each going zone by zone).
        assert len(regions) == len(set(regions)), f"T2: two scale sets of a region: {members}"
        for target in members:
            pair = target.region.paired_region
            # T1: geo pairs never upgrade at the same time.
            assert pair is None or pair.name not in regions, f"T1: {target} and its pair"
            if target.phase is not None:
                # T1: every earlier phase upgraded successfully first.
                earlier = target.release.phases.filter(index__lt=target.phase.index)
                assert not earlier.filter(completed_at__isnull=True).exists(), target


def release_of(version: str) -> Release:
    return Release.objects.get(version=version)


def target_states(release: Release) -> dict[str, str]:
    return {t.scale_set.name: t.state for t in release.targets.select_related("scale_set")}


def all_done(release: Release) -> Callable[[], bool]:
    def done() -> bool:
        release.refresh_from_db()
        return not release.targets.filter(
            state__in=[TargetState.PENDING, TargetState.RUNNING]
        ).exists()

    return done


def add_release_rows(scale_set: ScaleSet) -> None:
    """One row of every model of rollout.models.releases around ``scale_set`` (the admin test's
    world needs one of each), built straight, with no service."""
    region = scale_set.location
    version = PlatformImageVersion.objects.filter(regions=region).first()
    assert version is not None
    release = Release.objects.create(
        kind="platform",
        platform_version=version,
        image_label=str(version.image),
        version=version.version,
        sort_key=version.sort_key,
        created_at=T0,
        created_by_name="Platform",
    )
    phase = ReleasePhase.objects.create(release=release, index=0, started_at=T0)
    phase.regions.add(region)
    ReleaseTarget.objects.create(
        release=release, scale_set=scale_set, phase=phase, region=region, created_at=T0
    )
    policy = TriggerPolicy.objects.create(name="azure", is_default=True)
    TriggerPolicyAssignment.objects.create(scale_set=scale_set, policy=policy)
    configuration = MaintenanceConfiguration.objects.create(
        resource_group=scale_set.resource_group,
        name="nightly",
        location=region,
        start_date=T0.date(),
        start_time=time(2, 0),
        created_at=T0,
    )
    MaintenanceConfigurationAssignment.objects.create(
        scale_set=scale_set, configuration=configuration, created_at=T0
    )
    replica = GalleryImageReplica.objects.first()
    if replica is not None:
        ReplicationSchedule.objects.create(
            replica=replica, began_at=T0, duration=timedelta(minutes=10)
        )
