"""Link runs coalesced per task tree and scope (worker.link_requests), on the real Redis."""

from __future__ import annotations

import uuid

from worker.link_requests import LinkRequests
from worker.runtime import Runtime

SCOPE = {"account_id": "1", "region": "r"}


def requests(runtime: Runtime) -> tuple[LinkRequests, str]:
    links = LinkRequests(runtime.redis, runtime.settings.redis.namespace, runtime.records)
    return links, uuid.uuid4().hex


def ask(links: LinkRequests, tree: str, scope: dict, types: list[str], asker: str = "c1") -> bool:
    """An ask by collection ``asker``, with a fresh id for the link task it may enqueue."""
    return links.ask(tree, "aws", scope, types, asker, uuid.uuid4().hex)


def test_asks_while_a_link_task_waits_ride_along_with_it(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    assert ask(links, tree, SCOPE, ["HAS_SUBNET", "HAS_INSTANCE"]) is True
    assert ask(links, tree, SCOPE, ["HAS_INSTANCE", "IN_SUBNET"], "c2") is False  # queued
    assert ask(links, tree, {**SCOPE, "region": "q"}, ["HAS_SUBNET"]) is True
    assert ask(links, uuid.uuid4().hex, SCOPE, ["HAS_SUBNET"]) is True  # another tree
    taken = links.take(tree, "aws", SCOPE)
    assert sorted(taken) == ["HAS_INSTANCE", "HAS_SUBNET", "IN_SUBNET"]
    links.linked(tree, "aws", SCOPE, taken)
    assert links.take(tree, "aws", SCOPE) == {}


def test_an_ask_after_the_task_started_enqueues_another_and_is_not_forgotten(
    runtime: Runtime,
) -> None:
    links, tree = requests(runtime)
    assert ask(links, tree, SCOPE, ["HAS_INSTANCE", "IN_SUBNET"]) is True
    taken = links.take(tree, "aws", SCOPE)  # the link task starts
    # A collection finishing now may have written after the task read its scope.
    assert ask(links, tree, SCOPE, ["HAS_INSTANCE"]) is True
    links.linked(tree, "aws", SCOPE, taken)  # the first task ends: IN_SUBNET is done
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_INSTANCE"]


def test_a_failed_link_task_takes_its_types_again_on_retry(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    ask(links, tree, SCOPE, ["HAS_VPC"])
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_VPC"]  # and then it fails
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_VPC"]  # the retry


def test_a_link_task_that_could_not_be_enqueued_lets_the_next_ask(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    assert ask(links, tree, SCOPE, ["HAS_VPC"]) is True
    links.unqueue(tree, "aws", SCOPE)  # the enqueue failed
    assert ask(links, tree, SCOPE, ["HAS_VPC"]) is True


def test_an_asker_killed_before_it_enqueued_asks_again_when_its_message_returns(
    runtime: Runtime,
) -> None:
    links, tree = requests(runtime)
    assert ask(links, tree, SCOPE, ["HAS_VPC"], "c1") is True  # and c1 is killed
    assert ask(links, tree, SCOPE, ["HAS_SUBNET"], "c2") is False  # c1 may be enqueueing
    assert ask(links, tree, SCOPE, ["HAS_VPC"], "c1") is True  # c1's message redelivered
    assert sorted(links.take(tree, "aws", SCOPE)) == ["HAS_SUBNET", "HAS_VPC"]


def test_a_queued_task_that_ended_without_starting_lets_the_next_ask(runtime: Runtime) -> None:
    links, tree = requests(runtime)
    records, task = runtime.records, uuid.uuid4().hex
    assert links.ask(tree, "aws", SCOPE, ["HAS_VPC"], "c1", task) is True
    pipe = runtime.redis.pipeline()
    records.enqueued(pipe, task, "aws:link-all", {}, "inventory.high", "pending", None, tree, "k")
    pipe.execute()
    assert ask(links, tree, SCOPE, ["HAS_VPC"], "c1") is False  # it waits: it will take them
    records.update(task, state="cancelled")  # an operator cancelled it before it ran
    assert ask(links, tree, SCOPE, ["HAS_VPC"], "c2") is True
