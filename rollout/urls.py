from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from rollout.dashboard.favicon import favicon
from rollout.dashboard.health import healthz
from rollout.demo import views as demo_views
from rollout.metrics.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # G3
    path("favicon.ico", favicon, name="favicon"),
    # G1, G2: the demo's Prometheus and webhook receiver (404 unless DEBUG=1)
    path("demo/prometheus/api/v1/query", demo_views.prometheus_query, name="demo_prometheus"),
    path("demo/webhooks/", demo_views.webhooks, name="demo_webhooks"),
    path("", include("rollout.api.urls")),
    path("", include("rollout.dashboard.urls")),
]
