"""Upgrade operations, their batches and instance upgrades, the event log and fault rules.

Operations, batches and instance upgrades are the engine's state, and the events the audit
trail (B7): the admin shows them and changes none of them. Deleting an operation would also
delete its events, so that is not offered either. Fault rules are the operator's (B2).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from rollout.admin.base import (
    ADMIN_REASON,
    RolloutAdmin,
    ViewOnlyAdmin,
    ViewOnlyTabularInline,
    problems_of,
)
from rollout.admin.forms import validate
from rollout.models import (
    Event,
    FaultRule,
    InstanceUpgrade,
    ScaleSetStream,
    UpgradeBatch,
    UpgradeOperation,
)
from rollout.services.scale_sets.fault_rules import add_fault_rule, remove_fault_rule


class UpgradeBatchInline(ViewOnlyTabularInline):
    model = UpgradeBatch


@admin.register(UpgradeOperation)
class UpgradeOperationAdmin(ViewOnlyAdmin):
    inlines = (UpgradeBatchInline,)
    readonly_fields = ("instance_upgrades_link",)
    list_display = (
        "__str__",
        "scale_set",
        "kind",
        "started_by",
        "target_image_version",
        "location",
        "status",
        "started_at",
        "ended_at",
        "successful_instance_count",
        "failed_instance_count",
        "in_progress_instance_count",
        "pending_instance_count",
    )
    list_filter = ("status", "kind", "started_by", "location", "scale_set")
    list_select_related = ("scale_set",)
    search_fields = ("scale_set__name", "target_image_version", "error_code")
    ordering = ("-started_at", "-id")
    date_hierarchy = "started_at"

    @admin.display(description="instance upgrades")
    def instance_upgrades_link(self, operation: UpgradeOperation) -> str:
        url = reverse("admin:rollout_instanceupgrade_changelist")
        return format_html(
            '<a href="{}?operation__id__exact={}">All of them</a>', url, operation.pk
        )


@admin.register(UpgradeBatch)
class UpgradeBatchAdmin(ViewOnlyAdmin):
    list_display = ("__str__", "operation", "index", "update_domain", "started_at", "completed_at")
    list_select_related = ("operation__scale_set",)
    search_fields = ("operation__scale_set__name",)
    ordering = ("-operation__started_at", "index")


@admin.register(InstanceUpgrade)
class InstanceUpgradeAdmin(ViewOnlyAdmin):
    list_display = (
        "__str__",
        "operation",
        "batch",
        "state",
        "reimage_started_at",
        "reimage_completed_at",
        "ended_at",
    )
    list_filter = ("state",)
    list_select_related = ("operation__scale_set", "batch", "instance__scale_set")
    search_fields = ("instance__scale_set__name", "=instance__instance_id")
    ordering = ("-operation__started_at", "batch__index", "instance__instance_id")


@admin.register(ScaleSetStream)
class ScaleSetStreamAdmin(ViewOnlyAdmin):
    """Each scale set's stream head: the last sequence its events were given (L1). It goes
    with its scale set (deleting a scale set deletes its stream); a stream deleted alone
    starts again after its scale set's last event (``rollout.events.streams.allocate``)."""

    list_display = ("scale_set", "sequence")
    list_select_related = ("scale_set",)
    search_fields = ("scale_set__name",)
    ordering = ("scale_set__name",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return RolloutAdmin.has_delete_permission(self, request, obj)


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    """The append-only event log: nobody adds, changes or deletes a row by hand."""

    list_display = (
        "id",
        "sequence",
        "created_at",
        "kind",
        "scale_set",
        "operation",
        "actor_name",
        "why",
    )
    list_filter = ("kind", "scale_set")
    list_select_related = ("scale_set", "operation__scale_set")
    search_fields = ("reason", "actor_name", "scale_set__name")
    ordering = ("-id",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log grows without bound: spare a second COUNT(*)

    @admin.display(description="reason")
    def why(self, event: Event) -> str:
        return Truncator(event.reason).chars(80)


class FaultRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new fault rule, with its share in percent as on the dashboard; the service judges it."""

    share_percent = forms.FloatField(
        required=False, min_value=0, max_value=100, help_text="A share of the instances, in %."
    )

    class Meta:
        model = FaultRule
        fields = ("scale_set", "kind", "instance_ids", "zone", "seconds", "image_version", "reason")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        share = cleaned.get("share_percent")
        self.arguments = {
            "kind": cleaned["kind"],
            "instance_ids": [int(i) for i in cleaned.get("instance_ids") or []],
            "share": None if share is None else share / 100,
            "zone": cleaned.get("zone") or "",
            "seconds": cleaned.get("seconds"),
            "image_version": cleaned.get("image_version") or "",
            "reason": cleaned.get("reason") or ADMIN_REASON,
        }
        refusal = validate(lambda: add_fault_rule(cleaned["scale_set"], **self.arguments))
        if refusal is not None:
            for problem in problems_of(refusal):
                field = "share_percent" if problem.target == "share" else problem.target
                self.add_error(field if field in self.fields else None, problem.message)
        return cleaned


@admin.register(FaultRule)
class FaultRuleAdmin(RolloutAdmin):
    """B2: rules are added and removed through the rehearsal services (live, audited, B7);
    a rule is never edited in place: remove it and add another."""

    form = FaultRuleForm
    list_display = (
        "__str__",
        "scale_set",
        "kind",
        "seconds",
        "instance_ids",
        "share_shown",
        "zone",
        "image_version",
        "enabled",
        "created_at",
        "created_by",
    )
    list_filter = ("kind", "enabled", "scale_set")
    list_select_related = ("scale_set", "created_by")
    search_fields = ("scale_set__name", "reason", "image_version")
    ordering = ("scale_set__name", "id")
    autocomplete_fields = ("scale_set",)
    actions = ("remove_rules",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="share", ordering="share")
    def share_shown(self, rule: FaultRule) -> str:
        """The share in %, as the dashboard and this form take it (stored as 0-1)."""
        return "—" if rule.share is None else f"{rule.share * 100:g}%"

    def save_model(self, request: HttpRequest, obj: FaultRule, form: Any, change: bool) -> None:
        rule = add_fault_rule(obj.scale_set, actor=request.user, **form.arguments)
        obj.pk = rule.pk

    def delete_model(self, request: HttpRequest, obj: FaultRule) -> None:
        remove_fault_rule(obj.scale_set, obj.pk, actor=request.user, reason=ADMIN_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FaultRule]) -> None:
        for rule in queryset.select_related("scale_set"):
            self.delete_model(request, rule)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # remove_rules goes through the service
        return actions

    @admin.action(description="Remove the selected fault rules")
    def remove_rules(self, request: HttpRequest, queryset: QuerySet[FaultRule]) -> None:
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"{count} fault rule(s) removed.")
