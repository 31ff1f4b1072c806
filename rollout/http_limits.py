"""Answers for requests too large to parse, under daphne (Twisted's HTTP server).

Twisted reads the request line and each header line with a 16 KiB limit and, past it, drops
the connection without a word: a client sending a ~70 KB URL got no answer. ``install()``
(called by rollout/asgi.py, so any daphne serving it) makes the server answer as HTTP says:
414 URI Too Long for the request line, 431 Request Header Fields Too Large for a header line,
then close the connection.
"""

from __future__ import annotations

from typing import Any

from twisted.web import http

URI_TOO_LONG = b"HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
)


def _line_too_long(channel: Any, line: bytes) -> None:
    # HTTPChannel.__first_line is true until the request line has been read.
    reading_request_line = getattr(channel, "_HTTPChannel__first_line", 1)
    channel.transport.write(URI_TOO_LONG if reading_request_line else HEADERS_TOO_LARGE)
    channel.transport.loseConnection()


def install() -> None:
    http.HTTPChannel.lineLengthExceeded = _line_too_long  # type: ignore[method-assign]
