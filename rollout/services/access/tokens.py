"""Bearer tokens of the ARM API: issued (shown once, stored as a SHA-256) and revoked; every
token expires.

A token looks like ``rwt_<prefix>_<secret>``: the prefix finds the row, the hash of the whole
token proves it (``rollout.api.auth.authenticate``). The command ``create_api_token`` and the
admin call these. Tokens last ``ROLLWRIGHT_API_TOKEN_DAYS`` (90) unless asked otherwise, and
never longer than ``ROLLWRIGHT_API_TOKEN_MAX_DAYS`` (365).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from rollout.models import ApiToken
from rollout.models.api import TOKEN_PREFIX, token_digest
from rollout.services.errors import ServiceError

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_lifetime(text: str) -> timedelta:
    """``90d``, ``12h`` or ``30m``: how long a token should last."""
    match = _DURATION.match(text)
    if match is None:
        raise ServiceError(
            "InvalidParameter",
            f"'{text[:50]}' is not a lifetime: write a number of days, hours or minutes "
            "(90d, 12h, 30m).",
            "expires-in",
        )
    return timedelta(**{_UNITS[match[2].lower()]: int(match[1])})


def issue_token(
    user: Any, name: str = "", lifetime: timedelta | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the returned secret is never stored nor shown again."""
    if lifetime is None:
        lifetime = timedelta(days=settings.ROLLWRIGHT_API_TOKEN_DAYS)
    longest = timedelta(days=settings.ROLLWRIGHT_API_TOKEN_MAX_DAYS)
    if lifetime <= timedelta(0) or lifetime > longest:
        raise ServiceError(
            "InvalidParameter",
            f"A token lasts more than 0 and at most {longest.days} days.",
            "expires-in",
        )
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        token_hash=token_digest(token),
        expires_at=timezone.now() + lifetime,
    )
    return row, token


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke these tokens; returns how many were still active (the others stay as they are)."""
    revoked: int = tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return revoked
