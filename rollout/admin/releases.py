"""The admin of automatic upgrades: releases, trigger policies, maintenance windows and the
gallery replication. Every write goes through the services (STYLE 2.3), with the user as the
actor (B7); refusals are dry-run first (``rollout.admin.forms.validate``) and shown on the form.

- **Releases**: "Add release" publishes a platform image version (``publish_image_version``);
  a release is otherwise read-only, with its phases and targets, and two actions: stop and
  resume.
- **Trigger policies** are data (T5); assigning one to a scale set is recorded.
- **Maintenance configurations** (T7) are created and changed through the service that checks
  them (osimage scope, 5 hours or more, recurrence, time zone); binding a scale set too.
- **Gallery replications** list every replica with its progress, and fail, finish or restart
  one (T4, B2).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from rollout.admin.base import (
    ACTION_REASON,
    ADMIN_REASON,
    RolloutAdmin,
    ViewOnlyAdmin,
    ViewOnlyTabularInline,
    describe_refusal,
)
from rollout.admin.forms import validate
from rollout.models import (
    GalleryReplication,
    MaintenanceConfiguration,
    MaintenanceConfigurationAssignment,
    PlatformImage,
    Region,
    Release,
    ReleasePhase,
    ReleaseTarget,
    ReplicationSchedule,
    TriggerPolicy,
    TriggerPolicyAssignment,
)
from rollout.services.errors import ServiceError
from rollout.services.gallery.replication import (
    complete_replication,
    fail_replication,
    restart_replication,
)
from rollout.services.releases.maintenance import (
    assign_maintenance_configuration,
    create_or_update_maintenance_configuration,
)
from rollout.services.releases.publishing import publish_image_version, resume_release, stop_release
from rollout.services.releases.triggers import assign_trigger_policy, next_upgrade_status

# Releases


class PublishForm(forms.ModelForm):  # type: ignore[type-arg]
    """Publishing a platform image version: the release is what it creates."""

    image = forms.ModelChoiceField(
        PlatformImage.objects.filter(automatic_os_upgrade_supported=True),
        help_text="The SKU; scale sets with auto-upgrade on it get the version (E4).",
    )
    version = forms.CharField(max_length=64, help_text="Major.Minor.Build, e.g. 22.04.202612010")
    regions = forms.ModelMultipleChoiceField(
        Region.objects.all(), required=False, help_text="Where it is available (none: everywhere)."
    )
    reason = forms.CharField(required=False, help_text="Why: recorded in the audit log (B7).")

    class Meta:
        model = Release
        fields: list[str] = []

    def publish(self, actor: Any) -> Any:
        data = self.cleaned_data
        image: PlatformImage = data["image"]
        regions = [region.name for region in data["regions"]] or None
        return publish_image_version(
            image.publisher,
            image.offer,
            image.sku,
            data["version"],
            regions=regions,
            actor=actor,
            reason=data.get("reason") or "",
        )

    def _post_clean(self) -> None:
        """No model validation: the release is the service's to build (see ``clean``)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        outcome: list[Any] = []

        def dry_run() -> None:
            outcome.append(self.publish(None))

        error = validate(dry_run)
        if error is not None:
            raise forms.ValidationError(describe_refusal(error))
        if outcome and outcome[0].release is None:
            raise forms.ValidationError(outcome[0].message)
        return data


class ReleasePhaseInline(ViewOnlyTabularInline):
    model = ReleasePhase
    fields = ("index", "region_names", "started_at", "completed_at")
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="regions")
    def region_names(self, phase: ReleasePhase) -> str:
        return ", ".join(sorted(region.name for region in phase.regions.all()))


class ReleaseTargetInline(ViewOnlyTabularInline):
    model = ReleaseTarget
    fields = ("scale_set", "region", "phase", "state", "eligible_at", "operation", "message")
    readonly_fields = fields
    show_change_link = False


