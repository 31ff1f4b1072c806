"""Gates (G1), checkpoints and bake time (G4): written through ``rollout.services.gates``
(validated, audited, live); gate runs and their measurements are shown as measured."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from rollout.admin.base import (
    ADMIN_REASON,
    RolloutAdmin,
    ViewOnlyAdmin,
    ViewOnlyTabularInline,
    problems_of,
)
from rollout.admin.scoping import GROUP_PATHS
from rollout.models import (
    CheckpointHold,
    CheckpointPolicy,
    Gate,
    GateMeasurement,
    GateRun,
)
from rollout.services import ServiceError
from rollout.services.gates.config import (
    GATE_FIELDS,
    check_gate,
    delete_gate,
    save_gate,
    set_checkpoints,
)

# R1: these rows live in their scale set's resource group.
GROUP_PATHS.update(
    {
        Gate: "scale_set__resource_group",
        CheckpointPolicy: "scale_set__resource_group",
        GateRun: "operation__scale_set__resource_group",
        GateMeasurement: "run__operation__scale_set__resource_group",
        CheckpointHold: "operation__scale_set__resource_group",
    }
)
WIRE_TARGETS = {f"properties.{wire}": field for field, wire in GATE_FIELDS.items()}


def _field_of(target: str | None, form: forms.BaseForm) -> str | None:
    field = WIRE_TARGETS.get(target or "", target)
    return field if field in form.fields else None


class GateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Gate
        fields = ("scale_set", "name", *GATE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = Gate(**{k: v for k, v in data.items() if k in self.Meta.fields})
        try:
            check_gate(candidate)
        except ServiceError as error:
            for problem in problems_of(error):
                self.add_error(_field_of(problem.target, self), problem.message)
        return data


@admin.register(Gate)
class GateAdmin(RolloutAdmin):
    form = GateForm
    list_display = ("name", "scale_set", "kind", "success_condition", "count", "enabled")
    list_filter = ("kind", "enabled")
    list_select_related = ("scale_set",)
    search_fields = ("name", "scale_set__name", "url")
    autocomplete_fields = ("scale_set",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("scale_set", "name") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Gate, form: Any, change: bool) -> None:
        values = {field: getattr(obj, field) for field in GATE_FIELDS}
        saved, _ = save_gate(
            obj.scale_set, obj.name, values, actor=request.user, reason=ADMIN_REASON
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Gate) -> None:
        delete_gate(obj.scale_set, obj.name, actor=request.user, reason=ADMIN_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Gate]) -> None:
        for gate in queryset.select_related("scale_set"):
            self.delete_model(request, gate)


class CheckpointPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CheckpointPolicy
        fields = ("scale_set", "checkpoints", "bake_seconds")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        checkpoints = data.get("checkpoints") or []
        if not isinstance(checkpoints, list) or not all(isinstance(c, dict) for c in checkpoints):
            self.add_error("checkpoints", 'A list like [{"percent": 50}].')
        return data


@admin.register(CheckpointPolicy)
class CheckpointPolicyAdmin(RolloutAdmin):
    form = CheckpointPolicyForm
    list_display = ("scale_set", "checkpoints", "bake_seconds")
    list_select_related = ("scale_set",)
    autocomplete_fields = ("scale_set",)

    def save_model(
        self, request: HttpRequest, obj: CheckpointPolicy, form: Any, change: bool
    ) -> None:
        saved = set_checkpoints(
            obj.scale_set,
            list(obj.checkpoints or []),
            obj.bake_seconds,
            actor=request.user,
            reason=ADMIN_REASON,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CheckpointPolicy) -> None:
        set_checkpoints(obj.scale_set, [], 0, actor=request.user, reason=ADMIN_REASON)


class GateMeasurementInline(ViewOnlyTabularInline):
    model = GateMeasurement
    show_change_link = False
    fields = ("gate_name", "at", "value", "condition", "verdict", "message")
    readonly_fields = fields


@admin.register(GateRun)
class GateRunAdmin(ViewOnlyAdmin):
    inlines = (GateMeasurementInline,)
    list_display = (
        "__str__",
        "operation",
        "phase",
        "batch_index",
        "verdict",
        "started_at",
        "ended_at",
        "message",
    )
    list_filter = ("phase", "verdict")
    list_select_related = ("operation__scale_set",)
    ordering = ("-id",)


@admin.register(GateMeasurement)
class GateMeasurementAdmin(ViewOnlyAdmin):
    list_display = ("gate_name", "run", "at", "value", "condition", "verdict", "message")
    list_filter = ("verdict", "gate_kind")
    list_select_related = ("run",)
    ordering = ("-id",)


@admin.register(CheckpointHold)
class CheckpointHoldAdmin(ViewOnlyAdmin):
    list_display = (
        "__str__",
        "operation",
        "percent",
        "reached_at",
        "promoted_at",
        "promoted_by_name",
    )
    list_select_related = ("operation__scale_set",)
    ordering = ("-id",)
