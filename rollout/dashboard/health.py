"""``/healthz``: answers 200 when the web process and its database answer (compose, probes)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means "not healthy", never a 500 page
        return JsonResponse({"status": "unhealthy", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
