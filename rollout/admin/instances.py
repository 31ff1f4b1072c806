"""Instances and their disks: the simulated provider's state, editable for rehearsals.

A scale set can hold 1,000 instances (and twice as many disks), so every foreign key to
these tables is a raw id or an autocomplete, never a select of every row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from rollout.admin.base import ACTION_REASON, RolloutAdmin, describe_refusal
from rollout.models import DataDisk, Instance, OsDisk, ScaleSet
from rollout.services import ServiceError
from rollout.services.scale_sets.instances import manual_upgrade_instances


class OsDiskInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OsDisk
    extra = 0
    fields = ("name", "image_version", "state", "created_at", "deleted_at")


class DataDiskInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DataDisk
    extra = 0
    fields = ("lun", "size_gb", "checksum")


@admin.register(Instance)
class InstanceAdmin(RolloutAdmin):
    inlines = (OsDiskInline, DataDiskInline)
    actions = ("apply_latest_model",)
    list_display = (
        "__str__",
        "instance_id",
        "scale_set",
        "zone",
        "update_domain",
        "fault_domain",
        "power_state",
        "provisioning_state",
        "health_state",
        "os_image_version",
        "latest_model",
    )
    list_filter = ("power_state", "health_state", "provisioning_state", "zone", "scale_set")
    list_select_related = ("scale_set", "os_disk")
    search_fields = ("scale_set__name", "=instance_id", "os_disk__image_version")
    ordering = ("scale_set__name", "instance_id")
    autocomplete_fields = ("scale_set",)
    raw_id_fields = ("os_disk",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Protection and userData change through the services (API, grid, vmss_instances),
        # audited; the admin shows them.
        bookkeeping = (
            "model_version",
            "created_at",
            "protect_from_scale_in",
            "protect_from_scale_set_actions",
            "user_data",
        )
        return bookkeeping if obj is None else ("scale_set", "instance_id", *bookkeeping)

    @admin.display(description="image version", ordering="os_disk__image_version")
    def os_image_version(self, instance: Instance) -> str:
        return instance.image_version

    @admin.display(description="latest model applied", boolean=True)
    def latest_model(self, instance: Instance) -> bool:
        return instance.latest_model_applied

    @admin.action(description="Apply the latest model (E5 manual upgrade)")
    def apply_latest_model(self, request: HttpRequest, queryset: QuerySet[Instance]) -> None:
        instance_ids: dict[int, list[int]] = defaultdict(list)
        for scale_set_id, instance_id in queryset.values_list("scale_set_id", "instance_id"):
            instance_ids[scale_set_id].append(instance_id)
        upgraded = 0
        for scale_set in ScaleSet.objects.filter(pk__in=instance_ids).order_by("name"):
            try:
                done = manual_upgrade_instances(
                    scale_set, instance_ids[scale_set.pk], actor=request.user, reason=ACTION_REASON
                )
            except ServiceError as error:
                self.message_user(
                    request, f"{scale_set.name}: {describe_refusal(error)}", messages.ERROR
                )
            else:
                upgraded += len(done)
        if upgraded:
            self.message_user(
                request, f"{upgraded} instance(s) now run the latest model.", messages.SUCCESS
            )


@admin.register(OsDisk)
class OsDiskAdmin(RolloutAdmin):
    list_display = ("name", "instance", "image_version", "state", "created_at", "deleted_at")
    list_filter = ("state", "image_version")
    list_select_related = ("instance__scale_set",)
    search_fields = ("name", "image_version", "instance__scale_set__name")
    ordering = ("instance__scale_set__name", "instance__instance_id", "created_at")
    raw_id_fields = ("instance",)
    date_hierarchy = "created_at"


@admin.register(DataDisk)
class DataDiskAdmin(RolloutAdmin):
    list_display = ("__str__", "instance", "lun", "size_gb", "checksum")
    list_select_related = ("instance__scale_set",)
    search_fields = ("instance__scale_set__name", "checksum")
    ordering = ("instance__scale_set__name", "instance__instance_id", "lun")
    raw_id_fields = ("instance",)
