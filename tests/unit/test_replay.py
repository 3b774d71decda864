"""bench/replay.py: reads answered again from what was kept, by account (temporary keys
mapped through AssumeRole), never errors, AssumeRole or changes; against a stub upstream."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bench.replay import ReplayProxy, is_read, operation
from dev.loopback import LoopbackHandler, LoopbackServer, answer

ROLE = "arn:aws:iam::210987654321:role/reader"


def auth(key: str, service: str = "ec2") -> dict[str, str]:
    credential = f"Credential={key}/20261206/eu-west-1/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=x"}


class Upstream(LoopbackServer):
    def __init__(self) -> None:
        self.asked: list[bytes] = []
        self.keys = iter(["ASIAFIRST", "ASIASECOND"])
        super().__init__(_Stub)


class _Stub(LoopbackHandler):
    server: Upstream

    def handle_call(self) -> None:
        body = self.body()
        self.server.asked.append(body)
        status, reply = 200, b"<ok>" + str(len(self.server.asked)).encode() + b"</ok>"
        if b"Action=AssumeRole" in body:
            reply = f"<AccessKeyId>{next(self.server.keys)}</AccessKeyId>".encode()
        elif b"Broken" in body:
            status = 400
        answer(self, (status, [], reply))


@pytest.fixture
def proxied() -> Iterator[tuple[Upstream, ReplayProxy]]:
    upstream = Upstream()
    proxy = ReplayProxy(upstream.url)
    yield upstream, proxy
    proxy.stop()
    upstream.stop()


def test_what_counts_as_a_read() -> None:
    assert operation("POST", b"Action=DescribeInstances&Version=1", "") == "DescribeInstances"
    assert operation("POST", b"{}", "Lambda_20150331.ListFunctions") == "ListFunctions"
    assert is_read("POST", b"Action=DescribeInstances&Version=1", "")
    assert not is_read("POST", b"Version=1&Action=RunInstances", "")
    assert is_read("GET", b"", "") and not is_read("DELETE", b"", "")
    assert not is_read("POST", b"<ChangeBatch/>", "")  # REST-XML: the method says


def test_reads_are_kept_by_account_and_the_rest_goes_upstream(
    proxied: tuple[Upstream, ReplayProxy],
) -> None:
    upstream, proxy = proxied

    def post(body: str, key: str = "testing") -> httpx.Response:
        return httpx.post(proxy.url + "/", content=body, headers=auth(key), timeout=60)

    first = post("Action=DescribeVpcs&Version=1")
    assert post("Action=DescribeVpcs&Version=1").content == first.content
    assert proxy.count() == (2, 1) and len(upstream.asked) == 1
    # Another account asking the same: its own answer.
    post("Action=DescribeVpcs&Version=1", key="other")
    # Errors and changes are never kept.
    for body in ("Action=DescribeBroken&Version=1", "Action=RunInstances&Version=1"):
        post(body)
        post(body)
    assert proxy.count() == (5, 0) and len(upstream.asked) == 6
    # Two temporary keys of one role's account are one account; AssumeRole always goes.
    for _ in range(2):
        key = post(f"Action=AssumeRole&RoleArn={ROLE}&Version=1").text.split(">")[1].split("<")[0]
        post("Action=DescribeSubnets&Version=1", key=key)
    assert proxy.accounts == {"ASIAFIRST": "210987654321", "ASIASECOND": "210987654321"}
    assert proxy.count() == (4, 1) and len(upstream.asked) == 9
    proxy.replay = False  # every call upstream, as --no-replay
    post("Action=DescribeVpcs&Version=1")
    assert proxy.count() == (1, 0) and len(upstream.asked) == 10
