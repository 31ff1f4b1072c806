"""Lookups shared by the views: the scale set of a path, with what serialising it needs."""

from __future__ import annotations

from rollout.api.dispatch import ApiCall
from rollout.api.serializers.scale_sets import SCALE_SET_RELATED
from rollout.models import ScaleSet
from rollout.services.lookup import get_scale_set


def reload(scale_set: ScaleSet) -> ScaleSet:
    return (
        ScaleSet.objects.select_related(*SCALE_SET_RELATED)
        .prefetch_related("extensions")
        .get(pk=scale_set.pk)
    )


def scale_set_of(call: ApiCall) -> ScaleSet:
    """The scale set the path names (404 ``ResourceGroupNotFound`` / ``ResourceNotFound``)."""
    found = get_scale_set(call.args["resource_group"], call.args["scale_set"], call.subscription_id)
    return reload(found)


def flag(call: ApiCall, name: str) -> bool:
    return (call.query(name) or "").lower() == "true"
