"""Hostile requests to the real server (daphne): a ~70 KB request line gets 414, a header
line past Twisted's limit 431, instead of a silently dropped connection; ``/openapi.json``
answers GET and HEAD only (issue 11, item 6)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.support import Server, database_url, environment

pytestmark = pytest.mark.integration


def answer_to(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(request)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    return received


@pytest.mark.django_db(transaction=True)
def test_oversized_request_lines_and_headers_get_an_answer(tmp_path: Path) -> None:
    env = environment(settings="tests.settings", database_url=database_url(), redis_url="memory://")
    with Server(tmp_path / "logs", env=env) as web:
        long_path = b"/openapi.json?" + b"a" * 70_000
        answer = answer_to(web.port, b"GET " + long_path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 414 "), answer[:80]
        header = b"X-Big: " + b"b" * 20_000
        answer = answer_to(
            web.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        answer = answer_to(
            web.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["trace", "options", "post", "put", "delete", "patch"])
def test_openapi_json_answers_get_and_head_only(method: str) -> None:
    client: Any = Client()
    answer = getattr(client, method)("/openapi.json")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD"
    assert Client().get("/openapi.json").status_code == 200
    assert Client().head("/openapi.json").status_code == 200
