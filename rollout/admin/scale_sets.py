"""Scale sets and their extensions: every write goes through rollout.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.db.models import Count, QuerySet
from django.forms import BaseForm, BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from rollout.admin.base import (
    ACTION_REASON,
    ADMIN_REASON,
    RolloutAdmin,
    ViewOnlyTabularInline,
    describe_refusal,
)
from rollout.admin.forms import ExtensionForm, ScaleSetForm, profile_without, validate
from rollout.models import Extension, Instance, ScaleSet
from rollout.services import (
    ServiceError,
    disable_auto_upgrade,
    enable_auto_upgrade,
    update_scale_set_model,
)
from rollout.services.scale_sets.creation import add_scale_set
from rollout.services.scale_sets.updates import UPDATABLE_FIELDS
from rollout.services.wire.scale_sets import (
    AUTOMATIC_OS_UPGRADE_POLICY,
    ROLLING_UPGRADE_POLICY,
    SCALE_SET_FIELDS,
)

INSTANCES_SHOWN = 50

# Never typed in: the provider, the services and the clock own these.
ALWAYS_READ_ONLY = (
    "provisioning_state",
    "unique_id",
    "time_created",
    "updated_at",
    "model_version",
    "auto_upgrade_first_enabled_at",
    "instances_link",
    "extensions_link",
)


class FirstInstancesFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The first ``INSTANCES_SHOWN`` instances, fetched in one query; the rest are a link."""

    def get_queryset(self) -> QuerySet[Instance]:
        if not hasattr(self, "_first_instances"):
            related = super().get_queryset().select_related("scale_set", "os_disk")
            first = related[:INSTANCES_SHOWN]
            len(first)  # evaluate once: the forms index into this result
            self._first_instances = first
        return self._first_instances


class InstanceInline(ViewOnlyTabularInline):
    model = Instance
    formset = FirstInstancesFormSet
    verbose_name_plural = f"instances (the first {INSTANCES_SHOWN}; all of them: link above)"
    fields = readonly_fields = (
        "instance_id",
        "zone",
        "update_domain",
        "fault_domain",
        "power_state",
        "provisioning_state",
        "health_state",
        "os_image_version",
        "latest_model",
    )

    @admin.display(description="image version")
    def os_image_version(self, instance: Instance) -> str:
        return instance.image_version

    @admin.display(description="latest model applied", boolean=True)
    def latest_model(self, instance: Instance) -> bool:
        return instance.latest_model_applied


class ExtensionInline(ViewOnlyTabularInline):
    """Read-only here: an extension change is a model change (E2, E5), saved one extension
    at a time from the extension's own form, through the service."""

    model = Extension
    fields = readonly_fields = (
        "position",
        "name",
        "publisher",
        "extension_type",
        "type_handler_version",
        "provision_after_extensions",
        "credential_expires_at",
    )


