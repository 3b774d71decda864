"""The Dramatiq internals this project leans on, checked against the installed Dramatiq
with no server: an upgrade that changes one fails here, naming what to review.

The list of internals, what uses each and which tests guard it: docs/internals.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dramatiq
import dramatiq.brokers.redis
import pytest
from dramatiq import Message, Middleware
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, q_name, xq_name
from dramatiq.middleware import Retries

from worker.broker import Broker
from worker.middleware.replica_wait import ReplicaWait
from worker.queues import _WAITING, _requeued
from worker.records import Records

REVIEW = "review docs/internals.md against the installed Dramatiq " + dramatiq.__version__
DISPATCH = Path(dramatiq.brokers.redis.__file__).parent / "redis" / "dispatch.lua"
# The dispatch.lua of Dramatiq 2.2.1, whose layout worker/queues.py and Broker.do_enqueue
# were checked against.  A new one: check the lines below (and docs/internals.md) against
# it, then put its digest here.
DISPATCH_SHA256 = "ba4d872e4fb204ebc3f73ca4719265a9946d70e847856c125314f01a8c90540c"
NS = "dramatiq"


class FakeScript:
    """A registered Lua script that records its calls instead of running them."""

    def __init__(self, source: bytes | str, calls: list[tuple[str, list, list]]) -> None:
        self.source = source if isinstance(source, bytes) else source.encode()
        self.calls = calls

    def __call__(self, keys: list | None = None, args: list | None = None) -> Any:
        if b"find_max_unpack_size" in self.source:  # maxstack.lua
            return 8000
        self.calls.append(("script", list(keys or []), list(args or [])))
        return None


class FakePipeline:
    def __init__(self, calls: list[tuple[str, list, list]], transaction: bool) -> None:
        self.calls, self.transaction, self.ops = calls, transaction, []

    def __getattr__(self, command: str) -> Callable[..., None]:
        return lambda *args, **kwargs: self.ops.append((command, args, kwargs))

    def execute(self) -> None:
        self.calls.append(("pipeline", [self.transaction], self.ops))


class FakeRedis:
    """Enough of redis.Redis for a broker to be made and to enqueue, recording what would
    be sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list, list]] = []

    def register_script(self, source: bytes | str) -> FakeScript:
        return FakeScript(source, self.calls)

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self.calls, transaction)


class Probe(RedisBroker):
    """Dramatiq's own broker, unchanged (a subclass keeps its class-level caches off
    RedisBroker)."""


class OurBroker(Broker):
    """The project's broker, on a fake Redis."""


def message(queue: str = "inventory.default") -> Message:
    return Message(queue_name=queue, actor_name="a", args=({"n": 1},), kwargs={}, options={})


def dispatched(client: FakeRedis) -> list[list]:
    """The argument lists the dispatch script was called with."""
    return [args for kind, _, args in client.calls if kind == "script"]


# --- RedisBroker.enqueue reaches Broker.do_enqueue --------------------------------------


@pytest.mark.parametrize("delay", [None, 60_000])
def test_enqueue_reaches_our_do_enqueue_with_the_key_and_the_encoded_message(
    delay: int | None,
) -> None:
    client = FakeRedis()
    broker = OurBroker(Records(client, "inventory", 3600), client=client, middleware=[])
    sent = broker.enqueue(message(), delay=delay)
    assert not dispatched(client), (
        "RedisBroker.enqueue ran its dispatch script itself instead of calling do_enqueue: "
        "worker.broker.Broker's override (one transaction for message and record) is "
        f"bypassed; {REVIEW}"
    )
    [(_, [transaction], ops)] = client.calls
    queue = "inventory.default" if delay is None else "inventory.default.DQ"
    key = sent.options["redis_message_id"]
    assert transaction, "the message and its record must be written in one transaction"
    hset, rpush = ((op, *args) for op, args, _ in ops if args[0].startswith(f"{NS}:"))
    assert rpush == ("rpush", f"{NS}:{queue}", key), REVIEW
    assert hset[:3] == ("hset", f"{NS}:{queue}.msgs", key), REVIEW
    assert Message.decode(hset[3]) == sent, "do_enqueue no longer gets the encoded message"
    record_key = f"inventory:task:{sent.message_id}"
    [record] = [kw["mapping"] for op, args, kw in ops if op == "hset" and args == (record_key,)]
    state = "pending" if delay is None else "delayed"
    assert record["state"] == state and record["redis_message_id"] == key