@admin.register(Release)
class ReleaseAdmin(RolloutAdmin):
    inlines = (ReleasePhaseInline, ReleaseTargetInline)
    list_display = (
        "pk",
        "image_label",
        "version",
        "kind",
        "status",
        "created_at",
        "created_by_name",
        "ended_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("image_label", "version", "reason")
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "kind",
        "image_label",
        "version",
        "status",
        "status_reason",
        "created_at",
        "created_by_name",
        "reason",
        "ended_at",
    )
    exclude = ("platform_version", "gallery_version", "created_by")
    actions = ("stop_selected", "resume_selected")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            return PublishForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("image", "version", "regions", "reason")
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Release, form: Any, change: bool) -> None:
        published = form.publish(request.user)
        release = published.release
        for field in Release._meta.concrete_fields:
            setattr(obj, field.attname, getattr(release, field.attname))
        obj._state.adding = False
        self.message_user(request, published.message, messages.SUCCESS)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing: the service wrote the release, its phases and targets."""

    @admin.action(description="Stop the selected releases (running upgrades finish)")
    def stop_selected(self, request: HttpRequest, queryset: QuerySet[Release]) -> None:
        self._each(request, queryset, stop_release, "stopped")

    @admin.action(description="Resume the selected releases (failed scale sets are retried)")
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[Release]) -> None:
        self._each(request, queryset, resume_release, "resumed")

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Release], verb: Any, done: str
    ) -> None:
        for release in queryset:
            try:
                verb(release, actor=request.user, reason=ACTION_REASON)
                self.message_user(request, f"{release}: {done}.", messages.SUCCESS)
            except ServiceError as error:
                self.message_user(request, f"{release}: {error.message}", messages.ERROR)


@admin.register(ReleasePhase)
class ReleasePhaseAdmin(ViewOnlyAdmin):
    """Written by the release controller only."""

    list_display = ("__str__", "index", "started_at", "completed_at")
    list_select_related = ("release",)
    list_filter = ("release__status",)


@admin.register(ReleaseTarget)
class ReleaseTargetAdmin(ViewOnlyAdmin):
    """Written by the release controller only; ``message`` says what holds it (T1-T7)."""

    list_display = ("scale_set", "release", "region", "phase", "state", "eligible_at", "message")
    list_select_related = ("scale_set", "release", "region", "phase")
    list_filter = ("state", "region", "release__status")
    search_fields = ("scale_set__name", "release__version", "message")


# Trigger policies (T5)


@admin.register(TriggerPolicy)
class TriggerPolicyAdmin(RolloutAdmin):
    list_display = (
        "name",
        "is_default",
        "immediate",
        "first_rollout_max_delay",
        "min_delay",
        "max_delay",
        "seed",
    )
    list_editable = ("is_default", "immediate")
    ordering = ("name",)
    search_fields = ("name",)


@admin.register(TriggerPolicyAssignment)
class TriggerPolicyAssignmentAdmin(RolloutAdmin):
    list_display = ("scale_set", "policy", "next_upgrade")
    list_select_related = ("scale_set__location", "policy")
    autocomplete_fields = ("scale_set", "policy")

    @admin.display(description="next automatic upgrade")
    def next_upgrade(self, assignment: TriggerPolicyAssignment) -> str:
        return next_upgrade_status(assignment.scale_set).why

    def save_model(
        self, request: HttpRequest, obj: TriggerPolicyAssignment, form: Any, change: bool
    ) -> None:
        saved = assign_trigger_policy(
            obj.scale_set, obj.policy, actor=request.user, reason=ADMIN_REASON
        )
        assert saved is not None
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: TriggerPolicyAssignment) -> None:
        assign_trigger_policy(obj.scale_set, None, actor=request.user, reason=ADMIN_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for assignment in queryset.select_related("scale_set"):
            self.delete_model(request, assignment)


# Maintenance windows (T7)


class MaintenanceConfigurationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = MaintenanceConfiguration
        fields = (
            "resource_group",
            "name",
            "location",
            "maintenance_scope",
            "start_date",
            "start_time",
            "duration",
            "time_zone",
            "recur_every",
        )

    def save_through_service(self, actor: Any) -> MaintenanceConfiguration:
        data = self.cleaned_data
        configuration, _ = create_or_update_maintenance_configuration(
            data["resource_group"],
            data["name"],
            location=data["location"],
            start=f"{data['start_date']:%Y-%m-%d} {data['start_time']:%H:%M}",
            duration=data["duration"],
            time_zone=data["time_zone"],
            recur_every=data["recur_every"],
            maintenance_scope=data["maintenance_scope"],
            actor=actor,
            reason=ADMIN_REASON,
        )
        return configuration

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            error = validate(lambda: self.save_through_service(None))
            if error is not None:
                raise forms.ValidationError(describe_refusal(error))
        return data


@admin.register(MaintenanceConfiguration)
class MaintenanceConfigurationAdmin(RolloutAdmin):
    form = MaintenanceConfigurationForm
    list_display = (
        "name",
        "resource_group",
        "location",
        "start_date",
        "start_time",
        "duration",
        "time_zone",
        "recur_every",
    )
    list_select_related = ("resource_group", "location")
    search_fields = ("name",)
    autocomplete_fields = ("resource_group", "location")

    def save_model(
        self, request: HttpRequest, obj: MaintenanceConfiguration, form: Any, change: bool
    ) -> None:
        saved = form.save_through_service(request.user)
        obj.pk = saved.pk
        obj.created_at = saved.created_at


@admin.register(MaintenanceConfigurationAssignment)
class MaintenanceConfigurationAssignmentAdmin(RolloutAdmin):
    list_display = ("scale_set", "configuration", "created_at", "next_upgrade")
    list_select_related = ("scale_set__location", "configuration")
    autocomplete_fields = ("scale_set", "configuration")
    readonly_fields = ("created_at",)

    @admin.display(description="next automatic upgrade")
    def next_upgrade(self, assignment: MaintenanceConfigurationAssignment) -> str:
        return next_upgrade_status(assignment.scale_set).why

    def save_model(
        self, request: HttpRequest, obj: MaintenanceConfigurationAssignment, form: Any, change: bool
    ) -> None:
        try:
            saved = assign_maintenance_configuration(
                obj.scale_set, obj.configuration, actor=request.user, reason=ADMIN_REASON
            )
        except ServiceError as error:
            self.message_user(request, describe_refusal(error), messages.ERROR)
            return
        assert saved is not None
        obj.pk, obj.created_at = saved.pk, saved.created_at

    def delete_model(self, request: HttpRequest, obj: MaintenanceConfigurationAssignment) -> None:
        assign_maintenance_configuration(
            obj.scale_set, None, actor=request.user, reason=ADMIN_REASON
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for assignment in queryset.select_related("scale_set"):
            self.delete_model(request, assignment)


# Gallery replication (T4)


@admin.register(ReplicationSchedule)
class ReplicationScheduleAdmin(ViewOnlyAdmin):
    """The replication engine's plan per replica (B2: ``fail_at_percent`` via the actions)."""

    list_display = ("__str__", "began_at", "from_progress", "duration", "fail_at_percent")
    list_select_related = ("replica__version__image__gallery", "replica__region")


@admin.register(GalleryReplication)
class GalleryReplicationAdmin(ViewOnlyAdmin):
    list_display = ("__str__", "region", "state", "progress", "started_at", "completed_at")
    list_filter = ("state", "region")
    list_select_related = ("version__image__gallery", "region")
    search_fields = ("version__name", "version__image__name", "region__name")
    ordering = ("-version__published_at", "region__name")
    actions = ("fail_selected", "complete_selected", "restart_selected")

    @admin.action(description="Fail the selected replications (B2: nothing rolls out there)")
    def fail_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._each(request, queryset, fail_replication, "failed")

    @admin.action(description="Finish the selected replications now")
    def complete_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._each(request, queryset, complete_replication, "replicated")

    @admin.action(description="Replicate the selected again from 0%%")
    def restart_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._each(request, queryset, restart_replication, "replicating again")

    def _each(self, request: HttpRequest, queryset: QuerySet[Any], verb: Any, done: str) -> None:
        for replica in queryset:
            try:
                verb(replica, actor=request.user, reason=ACTION_REASON)
                self.message_user(request, f"{replica}: {done}.", messages.SUCCESS)
            except ServiceError as error:
                self.message_user(request, f"{replica}: {error.message}", messages.ERROR)
