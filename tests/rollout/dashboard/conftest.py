"""Personas of the dashboard tests: an operator who may act (Contributor everywhere), a viewer
who may only look (Reader everywhere)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.fleets import grant

PASSWORD = "rollwright-test"


@pytest.fixture
def operator(db: Any) -> User:
    user = User.objects.create_user("olivia", password=PASSWORD)
    grant(user, "Contributor")
    return user


@pytest.fixture
def viewer(db: Any) -> User:
    user = User.objects.create_user("victor", password=PASSWORD)
    grant(user, "Reader")
    return user


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


JSON = {"HTTP_ACCEPT": "application/json"}
