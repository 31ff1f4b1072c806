"""Bearer tokens are issued and revoked by one service (the command and the admin call it)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from rollout.models import ApiToken
from rollout.services.access.tokens import issue_token, revoke_tokens

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_only_its_hash_is_kept() -> None:
    user = User.objects.create_user("alice")
    row, token = issue_token(user, "laptop")
    stored = ApiToken.objects.get()
    assert token.startswith(f"rwt_{row.prefix}_")
    assert token not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.matches(token) and not stored.matches(token + "x")


def test_revoking_counts_only_the_tokens_still_active() -> None:
    user = User.objects.create_user("alice")
    first, _ = issue_token(user)
    issue_token(user)
    assert revoke_tokens(ApiToken.objects.filter(pk=first.pk)) == 1
    assert revoke_tokens(ApiToken.objects.all()) == 1
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
