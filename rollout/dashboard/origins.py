"""Which pages may open the live websockets: the server's own, and ``CSRF_TRUSTED_ORIGINS``.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host with ``ALLOWED_HOSTS``
and ignores its port, so any page served from 127.0.0.1 on any port (another local app, a
developer's tool) could open a logged-in user's socket. Here the Origin must name the same host
AND port as the request's Host header (a host ``ALLOWED_HOSTS`` accepts), as Django's CSRF
check does for forms, or be one of ``CSRF_TRUSTED_ORIGINS`` exactly (a TLS terminator's public
origin when it rewrites Host).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


class SameOriginValidator(OriginValidator):  # type: ignore[misc]  # channels is untyped
    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator is for websockets")
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin1")
        host = headers.get(b"host", b"").decode("latin1")
        if same_origin(urlparse(origin), host) or self.trusted(urlparse(origin)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    def trusted(self, origin: ParseResult) -> bool:
        return any(
            self.match_allowed_origin(origin, pattern) for pattern in settings.CSRF_TRUSTED_ORIGINS
        )


def same_origin(origin: ParseResult, host: str) -> bool:
    """True when ``origin`` (scheme://host[:port]) is ``host`` (the Host header, host[:port])
    and that host is allowed."""
    if origin.scheme not in ("http", "https") or not origin.hostname or not host:
        return False
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    default = 443 if origin.scheme == "https" else 80
    try:
        origin_port = origin.port or default
    except ValueError:
        return False
    return origin.hostname == domain.strip("[]") and origin_port == (int(port) if port else default)
