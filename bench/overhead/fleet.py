"""The benchmark's world: the Ubuntu SKU in westeurope (3 zones), a resource group of the
run's own, and scale sets of N instances behind a Standard load balancer probe (the harness's
``Site``); the simulated provider's timings."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

TIME_SCALE = 60.0
INSTANT: dict[str, float] = {
    "reimage_seconds": 0,
    "restore_seconds": 0,
    "healthy_after_seconds": 0,
    "jitter": 0,
}
# BehaviourModel's defaults (reimage 60 s, healthy 20 s later), without jitter.
REALISTIC: dict[str, float] = {"jitter": 0}
OLD_VERSION = "22.04.202610140"
NEW_VERSION = "22.04.202611110"
ZONES = ["1", "2", "3"]


def build_world() -> Any:
    """The region, both versions (published 30 days and 1 day ago), a fresh resource group
    (each run adds its own) and the probe: a ``tests.support.fleets.Site``."""
    from django.utils import timezone

    from tests.support.fleets import Site

    now = timezone.now()
    return Site.build(
        group=f"rg-bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}",
        zones=ZONES,
        versions={OLD_VERSION: now - timedelta(days=30), NEW_VERSION: now - timedelta(days=1)},
        subscription_id="00000000-0000-0000-0000-00000000be4c",
    )


def build_scale_set(world: Any, name: str, capacity: int, *, zones: list[str]) -> Any:
    """A scale set of ``capacity`` running VMs on the old image behind the probe, with
    automatic OS upgrade on (the benches run the platform's automatic upgrade)."""
    return world.add_scale_set(name, capacity, zones=zones, enable_automatic_os_upgrade=True)