def test_do_enqueue_replaces_the_dispatch_call_with_the_same_arguments() -> None:
    """What Dramatiq's own do_enqueue sends: the "enqueue" command with the queue, the key
    and the data, which our override writes as that command does."""
    client = FakeRedis()
    broker = Probe(client=client, middleware=[])
    sent = broker.enqueue(message(), delay=1000)
    [args] = dispatched(client)
    differs = f"RedisBroker.do_enqueue is no longer (queue, key, data); {REVIEW}"
    assert args[0] == "enqueue" and args[2] == "inventory.default.DQ", differs
    assert args[3] == broker.broker_id
    assert args[8:] == [sent.options["redis_message_id"], sent.encode()], differs


@pytest.mark.parametrize("command", ["ack", "nack"])
def test_do_commands_reach_the_dispatch_script_by_name(command: str) -> None:
    """ReplicaWait makes acks and nacks again through ``broker.do_ack``/``do_nack``."""
    client = FakeRedis()
    broker = Probe(client=client, middleware=[])
    getattr(broker, f"do_{command}")("inventory.default", "key-1")
    [args] = dispatched(client)
    assert (args[0], args[2], args[3], args[8:]) == (
        command,
        "inventory.default",
        broker.broker_id,
        ["key-1"],
    ), REVIEW


# --- acknowledgements, made again by ReplicaWait ----------------------------------------


class Always:
    """Replicas that confirm a write once it is made again (as after a failover)."""

    def durably(self, write: Callable[[], Any], written: bool = False) -> None:
        if not written:
            write()
        write()


@pytest.mark.parametrize("queue", ["inventory.default", "inventory.default.DQ"])
def test_replica_wait_acks_again_where_the_consumer_acked(queue: str) -> None:
    client = FakeRedis()
    broker = Probe(client=client, middleware=[])
    consumer = broker.consume(queue)
    proxy = MessageProxy(message(queue).copy(options={"redis_message_id": "k"}))
    consumer.ack(proxy)
    ReplicaWait(Always()).after_ack(broker, proxy)  # type: ignore[arg-type]
    first, again = dispatched(client)
    assert first[0] == again[0] == "ack"
    assert first[2:3] + first[8:] == [queue, "k"], f"the consumer acks elsewhere; {REVIEW}"
    assert again[2:3] + again[8:] == [queue, "k"], (
        f"ReplicaWait makes an ack again on another queue than the consumer's; {REVIEW}"
    )


# --- the Redis layout of dispatch.lua, which worker/queues.py reads ---------------------

# Each line worker/queues.py or worker/broker.py depends on, and what depends on it.
LAYOUT = {
    'local acks = namespace .. ":__acks__." .. worker_id': "Queues.stats: a worker's held",
    'local queue_acks = acks .. "." .. queue_name': "Queues.stats: ns:__acks__.<worker>.Q",
    'local heartbeats = namespace .. ":__heartbeats__"': "Queues.stats: the workers",
    'redis.call("zadd", heartbeats, timestamp, worker_id)': "Queues.stats: worker ids",
    'local queue_full_name = namespace .. ":" .. queue_name': "Broker.key(Q): the list",
    'local queue_messages = queue_full_name .. ".msgs"': "Broker.key(Q, '.msgs'): the data",
    'local xqueue_full_name = namespace .. ":" .. queue_canonical_name .. ".XQ"': "dead: .XQ",
    'local xqueue_messages = xqueue_full_name .. ".msgs"': "dead letters' data",
    'local message_id = redis.call("lpop", queue_full_name)': "fetch: off the list",
    'redis.call("sadd", queue_acks, message_id)': "fetch: into the worker's ack set",
    'redis.call("hdel", queue_messages, message_id)': "ack: data gone with the ack",
    'redis.call("zadd", xqueue_full_name, timestamp, message_id)': "nack: a zset by time",
    'redis.call("hset", xqueue_messages, message_id, message)': "nack: data moves along",
}
# The whole of the "enqueue" command, which Broker.do_enqueue writes in its place.
ENQUEUE = [
    "local message_id = ARGS[1]",
    "local message_data = ARGS[2]",
    'redis.call("hset", queue_messages, message_id, message_data)',
    'redis.call("rpush", queue_full_name, message_id)',
]