@admin.register(ScaleSet)
class ScaleSetAdmin(RolloutAdmin):
    form = ScaleSetForm
    inlines = (ExtensionInline, InstanceInline)
    actions = ("enable_auto_upgrade_action", "disable_auto_upgrade_action")
    list_display = (
        "name",
        "resource_group",
        "location",
        "capacity",
        "instance_count",
        "image",
        "upgrade_mode",
        "enable_automatic_os_upgrade",
        "provisioning_state",
    )
    list_filter = (
        "location",
        "upgrade_mode",
        "enable_automatic_os_upgrade",
        "os_type",
        "image_kind",
        "provisioning_state",
        "service_fabric_cluster_durability",
    )
    list_select_related = ("resource_group", "location", "gallery_image__gallery")
    search_fields = ("name", "resource_group__name", "image_offer", "image_sku")
    ordering = ("resource_group__name", "name")
    autocomplete_fields = ("resource_group", "location", "health_probe", "gallery_image")
    fieldsets = (
        (None, {"fields": ("resource_group", "name", "location", "zones", "tags")}),
        (
            "SKU and placement",
            {
                "fields": (
                    "sku_name",
                    "sku_tier",
                    "capacity",
                    "instances_link",
                    "single_placement_group",
                    "platform_fault_domain_count",
                )
            },
        ),
        (
            "Image reference (storageProfile.imageReference)",
            {
                "fields": (
                    "image_kind",
                    "image_publisher",
                    "image_offer",
                    "image_sku",
                    "image_version",
                    "gallery_image",
                    "custom_image_id",
                )
            },
        ),
        (
            "OS profile",
            {
                "fields": (
                    "os_type",
                    "computer_name_prefix",
                    "admin_username",
                    "custom_data",
                    "user_data",
                    "enable_automatic_updates",
                    "patch_mode",
                )
            },
        ),
        (
            "Scale-in policy",
            {"fields": SCALE_SET_FIELDS.model_fields("properties.scaleInPolicy")},
        ),
        ("Upgrade policy", {"fields": ("upgrade_mode",)}),
        (
            "Rolling upgrade policy",
            {"fields": SCALE_SET_FIELDS.model_fields(ROLLING_UPGRADE_POLICY)},
        ),
        (
            "Automatic OS upgrade policy",
            {"fields": SCALE_SET_FIELDS.model_fields(AUTOMATIC_OS_UPGRADE_POLICY)},
        ),
        ("Health", {"fields": ("health_probe", "extensions_link")}),
        (
            "Service Fabric",
            {"fields": ("service_fabric_cluster_durability", "service_fabric_stateless")},
        ),
        (
            "Bookkeeping",
            {
                "classes": ("collapse",),
                "fields": (
                    "provisioning_state",
                    "unique_id",
                    "time_created",
                    "updated_at",
                    "model_version",
                    "auto_upgrade_first_enabled_at",
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = (
            super().get_queryset(request).annotate(instance_total=Count("instances"))
        )
        return queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ALWAYS_READ_ONLY
        # E4: what a model update may not set is fixed at creation (the service's own list).
        fixed = tuple(
            name
            for name in flatten_fieldsets(self.fieldsets)
            if name not in UPDATABLE_FIELDS and name not in ALWAYS_READ_ONLY
        )
        return ALWAYS_READ_ONLY + fixed

    @admin.display(description="instances", ordering="instance_total")
    def instance_count(self, scale_set: ScaleSet) -> int:
        return getattr(scale_set, "instance_total", 0)

    @admin.display(description="image")
    def image(self, scale_set: ScaleSet) -> str:
        return scale_set.image_label

    @admin.display(description="instances")
    def instances_link(self, scale_set: ScaleSet) -> str:
        if scale_set.pk is None:
            return "Created with the scale set, one per unit of capacity."
        url = reverse("admin:rollout_instance_changelist")
        count = getattr(scale_set, "instance_total", None)
        if count is None:
            count = scale_set.instances.count()
        return format_html(
            '<a href="{}?scale_set__id__exact={}">All {} instances</a>', url, scale_set.pk, count
        )

    @admin.display(description="extensions")
    def extensions_link(self, scale_set: ScaleSet) -> str:
        if scale_set.pk is None:
            return "Add extensions once the scale set exists."
        url = reverse("admin:rollout_extension_add")
        return format_html('<a href="{}?scale_set={}">Add an extension</a>', url, scale_set.pk)

    def save_model(self, request: HttpRequest, obj: ScaleSet, form: BaseForm, change: bool) -> None:
        assert isinstance(form, ScaleSetForm)
        if change:
            update_scale_set_model(obj, form.changes, actor=request.user, reason=ADMIN_REASON)
        else:
            add_scale_set(obj, actor=request.user, reason=ADMIN_REASON)
        obj.refresh_from_db()

    @admin.action(description="Enable automatic OS upgrade")
    def enable_auto_upgrade_action(
        self, request: HttpRequest, queryset: QuerySet[ScaleSet]
    ) -> None:
        self._apply(request, queryset, enable_auto_upgrade, "enabled")

    @admin.action(description="Disable automatic OS upgrade")
    def disable_auto_upgrade_action(
        self, request: HttpRequest, queryset: QuerySet[ScaleSet]
    ) -> None:
        self._apply(request, queryset, disable_auto_upgrade, "disabled")

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[ScaleSet],
        verb: Callable[..., ScaleSet],
        done: str,
    ) -> None:
        succeeded = 0
        for scale_set in queryset.order_by("resource_group__name", "name"):
            try:
                verb(scale_set, actor=request.user, reason=ACTION_REASON)
            except ServiceError as error:
                self.message_user(
                    request,
                    f"Automatic OS upgrade was not {done} on {scale_set.name}: "
                    f"{describe_refusal(error)}",
                    messages.ERROR,
                )
            else:
                succeeded += 1
        if succeeded:
            noun = "scale set" if succeeded == 1 else "scale sets"
            self.message_user(
                request, f"Automatic OS upgrade {done} on {succeeded} {noun}.", messages.SUCCESS
            )


@admin.register(Extension)
class ExtensionAdmin(RolloutAdmin):
    form = ExtensionForm
    list_display = (
        "name",
        "scale_set",
        "publisher",
        "extension_type",
        "type_handler_version",
        "position",
        "credential_expires_at",
    )
    list_filter = ("publisher", "extension_type")
    list_select_related = ("scale_set",)
    search_fields = ("name", "publisher", "extension_type", "scale_set__name")
    ordering = ("scale_set__name", "position", "name")
    autocomplete_fields = ("scale_set",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else ("scale_set",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a deletion is a model update: one at a time
        return actions

    def save_model(
        self, request: HttpRequest, obj: Extension, form: BaseForm, change: bool
    ) -> None:
        assert isinstance(form, ExtensionForm)
        scale_set = obj.scale_set
        update_scale_set_model(
            scale_set, {}, extensions=form.specs, actor=request.user, reason=ADMIN_REASON
        )
        # The service rewrites the profile's rows: point the admin at the new one.
        saved = Extension.objects.get(scale_set=scale_set, name=obj.name)
        obj.pk, obj.position = saved.pk, saved.position

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extension = self.get_object(request, unquote(object_id))
        if (
            request.method == "POST"
            and extension is not None
            and self.has_delete_permission(request, extension)
        ):
            remaining = profile_without(extension)
            refusal = validate(
                lambda: update_scale_set_model(extension.scale_set, {}, extensions=remaining)
            )
            if refusal is not None:
                self.message_user(
                    request,
                    f"{extension.name} was not removed from {extension.scale_set.name}: "
                    f"{describe_refusal(refusal)}",
                    messages.ERROR,
                )
                url = reverse("admin:rollout_extension_change", args=[extension.pk])
                return HttpResponseRedirect(url)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Extension) -> None:
        update_scale_set_model(
            obj.scale_set,
            {},
            extensions=profile_without(obj),
            actor=request.user,
            reason=ADMIN_REASON,
        )
