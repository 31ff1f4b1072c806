"""The ARM API's own state: bearer tokens and the async operation status resources.

A token is shown once, when issued; only its SHA-256 is stored, with a short public prefix to
find the row; every token expires. An ``AsyncOperation`` is what an ``Azure-AsyncOperation``
URL names: a finished
request (create, update, delete, manual upgrade) is stored as such, while the start and the
cancel of an OS upgrade follow the ``UpgradeOperation`` they belong to.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.models.scale_sets import ScaleSet
from rollout.models.upgrades import ACTIVE_STATUSES, RunningStatus, UpgradeOperation

TOKEN_PREFIX = "rwt"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token issued to a user; the secret itself is never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(
        max_length=16, unique=True, help_text="Public part of the token, to find it."
    )
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="After this the token is refused.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        label = self.name or "token"
        return f"{label} ({TOKEN_PREFIX}_{self.prefix}_…) of {self.user}"

    @property
    def is_active(self) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, token_digest(token))


class AsyncOperationKind(models.TextChoices):
    CREATE_OR_UPDATE = "createOrUpdate", "create or update"
    UPDATE = "update"
    DELETE = "delete"
    OS_ROLLING_UPGRADE = "osRollingUpgrade", "OS rolling upgrade"
    CANCEL_ROLLING_UPGRADE = "cancelRollingUpgrade", "cancel rolling upgrade"
    MANUAL_UPGRADE = "manualUpgrade", "manual upgrade"
    INSTANCE_ACTION = "instanceAction", "instance action"
    APPROVE_ROLLING_UPGRADE = "approveRollingUpgrade", "approve rolling upgrade"  # S2


class AsyncOperationStatus(models.TextChoices):
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"


TERMINAL_STATUSES = (
    AsyncOperationStatus.SUCCEEDED,
    AsyncOperationStatus.FAILED,
    AsyncOperationStatus.CANCELED,
)


@dataclass(frozen=True)
class OperationState:
    """What the operation status resource reports right now."""

    status: str
    end_time: datetime | None = None
    error_code: str = ""
    error_message: str = ""


class AsyncOperation(models.Model):
    """The resource behind an ``Azure-AsyncOperation`` URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription_id = models.CharField(max_length=36)
    location = models.CharField(max_length=50)
    kind = models.CharField(max_length=30, choices=AsyncOperationKind.choices)
    resource_id = models.CharField(max_length=600, help_text="ARM id of the target resource.")
    status = models.CharField(
        max_length=20,
        choices=AsyncOperationStatus.choices,
        default=AsyncOperationStatus.SUCCEEDED,
        help_text="For operations that follow an upgrade, the status when it was created.",
    )
    upgrade = models.ForeignKey(
        UpgradeOperation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="async_operations",
        help_text="The OS upgrade an osRollingUpgrade or a cancel follows.",
    )
    scale_set = models.ForeignKey(
        ScaleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_version = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["subscription_id", "started_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"

    def current_state(self) -> OperationState:
        """The status now: stored, or derived from the upgrade this operation follows.

        An osRollingUpgrade stays InProgress while its upgrade runs and ends Succeeded when
        the upgrade Completed or was Cancelled, Failed with the upgrade's error when it
        Faulted; a cancel ends Succeeded once the upgrade stopped (as Azure reports both).
        """
        follows_upgrade = self.kind in (
            AsyncOperationKind.OS_ROLLING_UPGRADE,
            AsyncOperationKind.CANCEL_ROLLING_UPGRADE,
        )
        if not follows_upgrade or self.status in TERMINAL_STATUSES:
            return OperationState(self.status, self.ended_at, self.error_code, self.error_message)
        upgrade = self.upgrade
        if upgrade is None:  # the scale set (and its upgrades) went away under it
            return OperationState(
                AsyncOperationStatus.CANCELED,
                self.ended_at,
                "OperationPreempted",
                "The scale set of this operation was deleted.",
            )
        if upgrade.status in ACTIVE_STATUSES:
            return OperationState(AsyncOperationStatus.IN_PROGRESS)
        if upgrade.status == RunningStatus.FAULTED and self.kind == (
            AsyncOperationKind.OS_ROLLING_UPGRADE
        ):
            return OperationState(
                AsyncOperationStatus.FAILED,
                upgrade.ended_at,
                upgrade.error_code or "InternalExecutionError",
                upgrade.error_message or "The OS rolling upgrade faulted.",
            )
        return OperationState(AsyncOperationStatus.SUCCEEDED, upgrade.ended_at)
