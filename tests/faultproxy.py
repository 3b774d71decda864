"""An HTTP proxy in front of moto that can refuse one region's calls, as AWS does when a
policy or an opt-out denies them, answer them slowly, as a far endpoint does, answer
chosen calls with an error, run a hook before a call (to change the estate under a
collection), or answer a share of all calls with throttling or 503.  Test-only; runs in
a thread on loopback."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dev.loopback import LoopbackHandler, LoopbackServer, answer, relay, signed_for


def _error(code: str, message: str) -> bytes:
    # EC2's error shape; botocore reads the code from it for every query-protocol service.
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        f"<Code>{code}</Code><Message>{message}</Message>"
        "</Error></Errors><RequestID>fault-proxy</RequestID></Response>"
    ).encode()


def s3_error(code: str, message: str) -> bytes:
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


def route53_error(code: str, message: str) -> bytes:
    # Route53's REST-XML shape: botocore reads no code from EC2's.
    return (
        '<?xml version="1.0"?>\n'
        '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()


@dataclass(frozen=True)
class Call:
    """One call through the proxy, for rules and hooks to look at."""

    method: str
    path: str
    body: bytes
    service: str
    region: str

    def has(self, text: str) -> bool:
        return text in self.path or text.encode() in self.body


DENIED = _error("UnauthorizedOperation", "You are not authorized to perform this operation.")
UNAVAILABLE = _error("ServiceUnavailable", "Service is unavailable, try again.")
S3_FAULTS = [
    (503, s3_error("SlowDown", "Please reduce your request rate.")),
    (503, s3_error("ServiceUnavailable", "Service is unavailable, try again.")),
]
ROUTE53_FAULTS = [
    (400, route53_error("Throttling", "Rate exceeded.")),
    (503, route53_error("ServiceUnavailable", "Service is unavailable, try again.")),
]
BAD_KEY = _error("InvalidClientTokenId", "The security token included in the request is invalid.")
THROTTLED = _error("RequestLimitExceeded", "Request limit exceeded.")


class FaultProxy(LoopbackServer):
    def __init__(self, upstream: str) -> None:
        self.denied: set[tuple[str, str]] = set()  # (region, service)
        self.bad_keys: set[str] = set()  # access key ids refused as invalid
        self.throttle = 0  # the next this many calls are throttled
        self.calls = 0  # calls that reached moto
        self._lock = threading.Lock()
        self.delays: dict[tuple[str, str], float] = {}  # (region, service) -> seconds
        self.delay = 0.0  # added to every call: a far endpoint
        # (matches, status, body): the first rule a call matches answers it.
        self.rules: list[tuple[Callable[[Call], bool], int, bytes]] = []
        self.hooks: list[Callable[[Call], None]] = []  # run before a call goes on
        self.fault_rate = 0.0  # this share of calls gets throttling or a 503, at random
        self.faults = 0  # how many it gave
        self.random = random.Random(7)
        # When a list: each call relayed, as (access key, region, service, start, end) in
        # perf_counter seconds, its delay included (bench/collect_aws.py's chains).
        self.timeline: list[tuple[str, str, str, float, float]] | None = None
        super().__init__(_Handler, upstream)


class _Handler(LoopbackHandler):
    server: FaultProxy

    def handle_call(self) -> None:
        body = self.body()
        start = time.perf_counter()
        key, region, service = signed_for(self.headers)
        server = self.server
        call = Call(self.command, self.path, body, service, region)
        with server._lock:
            throttled = server.throttle > 0
            server.throttle -= throttled
            fault = server.random.random() < server.fault_rate
            server.faults += fault
        time.sleep(server.delay + server.delays.get((region, service), 0))
        if key in server.bad_keys:
            return self._refuse(403, BAD_KEY)
        if (region, service) in server.denied:
            return self._refuse(403, DENIED)
        if throttled:
            return self._refuse(400, THROTTLED)
        if fault:
            # In the shape each protocol has: S3's and Route53's own, the query protocols'
            # otherwise.
            faults = {"s3": S3_FAULTS, "route53": ROUTE53_FAULTS}.get(
                service, [(400, THROTTLED), (503, UNAVAILABLE)]
            )
            return self._refuse(*server.random.choice(faults))
        for matches, status, reply in list(server.rules):
            if matches(call):
                return self._refuse(status, reply)
        for hook in list(server.hooks):
            hook(call)
        with server._lock:
            server.calls += 1
        answer(self, relay(self, server.upstream, body))
        if server.timeline is not None:
            server.timeline.append((key, region, service, start, time.perf_counter()))

    def _refuse(self, status: int, body: bytes) -> None:
        answer(self, (status, [("Content-Type", "text/xml")], body))