def lua_lines() -> list[str]:
    stripped = (line.strip() for line in DISPATCH.read_text().splitlines())
    return [line for line in stripped if line and not line.startswith("--")]


def test_dispatch_lua_keeps_the_key_names_and_moves_worker_queues_reads() -> None:
    lines = lua_lines()
    missing = {line: why for line, why in LAYOUT.items() if line not in lines}
    assert not missing, f"dispatch.lua changed the Redis layout we read: {missing}; {REVIEW}"


def test_dispatch_lua_enqueue_is_the_two_writes_broker_do_enqueue_makes() -> None:
    lines = lua_lines()
    start = lines.index('if command == "enqueue" then') + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("elseif"))
    assert lines[start:end] == ENQUEUE, (
        "dispatch.lua's enqueue changed: worker.broker.Broker.do_enqueue writes in its "
        f"place and must do the same; {REVIEW}"
    )


def test_dispatch_lua_is_the_one_reviewed() -> None:
    digest = hashlib.sha256(DISPATCH.read_bytes()).hexdigest()
    assert digest == DISPATCH_SHA256, (
        f"{DISPATCH} is not the one worker/queues.py was checked against: {REVIEW}, "
        "then update DISPATCH_SHA256"
    )


def test_queue_name_suffixes_are_the_ones_queues_uses() -> None:
    assert dq_name("q") == "q" + _WAITING["delayed"] and q_name("q.DQ") == "q", REVIEW
    assert xq_name("q") == xq_name("q.DQ") == "q" + _WAITING["failed"], REVIEW
    assert q_name("q.XQ") == "q" and _WAITING["pending"] == ""


# --- message encoding and the options a retry adds --------------------------------------


def test_a_retry_from_the_dead_letters_resets_every_option_a_retry_added() -> None:
    """Queues.retry puts a dead message back as new: whatever Retries and a delayed
    enqueue added to its options must go (its retry count starts again), ours stay."""
    broker = StubBroker(middleware=[])
    dramatiq.actor(lambda payload: None, actor_name="a", broker=broker)
    ours = {"parent": "p", "root": "r"}
    original = message("default").copy(options=ours)
    proxy = MessageProxy(original.copy())
    retried: list[Message] = []
    redis_broker = Probe(client=FakeRedis(), middleware=[])

    def enqueue(m: Message, delay: int | None = None) -> None:
        retried.append(redis_broker.enqueue(m, delay=delay))

    broker.enqueue = enqueue  # type: ignore[method-assign]
    Retries(max_retries=5).after_process_message(broker, proxy, exception=RuntimeError("x"))
    [delayed] = retried
    assert delayed.options["retries"] == 1 and "eta" in delayed.options
    key, data = _requeued(delayed.encode(), "default")
    fresh = Message.decode(data)
    assert fresh.options == {**ours, "redis_message_id": key}, (
        "a retried message carries options worker.queues._requeued does not reset: "
        f"{set(fresh.options) - {*ours, 'redis_message_id'}}; {REVIEW}"
    )
    assert fresh.queue_name == "default" and fresh.message_id == original.message_id
    assert (fresh.args, fresh.actor_name) == (original.args, original.actor_name)


# --- middleware order and log lines -----------------------------------------------------


def test_after_hooks_run_in_reverse_order() -> None:
    """TaskRecords and TaskMetrics are listed before Retries so that their after hooks see
    what Retries decided (worker.middleware.task_records)."""
    seen: list[str] = []

    class Mark(Middleware):
        def __init__(self, name: str) -> None:
            self.name = name

        def after_process_message(self, broker: Any, message: Any, **_: Any) -> None:
            seen.append(self.name)

    broker = StubBroker(middleware=[Mark("records"), Mark("retries")])
    broker.emit_after("process_message", None)
    assert seen == ["retries", "records"], REVIEW


def test_the_results_warning_worker_main_filters_is_still_logged_where_it_looks() -> None:
    source = Path(dramatiq.worker.__file__).read_text()
    assert 'get_logger(__name__, "WorkerThread")' in source, REVIEW
    assert "Results middleware to the broker" in source, REVIEW
