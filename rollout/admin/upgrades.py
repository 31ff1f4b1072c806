"""Upgrade operations, their batches and instance upgrades, the event log and fault rules.

Operations, batches and instance upgrades are the engine's state, and the events the audit
trail (B7): the admin shows them and changes none of them. Deleting an operation would also
delete its events, so that is not offered either. Fault rules are the operator's (B2).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from rollout.admin.base import RolloutAdmin, ViewOnlyAdmin, ViewOnlyTabularInline
from rollout.models import Event, FaultRule, InstanceUpgrade, UpgradeBatch, UpgradeOperation


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


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    """The append-only event log: nobody adds, changes or deletes a row by hand."""

    list_display = ("id", "created_at", "kind", "scale_set", "operation", "actor_name", "why")
    list_filter = ("kind", "scale_set")
    list_select_related = ("scale_set", "operation__scale_set")
    search_fields = ("reason", "actor_name", "scale_set__name")
    ordering = ("-id",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log grows without bound: spare a second COUNT(*)

    @admin.display(description="reason")
    def why(self, event: Event) -> str:
        return Truncator(event.reason).chars(80)


@admin.register(FaultRule)
class FaultRuleAdmin(RolloutAdmin):
    list_display = (
        "__str__",
        "scale_set",
        "kind",
        "seconds",
        "instance_ids",
        "share",
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
    readonly_fields = ("created_at", "created_by")

    def save_model(self, request: HttpRequest, obj: FaultRule, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = timezone.now()
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
