"""W1: the what-if's prediction against the real run on the same seed, instance by instance.

Each scenario predicts an upgrade at ``now``, then starts the real one at the same ``now`` and
steps it through ``advance_once`` at the moments it asks for (as the worker does), over the
database rows and the simulated provider; the two must agree on every instance's outcome, the
end status, the error and its figures, the images left behind and the duration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from orchestrator.whatif import Outcome, outcome_of
from rollout.models import (
    Extension,
    FaultKind,
    FaultRule,
    InstanceUpgradeState,
    RunningStatus,
    ScaleSet,
    StartedBy,
    UpgradeOperation,
)
from rollout.services.upgrades.operations import start_os_upgrade
from rollout.services.upgrades.whatif import predict_upgrade, whatif_data
from rollout.tasks.upgrades import advance_once
from tests.rollout.conftest import NEW_VERSION, automatic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_time(settings):
    settings.ROLLWRIGHT_TIME_SCALE = 60.0


def run_to_end(operation: UpgradeOperation, start: datetime) -> None:
    now = start
    for _ in range(5000):
        recheck = advance_once(operation.pk, now)
        operation.refresh_from_db()
        if not operation.is_active or recheck is None:
            return
        now = max(now, recheck)
    raise AssertionError("the upgrade did not end")


def rule(scale_set: ScaleSet, kind: str, now: datetime, **fields) -> None:
    FaultRule.objects.create(scale_set=scale_set, kind=kind, created_at=now, **fields)


def healthy(scale_set: ScaleSet, now: datetime) -> None:
    """Nothing to add: every VM behaves."""


def one_never_healthy(scale_set: ScaleSet, now: datetime) -> None:
    rule(scale_set, FaultKind.NEVER_HEALTHY, now, instance_ids=[3], image_version=NEW_VERSION)


def thirty_percent_never_healthy(scale_set: ScaleSet, now: datetime) -> None:
    rule(scale_set, FaultKind.NEVER_HEALTHY, now, share=0.3, image_version=NEW_VERSION)


def a_quarter_go_down_mid_rollout(scale_set: ScaleSet, now: datetime) -> None:
    """Three of web10's VMs in late batches (2, 5 and 8) go down 150 s in, before their turn.

    Named rather than drawn by share: a share's draw is seeded by the rule's name, which
    carries its database id, so the VMs it picks (and whether U5 or U7 stops first) would
    change with the ids a test run happens to allocate."""
    rule(scale_set, FaultKind.UNHEALTHY_AFTER, now, instance_ids=[2, 5, 8], seconds=150)


def rollback_fails(scale_set: ScaleSet, now: datetime) -> None:
    rule(scale_set, FaultKind.NEVER_HEALTHY, now, instance_ids=[1, 4], image_version=NEW_VERSION)
    rule(scale_set, FaultKind.ROLLBACK_FAILS, now, instance_ids=[4], image_version=NEW_VERSION)


def expired_sas_token(scale_set: ScaleSet, now: datetime) -> None:
    Extension.objects.create(
        scale_set=scale_set,
        name="CustomScript",
        publisher="Microsoft.Azure.Extensions",
        extension_type="CustomScript",
        credential_expires_at=now - timedelta(days=1),
    )


Scenario = Callable[[ScaleSet, datetime], None]


@pytest.mark.parametrize("automatic_upgrade", [True, False], ids=["automatic", "manual"])
@pytest.mark.parametrize(
    "arrange",
    [
        healthy,
        one_never_healthy,
        thirty_percent_never_healthy,
        a_quarter_go_down_mid_rollout,
        rollback_fails,
        expired_sas_token,
    ],
)
def test_w1_prediction_agrees_with_the_real_run(web10, arrange: Scenario, automatic_upgrade):
    scale_set = automatic(web10) if automatic_upgrade else web10
    started_by = StartedBy.PLATFORM if automatic_upgrade else StartedBy.USER
    now = timezone.now()
    arrange(scale_set, now)
    whatif = predict_upgrade(scale_set, started_by=started_by, now=now)
    prediction = whatif.prediction

    operation = start_os_upgrade(scale_set, started_by=started_by, now=now)
    run_to_end(operation, now)

    states = {
        str(row.instance.instance_id): InstanceUpgradeState(row.state)
        for row in operation.instance_upgrades.select_related("instance")
    }
    real = {key: outcome_of(states.get(key, InstanceUpgradeState.PENDING)) for key in states}
    assert dict(prediction.outcomes) == real
    assert prediction.status == operation.status
    assert (prediction.error.code if prediction.error else "") == operation.error_code
    assert operation.ended_at - now == prediction.duration
    on_old = sorted(
        str(i.instance_id)
        for i in scale_set.instances.select_related("os_disk")
        if i.os_disk.image_version != NEW_VERSION
    )
    assert sorted(prediction.left_on_old_image) == on_old


def test_w1_u5_stop_is_predicted_with_its_code_and_figures(web10):
    now = timezone.now()
    thirty_percent_never_healthy(automatic(web10), now)
    data = whatif_data(predict_upgrade(web10, started_by=StartedBy.PLATFORM, now=now))
    assert data["status"] == RunningStatus.FAULTED
    stop = data["stop"]
    assert stop["rule"] == "U5"
    assert stop["code"] == "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"
    assert stop["unhealthyPercent"] > stop["allowedPercent"] == 20
    assert stop["afterBatch"] >= 1
    batches_run = [b for b in data["batches"] if b["startSeconds"] is not None]
    assert len(batches_run) == stop["afterBatch"]
    never_started = [b for b in data["batches"] if b["startSeconds"] is None]
    assert never_started, "the stop leaves batches unstarted"
    for batch in never_started:
        assert set(batch["instances"].values()) == {Outcome.NOT_UPGRADED}
        assert set(batch["instances"]) <= set(data["leftOnOldImage"])


def test_w1_u7_stop_is_predicted_before_the_batch_it_prevents(web10):
    now = timezone.now()
    a_quarter_go_down_mid_rollout(automatic(web10), now)
    data = whatif_data(predict_upgrade(web10, started_by=StartedBy.PLATFORM, now=now))
    assert data["stop"]["rule"] == "U7"
    assert data["stop"]["code"] == "MaxUnhealthyInstancePercentExceededInRollingUpgrade"
    assert data["stop"]["unhealthyInstanceCount"] == 3
    assert data["stop"]["instanceCount"] == 10


def test_w1_u1_a_scale_set_too_unhealthy_to_start(web10):
    now = timezone.now()
    rule(web10, FaultKind.NEVER_HEALTHY, now, instance_ids=[0, 1, 2])
    prediction = predict_upgrade(web10, now=now).prediction
    assert prediction.stop is not None and prediction.stop.rule == "U1"
    assert prediction.batches == ()
    assert prediction.count(Outcome.NOT_UPGRADED) == 10
    assert len(prediction.left_on_old_image) == 10


def test_w1_the_prediction_writes_nothing(web10):
    now = timezone.now()
    one_never_healthy(web10, now)
    before = list(web10.instances.values_list("pk", "os_disk_id", "reimage_started_at"))
    predict_upgrade(web10, now=now)
    assert not UpgradeOperation.objects.exists()
    assert list(web10.instances.values_list("pk", "os_disk_id", "reimage_started_at")) == before


def test_w1_preview_upgrade_simulate_prints_each_batch_and_the_stop(web10):
    from io import StringIO

    from django.core.management import call_command

    thirty_percent_never_healthy(automatic(web10), timezone.now())
    out = StringIO()
    call_command(
        "preview_upgrade", "-g", "rg-test", "-n", "web10", "--automatic", "--simulate", stdout=out
    )
    text = out.getvalue()
    assert "predicted Faulted" in text
    assert "U5 stops it after batch" in text
    assert "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade" in text
    assert "Left on the old image:" in text


def test_w1_preview_upgrade_simulate_json(web10):
    import json
    from io import StringIO

    from django.core.management import call_command

    one_never_healthy(automatic(web10), timezone.now())
    out = StringIO()
    call_command(
        "preview_upgrade",
        "-g",
        "rg-test",
        "-n",
        "web10",
        "--automatic",
        "--simulate",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["counts"]["rolled_back"] == 1
    assert "3" in data["leftOnOldImage"]
    # One rolled-back VM of the first batches already breaks U5's 20% (Azure counts so too).
    assert (data["status"] == "Faulted") is (data["stop"] is not None)
    batch = next(b for b in data["batches"] if "3" in b["instances"])
    assert batch["instances"]["3"] == "rolled_back"
    assert data["expectedSeconds"] > 0
