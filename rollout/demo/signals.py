"""The demo's gate and webhook (G1, G2): ``make run`` shows both on the demo fleet.

- web-10 has a Prometheus gate, ``error-rate``, against the demo's own small Prometheus
  (``/demo/prometheus/api/v1/query``, its answer shape), measured before each batch;
- a webhook, ``demo-receiver``, gets every notification, signed, at ``/demo/webhooks/``, a
  receiver that checks the signature and lists what it got (the page of the same address).

Both exist only with ``DEBUG=1`` (the demo); seeding goes through the services, as any face.
"""

from __future__ import annotations

import os

from rollout.models import NotificationTarget, ScaleSet
from rollout.services.gates.config import save_gate
from rollout.services.notifications.targets import save_target

DEMO_SECRET = "rollwright-demo-webhook-secret"
DEMO_ACTOR = "seed_demo"


def demo_base_url() -> str:
    """Where ``make run`` serves (HOST, PORT as it reads them)."""
    host = os.environ.get("HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('PORT', '8000')}"


def seed_signals(group_name: str) -> dict[str, int]:
    created: dict[str, int] = {}
    base = demo_base_url()
    scale_set = ScaleSet.objects.filter(resource_group__name=group_name, name="web-10").first()
    if scale_set is not None:
        _, new = save_gate(
            scale_set,
            "error-rate",
            {
                "kind": "prometheus",
                "url": f"{base}/demo/prometheus",
                "query": 'sum(rate(http_requests_total{job="web-10",code=~"5.."}[5m])) '
                '/ sum(rate(http_requests_total{job="web-10"}[5m]))',
                "success_condition": "result < 0.01",
                "interval_seconds": 30,
                "count": 1,
            },
            actor=DEMO_ACTOR,
            reason="the demo's gate",
        )
        created["gates"] = int(new)
    target = NotificationTarget.objects.filter(name="demo-receiver").first()
    if target is None:
        target = NotificationTarget(name="demo-receiver", secret=DEMO_SECRET)
        created["notification targets"] = 1
    target.url = f"{base}/demo/webhooks/"
    save_target(target, actor=DEMO_ACTOR, reason="the demo's webhook receiver")
    return {kind: count for kind, count in created.items() if count}
