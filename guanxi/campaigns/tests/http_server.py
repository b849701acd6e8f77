"""A fake HTTP provider for tests: a real ThreadingHTTPServer on 127.0.0.1.

    from guanxi.campaigns.tests.http_server import fake_provider  # noqa: F401

    def test_something(fake_provider):
        fake_provider.reply(503, {"error": "busy"})   # the next request gets this
        ...POST to fake_provider.url + "/sms"...
        assert fake_provider.requests[0].json == {...}

Without queued replies it answers 200 {"id": "msg-<n>"}, n counting from 1.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict  # http.client.HTTPMessage: case-insensitive lookups
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class FakeProvider:
    def __init__(self):
        self.requests = []
        self.replies = []
        self.lock = threading.Lock()
        self.url = ""

    def reply(self, status: int, body=None, delay: float = 0):
        """Queue the answer for the next request: status, JSON (dict) or raw text body, delay."""
        self.replies.append((status, body, delay))

    def answer(self, request: Recorded):
        with self.lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.pop(0)
            return 200, {"id": f"msg-{len(self.requests)}"}, 0


def handler_for(provider):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer, delay = provider.answer(Recorded("POST", self.path, self.headers, body))
            time.sleep(delay)
            payload = answer.encode() if isinstance(answer, str) else json.dumps(answer or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass  # keep test output clean

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and left is what the timeout tests want


@pytest.fixture
def fake_provider():
    provider = FakeProvider()
    server = QuietServer(("127.0.0.1", 0), handler_for(provider))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
