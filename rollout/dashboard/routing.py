"""The dashboard's websocket routes (added to ``rollout.routing.websocket_urlpatterns``)."""

from __future__ import annotations

from django.urls import path

from rollout.dashboard.consumers import FleetConsumer, ScaleSetConsumer

websocket_urlpatterns = [
    path("ws/fleet/", FleetConsumer.as_asgi()),
    path("ws/scale-sets/<int:pk>/", ScaleSetConsumer.as_asgi()),
]
