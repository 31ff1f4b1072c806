"""Small real HTTP servers on 127.0.0.1 for gates and notifications (G1, G2).

``WebhookReceiver`` records every POST (checking its HMAC-SHA256 signature) and can refuse the
first N with 503, or be down; ``FakeServer`` answers GETs from a function (an HTTP check's
endpoint, or Prometheus' ``/api/v1/query`` with ``prometheus_answer``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Server:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class WebhookReceiver(_Server):
    secret: str
    refuse_first: int = 0
    received: list[Received] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    if receiver.refused < receiver.refuse_first:
                        receiver.refused += 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    stamp = self.headers.get("X-Rollwright-Timestamp", "")
                    expected = hmac.new(
                        receiver.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                    got = self.headers.get("X-Rollwright-Signature", "")
                    ok = hmac.compare_digest(got, f"sha256={expected}")
                    receiver.received.append(Received(dict(self.headers), body, ok))
                # With no secret (an Apprise json:// target) nothing is signed: accept.
                self.send_response(204 if ok or not receiver.secret else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def topics(self) -> list[str]:
        with self.lock:
            return [item.json["topic"] for item in self.received]


class FakeServer(_Server):
    """Answers GET from ``answer(path, query) -> (status, json body)``."""

    def __init__(self, answer: Callable[[str, dict[str, list[str]]], tuple[int, Any]]) -> None:
        self.answer = answer
        self.requests: list[str] = []
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                server.requests.append(self.path)
                status, body = server.answer(parsed.path, parse_qs(parsed.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def prometheus_answer(value: float | None) -> dict[str, Any]:
    """Prometheus' ``/api/v1/query`` answer: an instant vector of one sample, or none."""
    result = [] if value is None else [{"metric": {}, "value": [1764680000.0, str(value)]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}
