"""The az CLI suite's stack: the demo fleet on the test database, daphne serving HTTPS with the
certificate ``manage.py ensure_tls_cert`` makes (as ``make run`` does), one Celery worker, a
service principal, and azure-cli (in a virtualenv of its own: ``tests.support.azcli``) set up
with the README's recipe only.

The data is seeded once for the module and committed (the server and the worker are other
processes), and the module empties the database at the end, as a transactional test does. The
tests are not marked ``django_db``: a test's transaction would hold SQLite's write lock
(``transaction_mode=IMMEDIATE``) while the server writes. They read the event log through
``django_db_blocker``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import setup_databases, teardown_databases

from rollout.demo.fleet import DEMO_SUBSCRIPTION
from tests.support import RedisUnavailable, Stack, Tls, claim_redis_database
from tests.support.azcli import Az, AzureCliUnavailable, ensure_azure_cli
from tests.support.fleets import demo_fleet

TIME_SCALE = 600.0  # Azure's 5-minute health wait lasts half a second
CLOUD = "Rollwright"


@dataclass(frozen=True)
class Robot:
    """A service principal, as ``create_service_principal --json`` prints it."""

    app_id: str
    password: str
    tenant: str


@dataclass
class Served:
    stack: Stack
    robot: Robot
    tls: Tls

    @property
    def resource_manager(self) -> str:
        """What a user passes to ``--endpoint-resource-manager``: with a trailing slash."""
        return f"{self.stack.url}/"


@contextmanager
def test_database_of_the_run(session: pytest.Session) -> Iterator[None]:
    """The test database. pytest-django makes it only when a collected test is marked
    ``django_db``; when none is (this suite run alone) it is made here, so that the connection
    never names the developer's database, which the module's clean-up empties."""
    made = None
    if not any(item.get_closest_marker("django_db") for item in session.items):
        made = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
    try:
        yield
    finally:
        if made is not None:
            connection.close()
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()  # PostgreSQL: DROP DATABASE needs every session gone
            teardown_databases(made, verbosity=0)


@pytest.fixture(scope="module")
def az_executable() -> Path:
    try:
        return ensure_azure_cli()
    except AzureCliUnavailable as error:
        pytest.skip(f"the az CLI suite needs azure-cli, which could not be had: {error}")


@pytest.fixture(scope="module")
def served(
    az_executable: Path,
    django_db_setup: Any,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Served]:
    try:
        redis = claim_redis_database(env_var="ROLLWRIGHT_ACCEPTANCE_REDIS_URL")
    except RedisUnavailable as error:
        pytest.skip(f"the az CLI suite needs Redis: {error}")
    directory = tmp_path_factory.mktemp("azcli")
    with redis, django_db_blocker.unblock(), test_database_of_the_run(request.session):
        try:
            demo_fleet()
            out = StringIO()
            call_command(
                "create_service_principal",
                "az-suite",
                "--role",
                "Contributor",
                "--scope",
                f"/subscriptions/{DEMO_SUBSCRIPTION}",
                "--json",
                stdout=out,
                stderr=StringIO(),
            )
            printed = json.loads(out.getvalue())
            robot = Robot(printed["appId"], printed["password"], printed["tenant"])
            call_command("ensure_tls_cert", "--dir", str(directory / "tls"), stdout=StringIO())
            tls = Tls(
                certificate=directory / "tls" / "cert.pem",
                key=directory / "tls" / "key.pem",
                ca=directory / "tls" / "ca.pem",
            )
            stack = Stack.on_test_database(
                directory / "logs", redis_url=redis.url, time_scale=TIME_SCALE
            )
            with stack:
                stack.start(web=True, workers=1, pool="solo", concurrency=1, tls=tls)
                yield Served(stack, robot, tls)
        finally:
            call_command("flush", interactive=False, verbosity=0)


def set_up(az: Az, served: Served, *register_options: str) -> Any:
    """The README's recipe: register the cloud, make it the active one, sign in."""
    az.run("cloud", "register", "-n", CLOUD, *register_options)
    az.run("cloud", "set", "-n", CLOUD)
    return az.json(
        "login",
        "--service-principal",
        "-u",
        served.robot.app_id,
        "-p",
        served.robot.password,
        "--tenant",
        served.robot.tenant,
    )


@dataclass(frozen=True)
class SignedIn:
    az: Az
    accounts: list[dict[str, Any]]  # what ``az login`` printed


@pytest.fixture(scope="module")
def signed_in(
    az_executable: Path, served: Served, tmp_path_factory: pytest.TempPathFactory
) -> SignedIn:
    """az after the recipe's Azure AD-style set-up: instance discovery off, then nothing but
    the resource manager's address."""
    cli = Az(az_executable, tmp_path_factory.mktemp("az-config"), served.tls.ca)
    cli.run("config", "set", "core.instance_discovery=false")
    accounts = set_up(cli, served, "--endpoint-resource-manager", served.resource_manager)
    return SignedIn(cli, accounts)


@pytest.fixture
def az(signed_in: SignedIn) -> Az:
    return signed_in.az
