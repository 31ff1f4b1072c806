"""The acceptance suite's stack: the real ASGI server (daphne) and a real Celery worker, both
subprocesses on the test database (started by the harness in tests/support), driven only
through azure-mgmt-compute.

The tests run with ``transaction=True`` so what they seed is committed and the subprocesses see
it. The worker listens on a Redis database of its own: ``ROLLWRIGHT_ACCEPTANCE_REDIS_URL`` when
set, else an idle one claimed for the module, apart from a developer's worker and from the
integration tests' broker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.compute import ComputeManagementClient
from django.core.management import call_command

from rollout.models import HealthProbe, LoadBalancerSku, OsType, Region
from tests.support import RedisUnavailable, Stack, claim_redis_database
from tests.support.fleets import (
    NEW_VERSION,
    OLD_VERSION,
    PUBLISHED,
    UBUNTU,
    grant,
    probe,
    publish_platform_image,
    region,
    resource_group,
)

TIME_SCALE = 600.0  # Azure's 5-minute health wait lasts half a second
SUBSCRIPTION = "6f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10"
RESOURCE_GROUP = "rg-sdk"
CENTOS = {"publisher": "OpenLogic", "offer": "CentOS", "sku": "6.10"}
WINDOWS = {
    "publisher": "MicrosoftWindowsServer",
    "offer": "WindowsServer",
    "sku": "2019-Datacenter",
}
# The other publishers number their versions their own way (published on the same days).
NUMBERED = {"14.0.0": PUBLISHED[OLD_VERSION], "11.0.0": PUBLISHED[NEW_VERSION]}


@pytest.fixture(scope="module")
def stack(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """daphne and a Celery worker (solo pool) on the test database, for the module's tests."""
    try:
        redis = claim_redis_database(env_var="ROLLWRIGHT_ACCEPTANCE_REDIS_URL")
    except RedisUnavailable as error:
        pytest.skip(f"the acceptance suite needs Redis: {error}")
    with redis:
        with django_db_blocker.unblock():
            started = Stack.on_test_database(
                tmp_path_factory.mktemp("acceptance-logs"),
                redis_url=redis.url,
                time_scale=TIME_SCALE,
            )
        with started:
            started.start(web=True, workers=1, pool="solo", concurrency=1)
            yield started


class BearerTokenPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Sets the bearer token over plain http, which azure-core's own policy refuses."""

    def __init__(self, token: str) -> None:
        self.token = token

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"


class StaticTokenCredential:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def compute_client(stack: Stack, token: str) -> ComputeManagementClient:
    return ComputeManagementClient(
        StaticTokenCredential(token),
        SUBSCRIPTION,
        base_url=stack.url,
        authentication_policy=BearerTokenPolicy(token),
        polling_interval=0,
        retry_total=0,
    )


@dataclass
class World:
    region: Region
    probe: HealthProbe
    basic_probe: HealthProbe
    token: str
    viewer_token: str


def token_for(username: str) -> str:
    out = StringIO()
    call_command(
        "create_api_token", username, "--name", "acceptance", stdout=out, stderr=StringIO()
    )
    return out.getvalue().strip()


@pytest.fixture
def world(stack: Stack, django_user_model: Any) -> World:
    """A region with the E3 catalogue's interesting SKUs, load balancer probes, and tokens."""
    westeurope = region("westeurope", display_name="West Europe")
    publish_platform_image([westeurope], image=UBUNTU)
    publish_platform_image([westeurope], image=CENTOS, versions=NUMBERED, supported=False)
    publish_platform_image([westeurope], image=WINDOWS, versions=NUMBERED, os_type=OsType.WINDOWS)
    group = resource_group(RESOURCE_GROUP, subscription_id=SUBSCRIPTION)
    standard = probe(group, westeurope, name="lb", sku=LoadBalancerSku.STANDARD)
    basic = probe(group, westeurope, name="lb-basic", sku=LoadBalancerSku.BASIC)
    grant(django_user_model.objects.create_user("operator"), "Contributor")
    grant(django_user_model.objects.create_user("viewer"), "Reader")
    return World(westeurope, standard, basic, token_for("operator"), token_for("viewer"))
