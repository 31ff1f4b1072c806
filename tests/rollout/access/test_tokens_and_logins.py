"""Issue 11 item 5: API tokens expire (and say when they were last used); failed logins are
throttled per account and per address (django-axes), with a message on the login page, and
the lockouts are in the admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollout.models import ApiToken
from rollout.services.access.tokens import issue_token
from tests.rollout.access.conftest import SUBSCRIPTION, principal

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password"
SCALE_SET = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/web10?api-version=2024-11-01"
)


def get(token: str) -> Any:
    return Client().get(SCALE_SET, headers={"Authorization": f"Bearer {token}"})


def test_an_api_token_is_refused_once_expired_in_azures_words(world: Any) -> None:
    row, token = issue_token(principal("Reader", "group"), "laptop")
    assert get(token).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = get(token)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in error["message"]


def test_an_api_token_records_when_it_was_last_used(world: Any) -> None:
    row, token = issue_token(principal("Reader", "group"), "laptop")
    assert row.last_used_at is None
    get(token)
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_create_api_token_takes_a_lifetime(world: Any) -> None:
    principal("Reader", "group", name="reader")
    call_command(
        "create_api_token", "reader", "--expires-in", "12h", stdout=StringIO(), stderr=StringIO()
    )
    lifetime = ApiToken.objects.get().expires_at - timezone.now()
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)


@pytest.mark.parametrize("lifetime", ["forever", "0d", "400d", "12"])
def test_create_api_token_refuses_a_lifetime_it_cannot_keep(world: Any, lifetime: str) -> None:
    principal("Reader", "group", name="reader")
    with pytest.raises(CommandError):
        call_command(
            "create_api_token",
            "reader",
            "--expires-in",
            lifetime,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not ApiToken.objects.exists()


def test_a_token_without_a_lifetime_lasts_90_days(world: Any) -> None:
    row, _ = issue_token(principal("Reader", "group"))
    assert timedelta(days=89) < row.expires_at - timezone.now() <= timedelta(days=90)


def log_in(username: str, password: str, address: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address).post(
        reverse("dashboard:login"), {"username": username, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    django_user_model: Any,
) -> None:
    django_user_model.objects.create_user("alice", password=PASSWORD)
    for _ in range(4):
        assert log_in("alice", "wrong").status_code == 200  # the form again, with its error
    assert log_in("alice", "wrong").status_code == 429  # the fifth locks the account
    locked = log_in("alice", PASSWORD, address="10.0.0.2")  # another address: the account
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_wrong_passwords_from_one_address_lock_that_address_for_every_account(
    django_user_model: Any,
) -> None:
    django_user_model.objects.create_user("bob", password=PASSWORD)
    for name in ("x1", "x2", "x3", "x4", "x5"):
        log_in(name, "wrong", address="10.0.0.9")
    assert log_in("bob", PASSWORD, address="10.0.0.9").status_code == 429
    assert log_in("bob", PASSWORD, address="10.0.0.10").status_code == 302  # in


def test_a_correct_login_resets_the_count(django_user_model: Any) -> None:
    django_user_model.objects.create_user("carol", password=PASSWORD)
    for _ in range(4):
        log_in("carol", "wrong", address="10.0.0.3")
    assert log_in("carol", PASSWORD, address="10.0.0.3").status_code == 302
    for _ in range(4):
        log_in("carol", "wrong", address="10.0.0.3")
    assert log_in("carol", PASSWORD, address="10.0.0.3").status_code == 302


def test_lockouts_are_listed_in_the_admin(django_user_model: Any, admin_client: Client) -> None:
    for _ in range(5):
        log_in("dave", "wrong", address="10.0.0.4")
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "dave" in page and "10.0.0.4" in page
