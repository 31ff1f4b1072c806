"""The grid's per-instance actions (issue 12): reimage, restart, power off and on, protect.

One POST names the instance and the verb; the user's role must allow that verb on one VM
(``Microsoft.Compute/virtualMachineScaleSets/virtualMachines/{verb}/action``, or ``.../write``
for protection), as the API's per-VM paths require. The action is the user's own on the VM,
so instance protection does not block it (``services.scale_sets.vm_actions``); it is audited
and reaches every open page through its event.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from rollout.dashboard.actions import _call, _invalid, _reason, _refused, scale_set_action
from rollout.dashboard.display import INSTANCE_VERBS
from rollout.dashboard.permissions import grants_for
from rollout.models import ScaleSet
from rollout.services.access.roles import WRITE_VM, instance_action
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.scale_sets.vm_actions import InstanceAction, act_on_instances, update_instance

PROTECTION = {"protect": True, "unprotect": False}


class InstanceActionForm(forms.Form):
    instance_id = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    verb = forms.ChoiceField(choices=[(verb, label) for verb, label, _ in INSTANCE_VERBS])
    reason = forms.CharField(max_length=500, required=False)


@scale_set_action("instances", "instance")
def instance_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = InstanceActionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "instance")
    verb = form.cleaned_data["verb"]
    instance_id = form.cleaned_data["instance_id"]
    needed = WRITE_VM if verb in PROTECTION else instance_action(verb, per_vm=True)
    try:
        grants_for(request).require(needed, Scope.of(scale_set))
    except ServiceError as error:
        return _refused(request, scale_set, "instance", error)
    reason = _reason(form) or f"dashboard: {verb} instance {instance_id}"
    label = dict((v, label) for v, label, _ in INSTANCE_VERBS)[verb]
    if verb in PROTECTION:
        protect = PROTECTION[verb]
        return _call(
            request,
            scale_set,
            "instance",
            lambda: update_instance(
                scale_set,
                instance_id,
                protect_from_scale_in=protect,
                protect_from_scale_set_actions=protect,
                actor=request.user,
                reason=reason,
            ),
            f"Instance {instance_id}: {'protected' if protect else 'protection removed'}.",
        )
    return _call(
        request,
        scale_set,
        "instance",
        lambda: act_on_instances(
            scale_set,
            InstanceAction(verb),
            [instance_id],
            on_scale_set=False,
            actor=request.user,
            reason=reason,
        ),
        f"Instance {instance_id}: {label.lower()} done.",
    )
