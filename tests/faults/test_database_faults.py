"""PostgreSQL faults: sessions terminated mid-step, 50 concurrent starts, and the web server's
connections under 200 concurrent requests."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from rollout.models import ResourceGroup, ScaleSet, UpgradeOperation
from rollout.services.access.tokens import issue_token
from rollout.services.errors import ServiceError
from tests.faults.rollouts import assert_upgraded_exactly_once, in_flight_batch, start, wait_ended
from tests.rollout.api.conftest import SUBSCRIPTION, Arm, scale_set_body
from tests.support import Stack, count_sessions, session_cookie, terminate_other_sessions
from tests.support.fleets import Site, grant

POOL_SIZE = 6
GROUP = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-new/providers/Microsoft.Compute/"
    "virtualMachineScaleSets"
)


def test_sessions_terminated_mid_step_the_worker_recovers(site: Site, fault_stack: Stack) -> None:
    """Every other PostgreSQL session is terminated 6 times while batches are in flight: the
    worker reconnects, each interrupted step rolls back whole, and the rollout completes."""
    scale_set = site.add_scale_set("pg-drill", 40, max_batch_instance_percent=10)
    fault_stack.start(web=False, workers=1, beat=True)
    worker = fault_stack.workers[0]
    operation = start(scale_set)
    terminated = 0
    for _ in range(6):
        deadline = time.monotonic() + 30
        while in_flight_batch(operation) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        terminated += terminate_other_sessions()
        time.sleep(0.3)
    assert terminated >= 6, "no session of the worker or beat was terminated"
    wait_ended(operation, 90, "after its sessions were terminated", alive=[worker])
    assert_upgraded_exactly_once(operation)
    assert worker.starts == 1


def test_50_concurrent_starts_give_exactly_one_operation(site: Site) -> None:
    scale_set = site.add_scale_set("rush", 10)
    outcomes: list[str] = []
    gate = threading.Barrier(50)

    def start_one() -> None:
        try:
            gate.wait(10)
            start(scale_set)
            outcomes.append("started")
        except ServiceError as error:
            outcomes.append(f"{error.status} {error.code}")
        finally:
            connection.close()

    threads = [threading.Thread(target=start_one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(set(outcomes)) == ["409 Conflict", "started"]
    assert outcomes.count("started") == 1 and len(outcomes) == 50
    assert UpgradeOperation.objects.filter(scale_set=scale_set).count() == 1


def test_200_concurrent_requests_hold_at_most_the_pool(site: Site, fault_stack: Stack) -> None:
    """daphne with ROLLWRIGHT_DB_POOL_SIZE=6 answers 200 concurrent page requests, all 200,
    while holding at most 6 PostgreSQL connections, and keeps no more afterwards."""
    site.add_scale_set("browsed", 10)
    get_user_model().objects.create_user("reader", password="x")
    cookie = session_cookie("reader")
    fault_stack.env["ROLLWRIGHT_DB_POOL_SIZE"] = str(POOL_SIZE)
    fault_stack.start(web=True, workers=0)
    web = fault_stack.web
    assert web is not None
    baseline = count_sessions(application=web.name)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, count_sessions(application=web.name))
            time.sleep(0.02)
        connection.close()

    def fetch(_: int) -> int:
        request = urllib.request.Request(f"{web.url}/", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return int(answer.status)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(fetch, range(200)))
    done.set()
    sampler.join()
    assert statuses == [200] * 200
    assert baseline <= POOL_SIZE
    assert peak <= POOL_SIZE, f"{peak} sessions at the peak, pool of {POOL_SIZE}"
    time.sleep(1.0)
    assert count_sessions(application=web.name) <= POOL_SIZE
    print(f"200 concurrent requests: peak {peak} PostgreSQL sessions (pool {POOL_SIZE})")


def test_concurrent_puts_of_scale_sets_into_a_new_resource_group_all_succeed(
    site: Site, django_user_model: Any
) -> None:
    """Four scale sets PUT at once into a resource group none of them created yet: each is
    created (201), in one group (issue 11 item 6: 3 of 4 got 409)."""
    operator = django_user_model.objects.create_user("putter")
    grant(operator, "Contributor")
    _, token = issue_token(operator, "faults")
    body = scale_set_body()
    body["properties"]["virtualMachineProfile"].pop("networkProfile")
    gate = threading.Barrier(4)
    statuses: list[int] = []

    def put(name: str) -> None:
        try:
            gate.wait(10)
            answer = Arm(Client(), token)("put", f"{GROUP}/{name}", body)
            statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(f"vm{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201] * 4
    assert ResourceGroup.objects.filter(name="rg-new").count() == 1
    assert ScaleSet.objects.filter(resource_group__name="rg-new").count() == 4
