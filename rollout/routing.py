"""Websocket routes: the live dashboard's fleet socket and one per scale set page."""

from __future__ import annotations

from rollout.dashboard.routing import websocket_urlpatterns

__all__ = ["websocket_urlpatterns"]
