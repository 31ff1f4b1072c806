"""B2's services: add and remove fault rules, refused when they make no sense, audited (B7)."""

from __future__ import annotations

import pytest

from rollout.models import Event, EventKind, FaultRule
from rollout.services.errors import ServiceError
from rollout.services.scale_sets.fault_rules import add_fault_rule, remove_fault_rule

pytestmark = pytest.mark.django_db


def test_b2_a_rule_is_saved_with_who_and_why(web10, django_user_model):
    user = django_user_model.objects.create_user("rita")
    rule = add_fault_rule(
        web10, kind="never_healthy", instance_ids=[7, 3, 3], actor=user, reason="rehearse U4"
    )
    assert (rule.instance_ids, rule.created_by, rule.reason) == ([3, 7], user, "rehearse U4")
    event = Event.objects.get(kind=EventKind.FAULT_RULE_ADDED)
    assert (event.actor_name, event.reason, event.scale_set) == ("rita", "rehearse U4", web10)
    assert event.data["fault_kind"] == "never_healthy"


@pytest.mark.parametrize(
    ("arguments", "target"),
    [
        ({"kind": "gremlins"}, "kind"),
        ({"kind": "healthy_after"}, "seconds"),
        ({"kind": "unhealthy_after", "seconds": -1}, "seconds"),
        ({"kind": "never_healthy", "share": 1.5}, "share"),
        ({"kind": "never_healthy", "share": 0.5, "instance_ids": [1]}, "share"),
        ({"kind": "never_healthy", "instance_ids": [42]}, "instance_ids"),
        ({"kind": "never_healthy", "zone": "9"}, "zone"),
    ],
)
def test_b2_a_rule_that_makes_no_sense_is_refused(web10, arguments, target):
    with pytest.raises(ServiceError) as refused:
        add_fault_rule(web10, **arguments)
    assert refused.value.target == target
    assert not FaultRule.objects.exists()
    assert not Event.objects.exists()


def test_b2_removing_a_rule_keeps_what_it_did_in_the_log(web10):
    rule = add_fault_rule(web10, kind="rollback_fails", share=0.2, zone="2")
    remove_fault_rule(web10, rule.pk, actor="command line", reason="over")
    assert not FaultRule.objects.exists()
    event = Event.objects.get(kind=EventKind.FAULT_RULE_REMOVED)
    assert event.data["description"] == "rollback fails: 20% of the instances in zone 2"
    assert (event.actor_name, event.reason) == ("command line", "over")


def test_removing_another_scale_sets_rule_is_not_found(web10, tiny3):
    rule = add_fault_rule(tiny3, kind="reimage_fails")
    with pytest.raises(ServiceError) as refused:
        remove_fault_rule(web10, rule.pk)
    assert refused.value.status == 404
    assert FaultRule.objects.filter(pk=rule.pk).exists()
