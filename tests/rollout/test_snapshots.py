"""The engine's edge builds every ``InstanceView`` in one place (``instance_views``): the
snapshot of an operation, B1's preview and the dashboard's gauges all see the same instances."""

from __future__ import annotations

from django.utils import timezone

from orchestrator.model import InstanceProgress, InstanceUpgradeState
from rollout.engine.provider import DatabaseComputeProvider
from rollout.engine.snapshots import instance_views, load_snapshot
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.preview import preview_upgrade
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import OLD_VERSION


def test_without_an_operation_every_view_is_pending_in_no_batch(web10):
    views = instance_views(DatabaseComputeProvider(web10), timezone.now())
    assert [view.instance_id for view in views] == [str(i) for i in range(10)]
    assert {view.progress for view in views} == {InstanceProgress()}
    assert {view.image_version for view in views} == {OLD_VERSION}
    assert {view.zone for view in views} == {"1", "2", "3"}


def test_an_operations_snapshot_carries_each_instances_progress(web10):
    operation = start_os_upgrade(web10)
    now = timezone.now()
    advance_once(operation.pk, now)  # plan
    advance_once(operation.pk, now)  # batch 1 starts
    operation.refresh_from_db()
    snapshot, _, _ = load_snapshot(operation, DatabaseComputeProvider(web10), now)
    first = snapshot.operation.batches[0]
    states = {view.instance_id: view.upgrade_state for view in snapshot.instances}
    assert {states[i] for i in first.instance_ids} == {InstanceUpgradeState.REIMAGING}
    assert all(snapshot.instances_by_id[i].progress.batch_index == 0 for i in first.instance_ids)


def test_b1_the_preview_plans_the_same_instances(web10):
    preview = preview_upgrade(web10)
    planned = sorted((i for batch in preview.plan.batches for i in batch.instance_ids), key=int)
    views = instance_views(DatabaseComputeProvider(web10), timezone.now())
    assert planned == [view.instance_id for view in views]
