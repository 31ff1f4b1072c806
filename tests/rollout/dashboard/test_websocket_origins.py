"""Which pages may open a live websocket: the server's own origin, port included, and
CSRF_TRUSTED_ORIGINS; never another port of the same host (issue 11, item 6)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from rollout.dashboard.origins import SameOriginValidator

application = SameOriginValidator(AsyncWebsocketConsumer.as_asgi())


async def accepted(origin: str | None, host: str) -> bool:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, "/ws/fleet/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return bool(connected)


@pytest.mark.parametrize(
    ("origin", "host", "expected"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://localhost", "localhost", True),
        ("https://localhost", "localhost", True),  # no port in Host: the scheme's default
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # another port, another origin
        ("http://127.0.0.1", "127.0.0.1:8000", False),
        ("http://evil.example", "127.0.0.1:8000", False),
        ("http://evil.example:8000", "evil.example:8000", False),  # a host not allowed
        (None, "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
    ],
)
async def test_the_origin_must_be_the_servers_own(
    settings: Any, origin: str | None, host: str, expected: bool
) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert await accepted(origin, host) is expected


async def test_a_trusted_origin_is_accepted_whatever_the_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["rollwright.internal"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://rollwright.example.com"]
    assert await accepted("https://rollwright.example.com", "rollwright.internal:8000") is True
    assert await accepted("https://rollwright.example.com:8443", "rollwright.internal") is False
