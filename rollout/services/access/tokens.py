"""Bearer tokens of the ARM API: issued (shown once, stored as a SHA-256) and revoked.

A token looks like ``rwt_<prefix>_<secret>``: the prefix finds the row, the hash of the whole
token proves it (``rollout.api.auth.authenticate``). The command ``create_api_token`` and the
admin call these.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from rollout.models import ApiToken
from rollout.models.api import TOKEN_PREFIX, token_digest


def issue_token(user: Any, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; the returned secret is never stored nor shown again."""
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=token_digest(token)
    )
    return row, token


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke these tokens; returns how many were still active (the others stay as they are)."""
    revoked: int = tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return revoked
