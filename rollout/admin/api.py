"""The ARM API's own state: bearer tokens (revocable, never shown) and async operations."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from rollout.admin.base import RolloutAdmin, ViewOnlyAdmin
from rollout.models.api import ApiToken, AsyncOperation
from rollout.services.access.tokens import revoke_tokens


@admin.register(ApiToken)
class ApiTokenAdmin(RolloutAdmin):
    """A token is issued (and shown once) by ``create_api_token``; here it can be renamed or
    revoked, through the service."""

    actions = ("revoke",)
    list_display = (
        "__str__",
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "active",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    ordering = ("-created_at", "-id")
    fields = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="active (not revoked, not expired)", boolean=True)
    def active(self, token: ApiToken) -> bool:
        return token.is_active

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = revoke_tokens(queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(AsyncOperation)
class AsyncOperationAdmin(ViewOnlyAdmin):
    list_display = ("id", "kind", "status", "scale_set", "location", "started_at", "ended_at")
    list_filter = ("kind", "status", "location")
    list_select_related = ("scale_set",)
    search_fields = ("=id", "resource_id", "subscription_id")
    ordering = ("-started_at",)
    date_hierarchy = "started_at"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(field.name for field in AsyncOperation._meta.fields)
