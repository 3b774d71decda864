"""What the proxies in front of moto share (the tests' fault proxy, the bench's replay
proxy), and the stubs that stand for an upstream in their tests: a threaded HTTP server
on a free loopback port, served from a thread of its own, and its handler, which takes a
call of any method alike; the account key, region and service a call is signed for; a
call relayed upstream; an answer sent."""

from __future__ import annotations

import http.client
import re
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, urlsplit

_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
# Hop-by-hop and length headers, made again for each answer.
_SKIPPED = ("transfer-encoding", "connection", "content-length")

Answer = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body


class LoopbackHandler(BaseHTTPRequestHandler):
    """A call to a ``LoopbackServer``, whatever its method, handled by ``handle_call``;
    nothing logged."""

    def handle_call(self) -> None:
        raise NotImplementedError

    def body(self) -> bytes:
        """The call's body, read."""
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, *args: object) -> None:
        pass

    def _any_method(self) -> None:
        self.handle_call()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any_method


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], upstream: str = "") -> None:
        self.upstream: SplitResult = urlsplit(upstream)  # where a proxy relays to
        super().__init__(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def signed_for(headers: Message) -> tuple[str, str, str]:
    """The access key, region and service of a SigV4 call ('' each if unsigned)."""
    found = _SCOPE.search(headers.get("Authorization", ""))
    key, region, service = found.groups() if found else ("", "", "")
    return key, region, service


def relay(handler: BaseHTTPRequestHandler, upstream: SplitResult, body: bytes) -> Answer:
    """The handler's call, asked of ``upstream``: its answer."""
    conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
    try:
        conn.request(handler.command, handler.path, body, dict(handler.headers))
        reply = conn.getresponse()
        data = reply.read()
        headers = [(k, v) for k, v in reply.getheaders() if k.lower() not in _SKIPPED]
        return reply.status, headers, data
    finally:
        conn.close()


def answer(handler: BaseHTTPRequestHandler, found: Answer) -> None:
    """Send ``found`` as the handler's answer."""
    status, headers, data = found
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
