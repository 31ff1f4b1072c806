"""``/healthz``: answers 200 when the web process and its database answer (compose, probes).

An unhealthy answer says only that: the reason (which names the database host and port) goes
to the log, not to an anonymous caller."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", never a 500 page
        logger.warning("healthz: the database does not answer", exc_info=True)
        return JsonResponse({"status": "unhealthy", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
