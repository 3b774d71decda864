"""Link runs coalesced per task tree and scope (worker.link_requests), on the real Redis."""

from __future__ import annotations

import uuid

from app.runtime import Runtime
from worker.link_requests import LinkRequests

SCOPE = {"account_id": "1", "region": "r"}


def requests(runtime: Runtime) -> tuple[LinkRequests, str]:
    return LinkRequests(runtime.redis, runtime.settings.redis.namespace), uuid.uuid4().hex


def test_asks_while_a_link_task_waits_ride_along_with_it(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    assert links.ask(tree, "aws", SCOPE, ["HAS_SUBNET", "HAS_INSTANCE"]) is True
    assert links.ask(tree, "aws", SCOPE, ["HAS_INSTANCE", "IN_SUBNET"]) is False  # queued
    assert links.ask(tree, "aws", {**SCOPE, "region": "q"}, ["HAS_SUBNET"]) is True
    assert links.ask(uuid.uuid4().hex, "aws", SCOPE, ["HAS_SUBNET"]) is True  # another tree
    taken = links.take(tree, "aws", SCOPE)
    assert sorted(taken) == ["HAS_INSTANCE", "HAS_SUBNET", "IN_SUBNET"]
    links.linked(tree, "aws", SCOPE, taken)
    assert links.take(tree, "aws", SCOPE) == {}


def test_an_ask_after_the_task_started_enqueues_another_and_is_not_forgotten(
    runtime: Runtime,
) -> None:
    links, tree = requests(runtime)
    assert links.ask(tree, "aws", SCOPE, ["HAS_INSTANCE", "IN_SUBNET"]) is True
    taken = links.take(tree, "aws", SCOPE)  # the link task starts
    # A collection finishing now may have written after the task read its scope.
    assert links.ask(tree, "aws", SCOPE, ["HAS_INSTANCE"]) is True
    links.linked(tree, "aws", SCOPE, taken)  # the first task ends: IN_SUBNET is done
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_INSTANCE"]


def test_a_failed_link_task_takes_its_types_again_on_retry(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    links.ask(tree, "aws", SCOPE, ["HAS_VPC"])
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_VPC"]  # and then it fails
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_VPC"]  # the retry


def test_a_link_task_that_could_not_be_enqueued_lets_the_next_ask(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    assert links.ask(tree, "aws", SCOPE, ["HAS_VPC"]) is True
    links.unqueue(tree, "aws", SCOPE)  # the enqueue failed
    assert links.ask(tree, "aws", SCOPE, ["HAS_VPC"]) is True
