"""The ARM routes, from the route table (``rollout.api.routes``), and ARM's 404 for any other
path under ``/subscriptions``."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from rollout.api.dispatch import not_found_view
from rollout.api.routes import ROUTES
from rollout.api.routing import case_insensitive
from rollout.api.views.openapi import openapi_json

urlpatterns: list[URLPattern] = [
    path("openapi.json", openapi_json, name="arm-openapi"),
    *(route.url() for route in ROUTES),
    re_path(
        rf"^{case_insensitive('subscriptions')}(?:/[\s\S]*)?$",
        not_found_view(),
        name="arm-not-found",
    ),
]
