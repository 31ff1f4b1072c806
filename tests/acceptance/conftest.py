"""The acceptance suite's stack: the real ASGI server (daphne) and a real Celery worker, both
subprocesses on the test database, driven only through azure-mgmt-compute.

The tests run with ``transaction=True`` so what they seed is committed and the subprocesses see
it. The worker listens on a Redis database of its own (``ROLLWRIGHT_ACCEPTANCE_REDIS_URL``,
default db 13), apart from a developer's worker and from the integration tests' db 14.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import redis
from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.compute import ComputeManagementClient
from django.contrib.auth.models import Permission
from django.core.management import call_command

from rollout.models import (
    HealthProbe,
    LoadBalancer,
    LoadBalancerSku,
    OsType,
    PlatformImage,
    PlatformImageVersion,
    ProbeProtocol,
    Region,
    ResourceGroup,
    Subscription,
)
from tests.support import REDIS_SERVER, database_url, free_port, idle_redis_database

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = "600"  # Azure's 5-minute health wait lasts half a second
DAPHNE = [sys.executable, "-m", "daphne"]
CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "rollout", "worker"]
QUIET_WORKER = ["--without-heartbeat", "--without-gossip", "--without-mingle"]
SUBSCRIPTION = "6f2c1a52-0b8e-4b51-9b1e-7c1f3e0d2a10"
RESOURCE_GROUP = "rg-sdk"
UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-LTS"}
OLD_VERSION = "22.04.202610140"
NEW_VERSION = "22.04.202611110"
CENTOS = {"publisher": "OpenLogic", "offer": "CentOS", "sku": "6.10"}
WINDOWS = {
    "publisher": "MicrosoftWindowsServer",
    "offer": "WindowsServer",
    "sku": "2019-Datacenter",
}


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@dataclass
class Stack:
    url: str
    processes: list[subprocess.Popen[bytes]]
    logs: Path

    def log_tail(self) -> str:
        return "\n".join(
            f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def stack(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """daphne and a Celery worker on the test database, for the module's tests."""
    if not redis_answers(REDIS_SERVER):
        pytest.skip(f"the acceptance suite needs Redis at {REDIS_SERVER}")
    redis_url = idle_redis_database("ROLLWRIGHT_ACCEPTANCE_REDIS_URL")
    redis.Redis.from_url(redis_url).flushdb()  # the acceptance suite's own database
    with django_db_blocker.unblock():
        url_of_database = database_url()
    port = free_port()
    logs = tmp_path_factory.mktemp("acceptance-logs")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url_of_database,
        "ROLLWRIGHT_TEST_REDIS_URL": redis_url,
        "ROLLWRIGHT_TIME_SCALE": TIME_SCALE,
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    processes = [
        _start(
            [*DAPHNE, "-b", "127.0.0.1", "-p", str(port), "rollout.asgi:application"],
            env,
            logs / "daphne.log",
        ),
        _start(
            [*CELERY_WORKER, "--pool=solo", "--loglevel=WARNING", *QUIET_WORKER],
            env,
            logs / "worker.log",
        ),
    ]
    started = Stack(f"http://127.0.0.1:{port}", processes, logs)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{started.url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or processes[0].poll() is not None:
            tail = started.log_tail()
            started.stop()
            raise AssertionError(f"daphne did not answer within 30 s\n{tail}")
        time.sleep(0.1)
    try:
        yield started
    finally:
        started.stop()


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


def _image(fields: dict[str, str], os_type: str, supported: bool, region: Region) -> None:
    image = PlatformImage.objects.create(
        **fields, os_type=os_type, automatic_os_upgrade_supported=supported
    )
    for version, day in ((OLD_VERSION, 14), (NEW_VERSION, 11)):
        row = PlatformImageVersion.objects.create(
            image=image,
            version=version if image.publisher == "Canonical" else f"{day}.0.0",
            published_at=datetime(2026, 10, day, tzinfo=UTC),
        )
        row.regions.add(region)


def token_for(username: str) -> str:
    out = StringIO()
    call_command(
        "create_api_token", username, "--name", "acceptance", stdout=out, stderr=StringIO()
    )
    return out.getvalue().strip()


@pytest.fixture
def world(stack: Stack, django_user_model: Any) -> World:
    """A region with the E3 catalogue's interesting SKUs, load balancer probes, and tokens."""
    region = Region.objects.create(
        name="westeurope", display_name="West Europe", availability_zones=["1", "2", "3"]
    )
    _image(UBUNTU, OsType.LINUX, True, region)
    _image(CENTOS, OsType.LINUX, False, region)
    _image(WINDOWS, OsType.WINDOWS, True, region)
    subscription = Subscription.objects.create(subscription_id=SUBSCRIPTION)
    group = ResourceGroup.objects.create(
        subscription=subscription, name=RESOURCE_GROUP, location="westeurope"
    )
    probes = []
    for name, sku in (("lb", LoadBalancerSku.STANDARD), ("lb-basic", LoadBalancerSku.BASIC)):
        balancer = LoadBalancer.objects.create(
            resource_group=group, name=name, location=region, sku=sku
        )
        probes.append(
            HealthProbe.objects.create(
                load_balancer=balancer,
                name="http",
                protocol=ProbeProtocol.HTTP,
                port=80,
                request_path="/health",
            )
        )
    operator = django_user_model.objects.create_user("operator")
    operator.user_permissions.add(
        Permission.objects.get(codename="operate_scaleset", content_type__app_label="rollout")
    )
    django_user_model.objects.create_user("viewer")
    return World(region, probes[0], probes[1], token_for("operator"), token_for("viewer"))
