"""The Gates tab (G1, G4): a scale set's gates, checkpoints and bake time, the last upgrade's
gate runs with every measurement, and the controls that change them or promote a held
upgrade. Every change goes through ``rollout.services.gates`` (as the API, admin and command)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from rollout.dashboard.actions import _call, _invalid, _reason, scale_set_action
from rollout.dashboard.display import control_messages
from rollout.dashboard.pages import _scale_set
from rollout.dashboard.permissions import may
from rollout.models import (
    ACTIVE_STATUSES,
    CheckpointHold,
    CheckpointPolicy,
    Gate,
    GateKind,
    GateRun,
    GateVerdict,
    ScaleSet,
    UpgradeOperation,
)
from rollout.services.gates.config import (
    delete_gate,
    describe_gate,
    promote,
    save_gate,
    set_checkpoints,
)


class GateForm(forms.Form):
    name = forms.CharField(max_length=64)
    kind = forms.ChoiceField(choices=GateKind.choices)
    url = forms.CharField(max_length=2000)
    query = forms.CharField(max_length=4000, required=False)
    success_condition = forms.CharField(max_length=500, required=False)
    failure_condition = forms.CharField(max_length=500, required=False)
    timeout_seconds = forms.FloatField(min_value=0.1, max_value=300, initial=10)
    interval_seconds = forms.FloatField(min_value=1, initial=60)
    count = forms.IntegerField(min_value=1, initial=1)
    failure_limit = forms.IntegerField(min_value=0, initial=0)
    inconclusive_limit = forms.IntegerField(min_value=0, initial=0)
    consecutive_error_limit = forms.IntegerField(min_value=0, initial=4)
    forced_verdict = forms.ChoiceField(
        choices=[("", "none: measure for real"), *[(v.value, v.value) for v in GateVerdict]],
        required=False,
    )
    reason = forms.CharField(max_length=200, required=False)


class CheckpointsForm(forms.Form):
    checkpoints = forms.CharField(
        required=False,
        max_length=200,
        help_text="e.g. 20:600, 50 (percent, and seconds to wait; no seconds: hold).",
    )
    bake_seconds = forms.FloatField(min_value=0, initial=0)
    reason = forms.CharField(max_length=200, required=False)

    def clean_checkpoints(self) -> list[dict[str, Any]]:
        found = []
        for part in (self.cleaned_data.get("checkpoints") or "").replace(";", ",").split(","):
            text = part.strip()
            if not text:
                continue
            percent, _, delay = text.partition(":")
            try:
                item: dict[str, Any] = {"percent": int(percent)}
                if delay.strip():
                    item["delaySeconds"] = float(delay)
            except ValueError:
                raise forms.ValidationError(
                    f"{text!r}: write PERCENT or PERCENT:SECONDS."
                ) from None
            found.append(item)
        return found


class ReasonOnly(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


def checkpoints_text(policy: CheckpointPolicy | None) -> str:
    if policy is None:
        return ""
    return ", ".join(
        f"{c['percent']}:{c['delaySeconds']:g}" if "delaySeconds" in c else str(c["percent"])
        for c in policy.checkpoints
    )


@login_required
def gates_page(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = _scale_set(request, pk)
    gates = list(Gate.objects.filter(scale_set=scale_set))
    policy = CheckpointPolicy.objects.filter(scale_set=scale_set).first()
    operation = UpgradeOperation.objects.filter(scale_set=scale_set).first()
    runs = (
        list(GateRun.objects.filter(operation=operation).prefetch_related("measurements"))
        if operation is not None
        else []
    )
    held = (
        CheckpointHold.objects.filter(
            operation=operation,
            promoted_at__isnull=True,
            delay_seconds__isnull=True,
            operation__status__in=ACTIVE_STATUSES,
        ).first()
        if operation is not None
        else None
    )
    return render(
        request,
        "dashboard/gates.html",
        {
            "scale_set": scale_set,
            "gates": [{"gate": gate, "description": describe_gate(gate)} for gate in gates],
            "policy": policy,
            "checkpoints_text": checkpoints_text(policy),
            "operation": operation,
            "runs": runs,
            "held": held,
            "form": GateForm(),
            "may": may(request, scale_set),
            "refusal_shown": control_messages(request, "gates").get(scale_set.pk, ""),
        },
    )


def _gates_url(scale_set: ScaleSet) -> str:
    return reverse("dashboard:gates", args=[scale_set.pk])


@scale_set_action("gates", "gates")
def set_gate(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = GateForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "gates")
    values = {k: v for k, v in form.cleaned_data.items() if k not in ("name", "reason")}
    values["forced_verdict"] = values.get("forced_verdict") or ""
    name = form.cleaned_data["name"]
    return _call(
        request,
        scale_set,
        "gates",
        lambda: save_gate(scale_set, name, values, actor=request.user, reason=_reason(form)),
        f"Gate {name} saved.",
        default_next=_gates_url(scale_set),
    )


@scale_set_action("gates", "gates")
def remove_gate(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = ReasonOnly(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "gates")
    return _call(
        request,
        scale_set,
        "gates",
        lambda: delete_gate(scale_set, name, actor=request.user, reason=_reason(form)),
        f"Gate {name} deleted.",
        default_next=_gates_url(scale_set),
    )


@scale_set_action("gates", "gates")
def set_checkpoint_policy(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = CheckpointsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "gates")
    data = form.cleaned_data
    return _call(
        request,
        scale_set,
        "gates",
        lambda: set_checkpoints(
            scale_set,
            data["checkpoints"],
            data["bake_seconds"],
            actor=request.user,
            reason=_reason(form),
        ),
        "Checkpoints and bake time saved.",
        default_next=_gates_url(scale_set),
    )


@scale_set_action("promote", "promote")
def promote_upgrade(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = ReasonOnly(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "promote")
    return _call(
        request,
        scale_set,
        "promote",
        lambda: promote(scale_set, actor=request.user, reason=_reason(form)),
        "Promoted: the upgrade goes on past its checkpoint.",
    )
