"""A loopback proxy in front of moto that answers a read it has seen before from what moto
answered then, so that a timed run measures the tools and not the simulator (moto is one
GIL-bound process on the same cores, and real AWS costs the collecting machine nothing).

An answer is kept by the call's account, region, service, method, path with its query,
body and JSON operation (``X-Amz-Target``), never by its date or signature.  The account
comes from the access key: a temporary key is mapped to the account of the role whose
AssumeRole answer gave it; a long-term key stands for itself.  Errors, AssumeRole and
calls that change anything are never kept (they always go to moto).  Every call, kept or
not, waits ``delay`` seconds first, as from a far endpoint.

Bench-only; runs in a thread of the bench's process.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import parse_qs

from dev.loopback import Answer, LoopbackHandler, LoopbackServer, answer, relay, signed_for

_ROLE_ACCOUNT = re.compile(rb"arn(?::|%3A)aws(?::|%3A)iam(?::|%3A){2}(\d{12})")
_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
READS = ("Describe", "List", "Get")

Key = tuple[str, str, str, str, str, bytes, str]


def operation(method: str, body: bytes, target: str) -> str:
    """The call's operation where the protocol names one (query: ``Action=``; JSON:
    ``X-Amz-Target``), else ''."""
    if target:
        return target.rsplit(".", 1)[-1]
    if body.startswith(b"Action=") or b"&Action=" in body:
        return parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
    return ""


def is_read(method: str, body: bytes, target: str) -> bool:
    found = operation(method, body, target)
    return found.startswith(READS) if found else method in ("GET", "HEAD")


class ReplayProxy(LoopbackServer):
    def __init__(self, upstream: str, delay: float = 0.0) -> None:
        self.delay = delay
        self.replay = True  # False: every call to moto (answers still kept)
        self.kept: dict[Key, Answer] = {}
        self.accounts: dict[str, str] = {}  # temporary access key -> account
        self.calls = 0  # calls answered, from moto or kept
        self.replayed = 0  # of those, answered from what was kept
        self._lock = threading.Lock()
        super().__init__(_Handler, upstream)

    def count(self) -> tuple[int, int]:
        """Calls answered so far, and how many from what was kept: then zeroed."""
        with self._lock:
            out = (self.calls, self.replayed)
            self.calls = self.replayed = 0
        return out


class _Handler(LoopbackHandler):
    server: ReplayProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

    def handle_call(self) -> None:
        server = self.server
        body = self.body()
        access_key, region, service = signed_for(self.headers)
        target = self.headers.get("X-Amz-Target", "")
        account = server.accounts.get(access_key, access_key)
        key: Key = (account, region, service, self.command, self.path, body, target)
        time.sleep(server.delay)
        kept = server.kept.get(key) if server.replay else None
        if kept is None:
            kept = relay(self, server.upstream, body)
            status, _, data = kept
            assume = operation(self.command, body, target) == "AssumeRole"
            if assume and status == 200:
                self._learn(body, data)
            elif status < 400 and is_read(self.command, body, target):
                server.kept[key] = kept
        else:
            with server._lock:
                server.replayed += 1
        with server._lock:
            server.calls += 1
        answer(self, kept)

    def _learn(self, body: bytes, reply: bytes) -> None:
        """The temporary key an AssumeRole answer gives, as the role's account."""
        role = _ROLE_ACCOUNT.search(body)
        key = _KEY.search(reply)
        if role and key:
            with self.server._lock:
                self.server.accounts[key.group(1).decode()] = role.group(1).decode()
