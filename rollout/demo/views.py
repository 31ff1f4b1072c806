"""The demo's counterparts of the outside world (G1, G2), served only with ``DEBUG=1``:

- ``/demo/prometheus/api/v1/query``: a small Prometheus answering any query with the demo
  error ratio (``?value=`` in the gate's URL is not needed: rehearse a bad value by forcing a
  verdict on the Gates tab);
- ``/demo/webhooks/``: a webhook receiver. POST checks the HMAC-SHA256 signature and keeps the
  delivery (the last 100, in this process); GET lists them, newest first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from rollout.demo.signals import DEMO_SECRET

# A steady, healthy error ratio (0.2%): the gate's condition is result < 0.01.
DEMO_ERROR_RATIO = 0.002
RECEIVED: deque[dict[str, Any]] = deque(maxlen=100)
_LOCK = threading.Lock()


def _demo_only() -> None:
    if not settings.DEBUG:
        raise Http404("The demo's endpoints exist only with DEBUG=1.")


def prometheus_query(request: HttpRequest) -> JsonResponse:
    _demo_only()
    query = request.GET.get("query", "")
    if not query:
        return JsonResponse(
            {"status": "error", "errorType": "bad_data", "error": "query is empty"}, status=400
        )
    sample = {"metric": {"job": "web-10"}, "value": [time.time(), str(DEMO_ERROR_RATIO)]}
    return JsonResponse({"status": "success", "data": {"resultType": "vector", "result": [sample]}})


@csrf_exempt
def webhooks(request: HttpRequest) -> HttpResponse:
    _demo_only()
    if request.method == "POST":
        return _receive(request)
    return _listing(request)


def _receive(request: HttpRequest) -> HttpResponse:
    stamp = request.headers.get("X-Rollwright-Timestamp", "")
    expected = hmac.new(
        DEMO_SECRET.encode(), stamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    signed = hmac.compare_digest(
        request.headers.get("X-Rollwright-Signature", ""), f"sha256={expected}"
    )
    try:
        body = json.loads(request.body)
    except ValueError:
        body = {}
    with _LOCK:
        RECEIVED.appendleft(
            {
                "delivery": request.headers.get("X-Rollwright-Delivery", ""),
                "topic": request.headers.get("X-Rollwright-Topic", ""),
                "signed": signed,
                "received_at": time.strftime("%H:%M:%S"),
                "scale_set": (body.get("scaleSet") or {}).get("name", ""),
                "reason": body.get("reason", ""),
                "body": json.dumps(body, indent=2)[:4000],
            }
        )
    return HttpResponse(status=204 if signed else 401)


@login_required
def _listing(request: HttpRequest) -> HttpResponse:
    with _LOCK:
        items = list(RECEIVED)
    return render(request, "demo/webhooks.html", {"items": items})
