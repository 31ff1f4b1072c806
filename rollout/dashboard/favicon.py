"""``/favicon.ico``: browsers ask for it whatever the pages link; answer with the product's
icon (the SVG the pages link) rather than a 404 in every log."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

ICON = "rollwright/favicon.svg"


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    found = finders.find(ICON)
    if not found:
        raise Http404("no favicon")
    return HttpResponse(Path(str(found)).read_bytes(), content_type="image/svg+xml")
