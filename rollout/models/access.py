"""Who may do what where (R1), and the service principals that sign in with OAuth2 (A2).

A role assignment gives one principal (a user, or the user behind a service principal or an
API token) one role at one scope, as Azure RBAC does: the root ``/`` (every subscription, and
the platform's own catalogue), a subscription, or a resource group. What each role allows is
``rollout.services.access.roles``; superusers hold Owner at the root without an assignment.

A service principal is a user that cannot log in to the pages, and an OAuth2 application
(django-oauth-toolkit's, client credentials only, its secret hashed) whose ``client_id`` is
the ``appId``: its tokens act as that user.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from rollout.models.resources import ResourceGroup, Subscription


class Role(models.TextChoices):
    """Azure's built-in roles, and Rollwright's own Rollout Operator."""

    OWNER = "Owner"
    CONTRIBUTOR = "Contributor"
    READER = "Reader"
    ROLLOUT_OPERATOR = "Rollout Operator"


class RoleAssignment(models.Model):
    """One role for one principal at one scope; the id is the assignment's name in Azure."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    # No subscription: the root scope "/". A resource group's assignments go with it.
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        help_text="Empty: the root scope '/' (every subscription and the platform catalogue).",
    )
    resource_group = models.ForeignKey(
        ResourceGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        help_text="Empty: the whole subscription.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["subscription", "resource_group", "role", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource_group__isnull=True) | Q(subscription__isnull=False),
                name="role_assignment_group_in_subscription",
            ),
            models.UniqueConstraint(
                "principal",
                "role",
                condition=Q(subscription__isnull=True),
                name="role_assignment_unique_at_root",
            ),
            models.UniqueConstraint(
                "principal",
                "role",
                "subscription",
                condition=Q(subscription__isnull=False, resource_group__isnull=True),
                name="role_assignment_unique_at_subscription",
            ),
            models.UniqueConstraint(
                "principal",
                "role",
                "resource_group",
                condition=Q(resource_group__isnull=False),
                name="role_assignment_unique_at_resource_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.scope} for {self.principal}"

    @property
    def scope(self) -> str:
        """The ARM scope: ``/``, ``/subscriptions/{id}`` or ``.../resourceGroups/{name}``."""
        if self.resource_group is not None:
            return self.resource_group.arm_id
        if self.subscription is not None:
            return self.subscription.arm_id
        return "/"


class ServicePrincipal(models.Model):
    """An application identity: a user (the principal roles are given to) and its OAuth2
    client, whose ``client_id`` is the ``appId`` and whose secret is stored hashed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_principal"
    )
    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="service_principal"
    )
    display_name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "service principal"

    def __str__(self) -> str:
        return self.display_name

    @property
    def app_id(self) -> str:
        return str(self.application.client_id)
