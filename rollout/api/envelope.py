"""ARM responses: the error envelope (one helper for all of them) and JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from rollout.services.errors import ServiceError

JSON = "application/json; charset=utf-8"


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A JSON body; ``data`` may be a bare list (the image API answers arrays)."""
    return HttpResponse(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=JSON,
        headers=headers,
    )


def empty_response(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(b"", status=status, headers=headers)
    del response["Content-Type"]
    return response


def error_response(error: ServiceError, headers: dict[str, str] | None = None) -> HttpResponse:
    """``{"error": {"code", "message", "target", "details"}}`` with the error's status."""
    return json_response(error.as_envelope(), status=error.status, headers=headers)


def arm_error(
    code: str,
    message: str,
    status: int = 400,
    target: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    return error_response(ServiceError(code, message, target, status=status), headers)
