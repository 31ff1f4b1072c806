"""A small websocket client for the live pages' sockets (``/ws/...``), for tests and benches
that need many clients or a socket's life across a fault, without a browser.

    async with LiveSocket.open(port, "/ws/fleet/", cookie) as socket:
        message = await socket.receive(timeout=5)    # the snapshot, decoded
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from types import TracebackType
from typing import Any

PING, PONG, CLOSE = 0x9, 0xA, 0x8


class HandshakeRefused(RuntimeError):
    """The server answered the upgrade with something other than 101."""


async def read_frame(reader: asyncio.StreamReader) -> tuple[bool, int, bytes]:
    """One frame from the server (unmasked): (final, opcode, payload)."""
    head = await reader.readexactly(2)
    final, opcode, length = bool(head[0] & 0x80), head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack(">H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", await reader.readexactly(8))[0]
    return final, opcode, await reader.readexactly(length)


def masked(opcode: int, payload: bytes) -> bytes:
    """A small client frame (a pong, a close): clients must mask what they send."""
    key = os.urandom(4)
    body = bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + body


async def handshake(
    port: int, path: str, cookie: str, *, origin: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open ``path`` on 127.0.0.1:``port`` as a logged-in browser would (``cookie``), with
    ``origin`` (default: the server's own); raises ``HandshakeRefused`` unless 101."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin or f'http://127.0.0.1:{port}'}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    if b" 101 " not in status.split(b"\r\n", 1)[0]:
        writer.close()
        raise HandshakeRefused(status.split(b"\r\n", 1)[0].decode(errors="replace"))
    return reader, writer


class LiveSocket:
    """One client of a live page's socket: ``receive()`` returns the next message decoded
    (pings answered on the way), or None once the server closed the socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    @classmethod
    async def open(
        cls, port: int, path: str, cookie: str, *, origin: str | None = None
    ) -> LiveSocket:
        return cls(*await handshake(port, path, cookie, origin=origin))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any] | None:
        parts: list[bytes] = []
        while True:
            try:
                final, opcode, payload = await asyncio.wait_for(read_frame(self.reader), timeout)
            except (asyncio.IncompleteReadError, ConnectionError):
                self.closed = True
                return None
            if opcode == PING:
                self.writer.write(masked(PONG, payload))
            elif opcode == CLOSE:
                self.closed = True
                return None
            elif opcode != PONG:
                parts.append(payload)
                if final:
                    decoded: dict[str, Any] = json.loads(b"".join(parts))
                    return decoded

    async def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.write(masked(CLOSE, struct.pack(">H", 1000)))
            self.writer.close()

    async def __aenter__(self) -> LiveSocket:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
