"""``GET /openapi.json``: the OpenAPI description of the implemented ARM subset (no token)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from rollout.api.envelope import json_response
from rollout.api.openapi import document


def openapi_json(request: HttpRequest) -> HttpResponse:
    return json_response(document())
