"""T5: the first rollout after auto-upgrade is first enabled waits up to 3 hours (once); later
rollouts start 30 to 60 minutes after a version becomes eligible; immediate mode starts at
once. Every delay is time-scaled; the clock is injected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings

from orchestrator.releases.delays import Due, due_at
from rollout.models import (
    ScaleSet,
    TargetState,
    TriggerPolicy,
    TriggerPolicyAssignment,
    UpgradeKind,
    UpgradeOperation,
)
from rollout.services import wakeups
from rollout.services.releases.candidates import OutlookCode
from rollout.services.releases.publishing import publish_image_version, reconcile_scale_sets
from rollout.services.releases.triggers import (
    delays_for,
    had_automatic_rollout,
    next_upgrade_status,
    outlook,
)
from rollout.tasks import releases as release_tasks
from tests.rollout.services.releases.fleet import NEW, NEWER, T0, UBUNTU, Driver, Fleet, all_done

pytestmark = pytest.mark.django_db

SCALE = 60  # the tests' time scale: 30 minutes last 30 seconds


def started(scale_set: ScaleSet) -> bool:
    return UpgradeOperation.objects.filter(scale_set=scale_set).exists()


def due(scale_set: ScaleSet, version: str, eligible: Any, *, had_automatic_rollout: bool) -> Due:
    """``due_at`` for one scale set, as the trigger calls it."""
    return due_at(
        delays_for(scale_set),
        scale_set.pk,
        version,
        eligible,
        first_enabled_at=scale_set.auto_upgrade_first_enabled_at,
        had_automatic_rollout=had_automatic_rollout,
        time_scale=settings.ROLLWRIGHT_TIME_SCALE,
    )


def test_t5_a_later_rollout_starts_30_to_60_minutes_after_the_version_is_eligible(
    fleet: Fleet,
) -> None:
    scale_set = fleet.add(
        "web-4", "westeurope", 4, auto_upgrade_first_enabled_at=T0 - timedelta(days=30)
    )
    publish_image_version(*UBUNTU, NEW, now=T0)
    when, why = next_upgrade_status(scale_set, T0)
    assert when is not None
    assert T0 + timedelta(minutes=30) / SCALE <= when <= T0 + timedelta(minutes=60) / SCALE
    assert why.startswith(f"T5: {NEW} eligible since 09:00:00 UTC; rollout delay until ")
    assert why.endswith("(30 to 60 minutes after a version becomes eligible).")
    assert next_upgrade_status(scale_set, T0 + timedelta(seconds=5)).when == when  # seeded
    reconcile_scale_sets(None, when - timedelta(seconds=1))
    assert not started(scale_set)
    reconcile_scale_sets(None, when)
    operation = UpgradeOperation.objects.get(scale_set=scale_set)
    assert (operation.kind, operation.started_by) == (UpgradeKind.AUTOMATIC, "Platform")
    assert operation.started_at == when and operation.target_image_version == NEW


def test_t5_delays_are_azures_at_time_scale_1(fleet: Fleet, settings: Any) -> None:
    settings.ROLLWRIGHT_TIME_SCALE = 1.0
    scale_set = fleet.add("web-4", "westeurope", 4)
    publish_image_version(*UBUNTU, NEW, now=T0)
    when, why = next_upgrade_status(scale_set, T0)
    assert when is not None
    assert timedelta(minutes=30) <= when - T0 <= timedelta(minutes=60)
    assert "rollout delay until 09:" in why and "UTC" in why


def test_t5_the_jitter_is_deterministic_per_scale_set_and_version(fleet: Fleet) -> None:
    one = fleet.add("one", "westeurope", 2)
    other = fleet.add("other", "eastus", 2)
    publish_image_version(*UBUNTU, NEW, regions=["westeurope", "eastus"], now=T0)
    reconcile_scale_sets(None, T0)
    delays = {s.name: outlook(s, T0).when for s in (one, other)}
    assert delays["one"] != delays["other"]
    assert delays == {s.name: outlook(s, T0 + timedelta(seconds=3)).when for s in (one, other)}


def test_t5_the_first_rollout_after_enabling_waits_up_to_3_hours_once(fleet: Fleet) -> None:
    TriggerPolicy.objects.create(
        name="no-later-delay", is_default=True, min_delay=timedelta(0), max_delay=timedelta(0)
    )
    scale_set = fleet.add("fresh-3", "westeurope", 3, auto_upgrade_first_enabled_at=T0)
    publish_image_version(*UBUNTU, NEW, regions=["westeurope"], now=T0)
    first = outlook(scale_set, T0)
    assert first.code == OutlookCode.DELAYED and first.when is not None
    assert T0 < first.when <= T0 + timedelta(hours=3) / SCALE
    assert first.why.startswith("T5: first-rollout delay until ")
    assert "(up to 3 hours after automatic OS upgrade was first enabled)" in first.why
    driver = Driver(now=T0)
    release = publish_image_version(*UBUNTU, NEWER, regions=["westeurope"], now=T0).release
    assert release is not None
    # The first rollout (to the newest version, NEWER) waits for the first-rollout delay...
    driver.run(lambda: started(scale_set), limit=200)
    assert driver.now >= first.when
    driver.run(all_done(release), limit=500)
    # ...and only once: with a rollout done, the first-rollout delay no longer applies.
    assert had_automatic_rollout(scale_set)
    again = due(scale_set, "9.9.9", T0, had_automatic_rollout=True)
    assert (again.kind, again.at) == ("later", T0)
    assert due(scale_set, "9.9.9", T0, had_automatic_rollout=False) == Due(first.when, "first")


def test_t5_immediate_mode_of_a_policy_starts_at_once(fleet: Fleet) -> None:
    scale_set = fleet.add("eager-2", "westeurope", 2)
    slow = fleet.add("patient-3", "eastus", 3)
    policy = TriggerPolicy.objects.create(name="immediate", immediate=True)
    TriggerPolicyAssignment.objects.create(scale_set=scale_set, policy=policy)
    publish_image_version(*UBUNTU, NEW, regions=["westeurope", "eastus"], now=T0)
    assert outlook(scale_set, T0).code == OutlookCode.DUE
    assert next_upgrade_status(scale_set, T0) == (
        T0,
        f"The automatic upgrade to {NEW} is due: it starts within seconds.",
    )
    assert outlook(slow, T0).code in (OutlookCode.DELAYED, OutlookCode.PHASE_WAITING)
    reconcile_scale_sets(None, T0)
    assert started(scale_set) and not started(slow)


def test_t5_the_immediate_setting_makes_every_policy_immediate(fleet: Fleet, settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True
    scale_set = fleet.add("web-4", "westeurope", 4, auto_upgrade_first_enabled_at=T0)
    publish_image_version(*UBUNTU, NEW, now=T0)
    reconcile_scale_sets([scale_set.pk], T0)
    target = scale_set.release_targets.get()
    assert target.state == TargetState.RUNNING


def test_t5_publishing_triggers_the_release_after_commit_and_the_trigger_wakes_at_the_delay(
    fleet: Fleet, django_capture_on_commit_callbacks: Any
) -> None:
    """Event-driven: the beat scan is the safety net, not the path."""

    scale_set = fleet.add("web-4", "westeurope", 4)
    with mock.patch.object(wakeups, "send") as enqueue:
        with django_capture_on_commit_callbacks(execute=True):
            release = publish_image_version(*UBUNTU, NEW).release
        assert release is not None
        enqueue.assert_called_once_with(wakeups.RECONCILE, ([release.pk], None), None)
        enqueue.reset_mock()
        release_tasks.reconcile([release.pk], None)  # as the worker runs it
        ((name, args, at),) = [call.args for call in enqueue.call_args_list]
    assert (name, args) == (wakeups.RECONCILE, (None, [scale_set.pk]))
    assert at == outlook(scale_set).when
