"""Detail calls at once (collectors.aws.session.concurrently): bounded, in order, warnings
in order, and the collectors that use it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from collectors.aws import buckets
from collectors.aws.config import AwsConfig
from collectors.aws.session import AccountClients, concurrently
from collectors.aws.source import AwsSource
from model import UNKNOWN
from tests.unit.aws.fake import FakeSession, rows

WAIT = 10  # seconds a test waits for threads that should meet long before


def test_runs_at_once_up_to_the_bound_and_answers_in_order() -> None:
    session = FakeSession("123456789012", "eu-west-1")
    running, most, lock = 0, 0, threading.Lock()
    both = threading.Barrier(2, timeout=WAIT)  # broken unless two calls run at once
    later_done = threading.Event()

    def call(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            if n < 2:
                both.wait()
            if n == 0:  # the first item answers after the third: still first
                assert later_done.wait(WAIT)
            if n == 2:
                later_done.set()
            return n * n
        finally:
            with lock:
                running -= 1

    bound = (threading.BoundedSemaphore(3), 3)
    assert list(concurrently(session, bound, range(10), call)) == [n * n for n in range(10)]
    assert 2 <= most <= 3


def test_warnings_come_in_the_items_order() -> None:
    session = FakeSession("123456789012", "eu-west-1")
    first_may_go = threading.Event()

    def call(n: int) -> Any:
        if n == 0:
            assert first_may_go.wait(WAIT)
        if n == 3:
            first_may_go.set()  # the first item's warning is given after the others'

        def fail() -> None:
            raise ValueError(f"item {n}")

        return session.attempt(f"detail {n}", fail) if n % 2 == 0 else n

    answers = list(concurrently(session, (threading.BoundedSemaphore(4), 4), range(6), call))
    assert answers == [UNKNOWN, 1, UNKNOWN, 3, UNKNOWN, 5]
    assert session.warnings == [f"detail {n}: ValueError: item {n}" for n in (0, 2, 4)]


def test_a_failing_call_fails_the_listing_and_frees_the_bound() -> None:
    session = FakeSession("123456789012", "eu-west-1")
    semaphore = threading.BoundedSemaphore(2)

    def call(n: int) -> int:
        if n == 1:
            raise RuntimeError("not a detail call's error")
        return n

    with pytest.raises(RuntimeError):
        list(concurrently(session, (semaphore, 2), range(5), call))
    # Every slot back: what had begun ended, what had not was cancelled.
    assert all(semaphore.acquire(timeout=WAIT) for _ in range(2))


def test_the_bound_is_per_account_and_region_from_the_config() -> None:
    source = AwsSource(
        AwsConfig.model_validate(
            {"detail_concurrency": 3, "accounts": [{"name": "a", "regions": ["eu-west-1"]}]}
        )
    )
    clients = source.connection("a")
    assert isinstance(clients, AccountClients)
    semaphore, size = clients.bound("eu-west-1")
    assert size == 3 and clients.bound("eu-west-1")[0] is semaphore
    assert clients.bound("us-east-1")[0] is not semaphore
    assert clients.config.max_pool_connections >= 3


@pytest.mark.parametrize("value", [0, 65, "many"])
def test_detail_concurrency_is_checked(value: Any) -> None:
    with pytest.raises(ValueError):
        AwsConfig.model_validate({"detail_concurrency": value})


def test_collectors_keep_the_listing_order() -> None:
    names = [f"b{n}" for n in range(20)]
    session = FakeSession(
        "123456789012",
        "us-east-1",
        answers={
            "s3.list_buckets": [
                {"params": {}, "response": {"Buckets": [{"Name": n} for n in names]}}
            ],
            "s3.get_bucket_location": [
                {"params": {"Bucket": n}, "response": {"LocationConstraint": f"eu-west-{i % 3}"}}
                for i, n in enumerate(names)
            ],
        },
    )
    found = rows(buckets.COLLECTOR, session)
    assert [r["name"] for r in found] == names
    assert [r["region"] for r in found] == [f"eu-west-{i % 3}" for i in range(20)]
