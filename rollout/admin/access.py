"""Access (R1, A2): role assignments and service principals, every change through the
services (``rollout.services.access``), so it is checked and audited as from any face.

- A role assignment is made or removed, never edited (as in Azure). The admin offers the
  subscriptions and resource groups where the user may assign roles (Owner there, or a
  superuser), lists the assignments at scopes the user may read, and the service refuses
  anything else with Azure's ``AuthorizationFailed``.
- Service principals are the directory's, so superusers manage them: creating one shows its
  ``appId``, secret and tenant once; actions reset the secret, revoke its tokens, disable it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from rollout.admin.base import grants
from rollout.models import ResourceGroup, RoleAssignment, ServicePrincipal, Subscription
from rollout.services.access.assignments import assign_role, remove_role_assignment
from rollout.services.access.principals import object_id, principal_kind
from rollout.services.access.roles import READ_ROLE_ASSIGNMENT, WRITE_ROLE_ASSIGNMENT
from rollout.services.access.scopes import Scope
from rollout.services.access.service_principals import (
    create_service_principal,
    reset_secret,
    revoke_service_principal_tokens,
    set_enabled,
)
from rollout.services.errors import ServiceError

ADMIN_REASON = "admin"


class RoleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RoleAssignment
        fields = ("principal", "role", "subscription", "resource_group")

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        allowed = grants(request)
        if "subscription" in self.fields:  # absent on the read-only view of an assignment
            field: Any = self.fields["subscription"]
            field.queryset = Subscription.objects.filter(_subscriptions_q(allowed))
            field.help_text = "Empty: the root scope '/' (every subscription); superusers only."
        if "resource_group" in self.fields:
            field = self.fields["resource_group"]
            field.queryset = ResourceGroup.objects.filter(allowed.within("", WRITE_ROLE_ASSIGNMENT))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        group, subscription = data.get("resource_group"), data.get("subscription")
        if group is not None and subscription is not None and group.subscription != subscription:
            raise forms.ValidationError("The resource group is not in that subscription.")
        if group is not None:
            self.scope = Scope.of(group)
        elif subscription is not None:
            self.scope = Scope.of(subscription)
        else:
            self.scope = Scope()
        try:
            grants(self.request).require(WRITE_ROLE_ASSIGNMENT, self.scope)
        except ServiceError as error:
            raise forms.ValidationError(error.message) from None
        return data


def _subscriptions_q(allowed: Any) -> Q:
    """The subscriptions where the user may assign roles somewhere (at it, or at one of its
    groups); ``clean`` checks the scope actually chosen."""
    ids, everywhere = allowed.subscriptions(WRITE_ROLE_ASSIGNMENT)
    return Q() if everywhere else Q(subscription_id__in=ids)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("principal", "kind", "role", "scope", "created_at", "created_by")
    list_filter = ("role",)
    list_select_related = ("principal", "subscription", "resource_group", "created_by")
    search_fields = ("principal__username", "subscription__subscription_id", "resource_group__name")
    readonly_fields = ("id", "object_id", "created_at", "created_by")

    form = RoleAssignmentForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class BoundForm(form):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, request=request, **inner)

        return BoundForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleAssignment]:
        queryset = super().get_queryset(request).select_related(*self.list_select_related)
        allowed = grants(request)
        if allowed.allows(READ_ROLE_ASSIGNMENT, Scope()):
            return queryset
        visible = allowed.within("resource_group", READ_ROLE_ASSIGNMENT)
        ids, _ = allowed.subscriptions(READ_ROLE_ASSIGNMENT)
        whole = {g.subscription_id for g in allowed.grants if g.resource_group is None}
        return queryset.filter(
            (Q(resource_group__isnull=False) & visible)
            | Q(resource_group__isnull=True, subscription__subscription_id__in=ids & whole)
        )

    @admin.display(description="type")
    def kind(self, assignment: RoleAssignment) -> str:
        return principal_kind(assignment.principal)

    @admin.display(description="principal object id")
    def object_id(self, assignment: RoleAssignment) -> str:
        return object_id(assignment.principal)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and grants(request).grants)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(
            request.user.is_staff and any(grants(request).subscriptions(WRITE_ROLE_ASSIGNMENT))
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # made or removed, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not request.user.is_staff:
            return False
        if obj is None:
            return any(grants(request).subscriptions(WRITE_ROLE_ASSIGNMENT))
        return grants(request).allows(WRITE_ROLE_ASSIGNMENT, Scope.parse(obj.scope))

    def save_model(
        self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool
    ) -> None:
        made = assign_role(
            obj.principal, obj.role, form.scope, actor=request.user, reason=ADMIN_REASON
        )
        obj.pk = made.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        remove_role_assignment(obj, actor=request.user, reason=ADMIN_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset:
            remove_role_assignment(assignment, actor=request.user, reason=ADMIN_REASON)


class ServicePrincipalForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ServicePrincipal
        fields = ("display_name",)


@admin.register(ServicePrincipal)
class ServicePrincipalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ServicePrincipalForm
    list_display = ("display_name", "app_id", "enabled", "created_at")
    list_select_related = ("application", "user")
    search_fields = ("display_name", "application__client_id")
    readonly_fields = ("app_id", "object_id", "tenant", "created_at")
    actions = ("reset_secrets", "revoke_tokens", "disable", "enable")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("display_name", *self.readonly_fields) if obj is not None else ()

    @admin.display(description="appId")
    def app_id(self, service_principal: ServicePrincipal) -> str:
        return service_principal.app_id

    @admin.display(description="object id")
    def object_id(self, service_principal: ServicePrincipal) -> str:
        return object_id(service_principal.user)

    @admin.display(description="tenant")
    def tenant(self, service_principal: ServicePrincipal) -> str:
        return str(settings.ROLLWRIGHT_TENANT_ID)

    @admin.display(description="enabled", boolean=True)
    def enabled(self, service_principal: ServicePrincipal) -> bool:
        return bool(service_principal.user.is_active)

    def save_model(
        self, request: HttpRequest, obj: ServicePrincipal, form: Any, change: bool
    ) -> None:
        if change:
            return
        try:
            made, secret = create_service_principal(obj.display_name)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            raise
        obj.pk, obj.user, obj.application = made.pk, made.user, made.application
        obj._state.adding = False
        self._show_secret(request, made, secret)

    def _show_secret(self, request: HttpRequest, made: ServicePrincipal, secret: str) -> None:
        self.message_user(
            request,
            f"appId {made.app_id}, password {secret}, tenant {settings.ROLLWRIGHT_TENANT_ID}. "
            "The password is shown only now: store it. Give it a role under Role assignments.",
            messages.WARNING,
        )

    @admin.action(description="Reset the secret (its tokens stop working)")
    def reset_secrets(self, request: HttpRequest, queryset: QuerySet[ServicePrincipal]) -> None:
        for service_principal in queryset:
            self._show_secret(request, service_principal, reset_secret(service_principal))

    @admin.action(description="Revoke its access tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ServicePrincipal]) -> None:
        count = sum(revoke_service_principal_tokens(sp) for sp in queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)

    @admin.action(description="Disable (no sign-in, tokens revoked)")
    def disable(self, request: HttpRequest, queryset: QuerySet[ServicePrincipal]) -> None:
        for service_principal in queryset:
            set_enabled(service_principal, False)

    @admin.action(description="Enable")
    def enable(self, request: HttpRequest, queryset: QuerySet[ServicePrincipal]) -> None:
        for service_principal in queryset:
            set_enabled(service_principal, True)
