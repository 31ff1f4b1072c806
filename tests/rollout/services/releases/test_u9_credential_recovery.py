"""U9 through a release: an expired SAS token fails the first batch and the automatic upgrade
(stopping the release, T1); recovery is renewing the credential in the model and rolling the
model to every instance, the failed ones included; later automatic upgrades work again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rollout.engine.provider import health_label, observe_scale_set
from rollout.models import (
    InstanceUpgrade,
    ReleaseStatus,
    RunningStatus,
    ScaleSet,
    TargetState,
    UpgradeOperation,
)
from rollout.services import ExtensionSpec, update_scale_set_model
from rollout.services.releases.publishing import publish_image_version, resume_release
from rollout.services.scale_sets.instances import manual_upgrade_instances
from tests.rollout.services.releases.fleet import (
    NEW,
    NEWER,
    T0,
    UBUNTU,
    Driver,
    Fleet,
    all_done,
    versions_of,
)

pytestmark = pytest.mark.django_db

EXPIRED = T0 - timedelta(days=3)
RENEWED = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = True


def custom_script(expires: datetime) -> ExtensionSpec:
    return ExtensionSpec(
        name="CustomScript",
        publisher="Microsoft.Azure.Extensions",
        extension_type="CustomScript",
        type_handler_version="2.1",
        settings={
            "fileUris": [
                f"https://demo.blob.core.windows.net/s/setup.sh?se={expires:%Y-%m-%d}&sig=x"
            ]
        },
        credential_expires_at=expires,
    )


def health(scale_set: ScaleSet, at: datetime) -> set[str]:
    return {health_label(o) for o in observe_scale_set(scale_set, at).values()}


def test_u9_expired_credentials_fail_the_upgrade_and_recovery_makes_later_upgrades_work(
    fleet: Fleet,
) -> None:
    scale_set = fleet.add("jobs-6", "westeurope", 6)
    scale_set = update_scale_set_model(scale_set, {}, extensions=[custom_script(EXPIRED)])
    release = publish_image_version(*UBUNTU, NEW, now=T0).release
    assert release is not None
    driver = Driver()
    driver.run(all_done(release))

    # 1. The first batch's VMs failed; the upgrade faulted naming the extension and the expiry.
    operation = UpgradeOperation.objects.get(scale_set=scale_set)
    assert operation.status == RunningStatus.FAULTED
    assert operation.error_code == "RollingUpgradeInProgressWithFailedUpgradedVMs"
    assert "extension 'CustomScript' credential (SAS token) expired" in operation.error_message
    assert f"{EXPIRED:%Y-%m-%d %H:%M} UTC" in operation.error_message
    first = set(
        InstanceUpgrade.objects.filter(operation=operation, batch__index=0).values_list(
            "state", flat=True
        )
    )
    assert first == {"failed"}
    assert (
        not InstanceUpgrade.objects.filter(operation=operation, batch__index__gt=0)
        .exclude(state="pending")
        .exists()
    )
    release.refresh_from_db()
    assert release.status == ReleaseStatus.STOPPED
    assert "CustomScript" in release.status_reason
    assert "Unhealthy" in health(scale_set, driver.now)

    # 2. Recovery: renew the credential in the model, then roll the model to every instance.
    scale_set = update_scale_set_model(
        scale_set, {}, extensions=[custom_script(RENEWED)], reason="U9: SAS renewed"
    )
    ids = list(scale_set.instances.values_list("instance_id", flat=True))
    manual_upgrade_instances(scale_set, ids, reason="U9: roll the renewed model")
    assert health(scale_set, driver.now) == {"Healthy"}
    assert all(i.latest_model_applied for i in scale_set.instances.select_related("scale_set"))

    # 3. Later automatic upgrades work again: the stopped release resumes and completes...
    resume_release(release, actor="carol", reason="credential renewed")
    driver.run(all_done(release))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.COMPLETED
    assert release.targets.get().state == TargetState.SUCCEEDED
    assert versions_of(scale_set) == {NEW}
    # ...and so does the next version published.
    newer = publish_image_version(*UBUNTU, NEWER, now=driver.now).release
    assert newer is not None
    driver.run(all_done(newer))
    assert newer.targets.get().state == TargetState.SUCCEEDED
    assert versions_of(scale_set) == {NEWER}
    assert health(scale_set, driver.now) == {"Healthy"}
