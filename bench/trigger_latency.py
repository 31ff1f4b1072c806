"""How fast a published version starts rolling in immediate mode (T5), through a real worker.

Run it as ``.venv/bin/python bench/trigger_latency.py`` (``make bench`` does). It publishes
``--runs`` successive platform image versions with ``publish_image_version`` and measures, for
each, the time from the call to

1. the automatic upgrade's start (the trigger task ran: ``UpgradeOperation.started_at``), and
2. the first batch's first reimage (``InstanceUpgrade.reimage_started_at``),

then prints the median and the 99th percentile (with few runs, the p99 is the worst run) beside
the target: under 2 s, against Azure's 30 to 60 minutes. Between runs it waits for the upgrade
to complete, so each publication finds an idle scale set.

No beat runs: what is measured is the event-driven path alone (publish, commit, the
``reconcile`` task, ``start_os_upgrade``, two ``advance`` steps), never the beat's scan.

Everything runs on a throw-away database (a fresh SQLite file, or ``--database-url
postgresql://postgres@127.0.0.1:5432/rollwright_trigger_bench``, created when missing) and a
spare Redis database (``--redis-url``, default redis://127.0.0.1:6379/12, flushed first). Time
runs ``--time-scale`` (default 600) times faster than Azure's so each upgrade ends in about a
second; the trigger path itself has no scaled wait in immediate mode.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
TARGET_SECONDS = 2.0
UBUNTU = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-LTS")
OLD_VERSION = "22.04.202610140"
WAIT_SECONDS = 30.0


def say(text: str = "") -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=25, help="publications to time")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--time-scale", type=float, default=600.0)
    parser.add_argument("--instances", type=int, default=5, help="VMs of the scale set")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def environment_for(args: argparse.Namespace, database_url: str) -> dict[str, str]:
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "rollout.settings",
        "PYTHONPATH": python_path,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "ROLLWRIGHT_TIME_SCALE": str(args.time_scale),
        "ROLLWRIGHT_IMMEDIATE_TRIGGERS": "1",
    }


def redis_problem(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        client.ping()
        client.flushdb()
        client.close()
    except Exception as error:
        return (
            f"Redis is not reachable at {url} ({error}): start one (`make run` does, or "
            "`.venv/bin/python manage.py ensure_redis`), or pass --redis-url."
        )
    return None


def ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params: dict[str, Any] = {"dbname": "postgres", "connect_timeout": 5, "autocommit": True}
    for key, value in (
        ("host", parts.hostname),
        ("port", parts.port),
        ("user", unquote(parts.username or "") or None),
        ("password", unquote(parts.password or "") or None),
    ):
        if value is not None:
            params[key] = value
    with psycopg.connect(**params) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Worker:
    """A ``celery -A rollout worker`` subprocess (threads, 2 at once); always stopped."""

    def __init__(self, environment: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = log_path.open("wb")
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [
                str(celery) if celery.exists() else "celery",
                "-A",
                "rollout",
                "worker",
                "--pool=threads",
                "--concurrency=2",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                f"trigger-bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 45.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited ({self.process.returncode})")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.05)
        raise RuntimeError(f"the Celery worker was not ready within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def build_fleet(instances: int) -> Any:
    """One region, the Ubuntu SKU on OLD_VERSION, one auto-upgrade scale set behind a probe."""
    from django.utils import timezone

    from rollout.models import (
        HealthProbe,
        LoadBalancer,
        LoadBalancerSku,
        PlatformImage,
        PlatformImageVersion,
        ProbeProtocol,
        Region,
        ResourceGroup,
        ScaleSet,
        Subscription,
    )
    from rollout.services.scale_sets.placement import create_instances

    region, _ = Region.objects.get_or_create(
        name="westeurope", defaults={"display_name": "West Europe", "availability_zones": []}
    )
    image, _ = PlatformImage.objects.get_or_create(
        publisher=UBUNTU[0],
        offer=UBUNTU[1],
        sku=UBUNTU[2],
        defaults={"automatic_os_upgrade_supported": True},
    )
    old, _ = PlatformImageVersion.objects.get_or_create(
        image=image, version=OLD_VERSION, defaults={"published_at": timezone.now()}
    )
    old.regions.add(region)
    subscription, _ = Subscription.objects.get_or_create(
        subscription_id="00000000-0000-0000-0000-0000000be4c5"
    )
    group = ResourceGroup.objects.create(
        subscription=subscription, name=f"rg-trigger-{os.getpid()}", location=region.name
    )
    balancer = LoadBalancer.objects.create(
        resource_group=group, name="lb", location=region, sku=LoadBalancerSku.STANDARD
    )
    probe = HealthProbe.objects.create(
        load_balancer=balancer, name="http", protocol=ProbeProtocol.HTTP, port=80, request_path="/"
    )
    scale_set = ScaleSet.objects.create(
        resource_group=group,
        name="web",
        location=region,
        capacity=instances,
        image_publisher=UBUNTU[0],
        image_offer=UBUNTU[1],
        image_sku=UBUNTU[2],
        health_probe=probe,
        enable_automatic_os_upgrade=True,
    )
    create_instances(scale_set, instances, OLD_VERSION)
    return scale_set


def first_reimage(version: str) -> tuple[datetime | None, datetime | None]:
    from rollout.models import InstanceUpgrade, UpgradeOperation

    operation = UpgradeOperation.objects.filter(target_image_version=version).first()
    if operation is None:
        return None, None
    reimage = (
        InstanceUpgrade.objects.filter(operation=operation, reimage_started_at__isnull=False)
        .order_by("reimage_started_at")
        .values_list("reimage_started_at", flat=True)
        .first()
    )
    return operation.started_at, reimage


def wait_until_idle(scale_set: Any, timeout: float = WAIT_SECONDS) -> None:
    from rollout.models import ACTIVE_STATUSES, UpgradeOperation

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not UpgradeOperation.objects.filter(
            scale_set=scale_set, status__in=ACTIVE_STATUSES
        ).exists():
            return
        time.sleep(0.02)
    raise RuntimeError("an upgrade did not end in time")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(args: argparse.Namespace, worker: Worker) -> tuple[list[float], list[float]]:
    from django.utils import timezone

    from rollout.services.releases.publishing import publish_image_version

    scale_set = build_fleet(args.instances)
    started: list[float] = []
    reimaged: list[float] = []
    for run in range(args.runs):
        version = f"22.04.2027{run + 1:05d}"
        published_at = timezone.now()
        publish_image_version(*UBUNTU, version, regions=["westeurope"], reason="trigger bench")
        deadline = time.monotonic() + WAIT_SECONDS
        start = reimage = None
        while time.monotonic() < deadline:
            start, reimage = first_reimage(version)
            if reimage is not None:
                break
            time.sleep(0.005)
        if start is None or reimage is None:
            raise RuntimeError(
                f"run {run + 1}: no reimage within {WAIT_SECONDS:.0f} s\n{worker.tail()}"
            )
        started.append((start - published_at).total_seconds())
        reimaged.append((reimage - published_at).total_seconds())
        say(
            f"run {run + 1:>3}: {version}  upgrade started after {started[-1] * 1000:7.1f} ms, "
            f"first reimage after {reimaged[-1] * 1000:7.1f} ms"
        )
        wait_until_idle(scale_set)
    return started, reimaged


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="rollwright-trigger-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'trigger.sqlite3'}"
    problem = redis_problem(args.redis_url)
    if problem:
        say(f"error: {problem}")
        return 2
    if database_url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_database(database_url)
    environment = environment_for(args, database_url)
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    say(f"database {database_url}; Redis {args.redis_url}; time scale {args.time_scale:g}")
    worker = Worker(environment, tmp / "worker.log")
    try:
        worker.wait_ready()
        started, reimaged = measure(args, worker)
    except Exception as error:
        say(f"error: {error}")
        return 1
    finally:
        worker.stop()
        if args.keep:
            say(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    median = statistics.median(reimaged)
    p99 = percentile(reimaged, 0.99)
    verdict = "met" if p99 < TARGET_SECONDS else "MISSED"
    say()
    say("== Trigger latency in immediate mode (publish → first batch's first reimage)")
    say(f"{'':24}{'median':>10}{'p99':>10}{'max':>10}")
    say(
        f"{'upgrade started':<24}{statistics.median(started) * 1000:>8.0f}ms"
        f"{percentile(started, 0.99) * 1000:>8.0f}ms{max(started) * 1000:>8.0f}ms"
    )
    say(
        f"{'first reimage':<24}{median * 1000:>8.0f}ms{p99 * 1000:>8.0f}ms"
        f"{max(reimaged) * 1000:>8.0f}ms"
    )
    say(
        f"{len(reimaged)} publications; target p99 < {TARGET_SECONDS:g} s (Azure: 30 to 60 "
        f"minutes): {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
