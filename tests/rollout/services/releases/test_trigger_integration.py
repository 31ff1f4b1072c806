"""T5 immediate mode through a real Celery worker on Redis, with no beat: publishing starts the
first phase within 2 seconds, and the end of each upgrade starts the next phase (T1) — the
event-driven path alone."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from rollout.models import InstanceUpgrade, ReleaseStatus, TargetState, TriggerPolicy
from rollout.services.releases.publishing import publish_image_version
from tests.rollout.services.releases.fleet import NEW, UBUNTU, Fleet, versions_of
from tests.support.servers import Worker

# ``worker`` (tests/support): a real worker, ready (listening) before the test starts.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_t5_immediate_mode_rolls_a_published_version_within_2_seconds_then_phase_by_phase(
    worker: Worker,
) -> None:
    fleet = Fleet.build()
    first = fleet.add("we-2", "westeurope", 2)
    second = fleet.add("ne-3", "northeurope", 3)
    TriggerPolicy.objects.create(name="immediate", immediate=True, is_default=True)
    assert worker.is_ready()  # the clock starts once the worker listens
    published_at = timezone.now()
    release = publish_image_version(*UBUNTU, NEW)
    assert release.release is not None
    deadline = time.monotonic() + 20
    reimage = None
    while time.monotonic() < deadline and reimage is None:
        reimage = (
            InstanceUpgrade.objects.filter(
                instance__scale_set=first, reimage_started_at__isnull=False
            )
            .values_list("reimage_started_at", flat=True)
            .first()
        )
        time.sleep(0.01)
    assert reimage is not None, "no reimage within 20 s"
    assert (reimage - published_at).total_seconds() < 2.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        release.release.refresh_from_db()
        if release.release.status != ReleaseStatus.ROLLING:
            break
        time.sleep(0.1)
    assert release.release.status == ReleaseStatus.COMPLETED
    assert {t.state for t in release.release.targets.all()} == {TargetState.SUCCEEDED}
    assert versions_of(first) == versions_of(second) == {NEW}
