from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from rollout.dashboard.favicon import favicon
from rollout.dashboard.health import healthz
from rollout.metrics.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # G3
    path("favicon.ico", favicon, name="favicon"),
    path("", include("rollout.api.urls")),
    path("", include("rollout.dashboard.urls")),
]
