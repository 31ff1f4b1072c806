"""Notifications (G2): targets are written through ``rollout.services.notifications``
(validated, audited); deliveries and their attempts are shown as sent, and a delivery that was
given up can be sent again. Targets are the platform's (root scope, R1): Owners and
Contributors at the root, and superusers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from rollout.admin.base import (
    ADMIN_REASON,
    RolloutAdmin,
    ViewOnlyAdmin,
    ViewOnlyTabularInline,
    describe_refusal,
    problems_of,
)
from rollout.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationTarget,
    NotificationTopic,
)
from rollout.services import ServiceError
from rollout.services.notifications.targets import (
    delete_target,
    retry_delivery,
    save_target,
)
from rollout.services.notifications.targets import (
    problems_of as target_problems,
)


class NotificationTargetForm(forms.ModelForm):  # type: ignore[type-arg]
    topics = forms.MultipleChoiceField(
        choices=NotificationTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every topic.",
    )

    class Meta:
        model = NotificationTarget
        fields = (
            "name",
            "kind",
            "url",
            "secret",
            "topics",
            "scale_set",
            "resource_group",
            "enabled",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = self.instance
        for name in self.Meta.fields:
            if name in data:
                setattr(candidate, name, data[name])
        candidate.topics = list(data.get("topics") or [])
        refusal = target_problems(candidate)
        if refusal is not None:
            for problem in problems_of(refusal):
                field = problem.target if problem.target in self.fields else None
                self.add_error(field, problem.message)
        return data


@admin.register(NotificationTarget)
class NotificationTargetAdmin(RolloutAdmin):
    form = NotificationTargetForm
    list_display = ("name", "kind", "url", "scale_set", "resource_group", "enabled", "created_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "url")
    autocomplete_fields = ("scale_set",)

    def save_model(
        self, request: HttpRequest, obj: NotificationTarget, form: Any, change: bool
    ) -> None:
        save_target(obj, actor=request.user, reason=ADMIN_REASON)

    def delete_model(self, request: HttpRequest, obj: NotificationTarget) -> None:
        delete_target(obj, actor=request.user, reason=ADMIN_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NotificationTarget]) -> None:
        for target in queryset:
            self.delete_model(request, target)


class DeliveryAttemptInline(ViewOnlyTabularInline):
    model = DeliveryAttempt
    show_change_link = False
    fields = ("number", "at", "ok", "status_code", "duration_ms", "error")
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin):
    inlines = (DeliveryAttemptInline,)
    list_display = (
        "id",
        "target",
        "topic",
        "status",
        "attempt_count",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    )
    list_filter = ("status", "topic", "target")
    list_select_related = ("target",)
    ordering = ("-id",)
    actions = ("send_again",)

    @admin.action(description="Send the selected given-up deliveries again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = 0
        for delivery in queryset.filter(status=DeliveryStatus.GAVE_UP).select_related("target"):
            try:
                retry_delivery(delivery, actor=request.user, reason=ADMIN_REASON)
            except ServiceError as error:
                self.message_user(request, describe_refusal(error), messages.ERROR)
                return
            retried += 1
        self.message_user(request, f"{retried} deliveries queued again.", messages.SUCCESS)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Sending again changes a target's queue: root write access, as for the targets.
        actions = super().get_actions(request)
        if not self.allowed(request, "write", None):
            actions.pop("send_again", None)
        return actions

    def allowed(self, request: HttpRequest, verb: str, obj: Any) -> bool:
        if verb == "write" and obj is None:
            return RolloutAdmin.allowed(self, request, "write", None)
        return super().allowed(request, verb, obj)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ViewOnlyAdmin):
    list_display = ("delivery", "number", "at", "ok", "status_code", "duration_ms", "error")
    list_filter = ("ok",)
    list_select_related = ("delivery",)
    ordering = ("-id",)
