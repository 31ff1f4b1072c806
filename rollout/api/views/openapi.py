"""``GET /openapi.json``: the OpenAPI description of the implemented ARM subset (no token).
GET and HEAD only: any other method is 405 with ``Allow``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from rollout.api.envelope import json_response
from rollout.api.openapi import document


@require_safe
def openapi_json(request: HttpRequest) -> HttpResponse:
    return json_response(document())
