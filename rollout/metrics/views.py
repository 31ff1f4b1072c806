"""``/metrics`` (G3): Prometheus' text format, for a bearer token or an allowed address.

With ``ROLLWRIGHT_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>``
(Prometheus' ``authorization`` or ``bearer_token_file``); without it, only the addresses of
``ROLLWRIGHT_METRICS_ALLOW`` may scrape (the loopback by default). Anyone else gets 403 and no
figure.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from rollout.metrics.collector import DatabaseCollector


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = refused(request)
    if refusal:
        return HttpResponse(refusal + "\n", status=403, content_type="text/plain")
    registry = CollectorRegistry()
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    forget_dead_processes(Path(directory))
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def refused(request: HttpRequest) -> str:
    """Why this request may not scrape; empty when it may."""
    token = settings.ROLLWRIGHT_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return ""
        return "metrics need the bearer token (ROLLWRIGHT_METRICS_TOKEN)"
    if request.META.get("REMOTE_ADDR", "") in settings.ROLLWRIGHT_METRICS_ALLOW:
        return ""
    return "metrics are served to ROLLWRIGHT_METRICS_ALLOW's addresses, or with a token"


def forget_dead_processes(directory: Path) -> None:
    """Drop the live gauges (websocket clients) of processes that died without closing them,
    as prometheus-client's ``mark_process_dead`` asks; counters and histograms stay."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
