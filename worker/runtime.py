"""The long-lived resources of one process, made on first use from the settings."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

import dramatiq
import redis
from neo4j import Driver

from app import redisconn
from app.config import Settings, load_settings
from collectors import CATALOG, PROVIDERS
from collectors.base import Source
from graph import driver as graph_driver
from graph.writer import Writer
from worker.broker import Broker, build_broker, records_for
from worker.leases import Leases
from worker.link_requests import LinkRequests
from worker.queues import Queues
from worker.records import Records
from worker.report_rows import ReportRows
from worker.tasks import declare_actors, enqueue


class Runtime:
    def __init__(self, settings: Settings, redis_retry_s: float | None = None) -> None:
        self.settings = settings
        self.catalog = CATALOG
        # How long Redis commands retry while Redis is away; the config's unless given.
        self.redis_retry_s = redis_retry_s
        self._sources: dict[str, Source] = {}
        self._lock = threading.Lock()

    @cached_property
    def driver(self) -> Driver:
        return graph_driver.connect(self.settings.neo4j, verify=False)

    @cached_property
    def writer(self) -> Writer:
        s = self.settings.neo4j
        return Writer(self.driver, s.database, s.batch_size)

    def connect_redis(self, **options: Any) -> redis.Redis:
        return redisconn.connect(self.settings.redis, self.redis_retry_s, **options)

    @cached_property
    def redis(self) -> redis.Redis:
        return self.connect_redis(decode_responses=True)

    @cached_property
    def leases(self) -> Leases:
        """One collection per kind and scope at a time."""
        t = self.settings.tasks
        return Leases(self.redis, self.settings.redis.namespace, t.collection_lease_s)

    @cached_property
    def link_requests(self) -> LinkRequests:
        """Link runs coalesced per task tree and scope."""
        return LinkRequests(self.redis, self.settings.redis.namespace, self.records)

    @cached_property
    def report_rows(self) -> ReportRows:
        return ReportRows(self.redis, self.settings.redis.namespace)

    @cached_property
    def records(self) -> Records:
        return records_for(self.settings, self.redis)

    @cached_property
    def broker(self) -> Broker:
        """The broker with every task declared as an actor; also made Dramatiq's global one."""
        broker = build_broker(self.settings, self.records, self.connect_redis())
        declare_actors(broker, self)
        dramatiq.set_broker(broker)
        return broker

    @cached_property
    def queues(self) -> Queues:
        """Operations on messages in the broker: cancel, delete, retry, stats."""
        return Queues(self.broker, self.records)

    def enqueue(
        self,
        task: str,
        payload: dict[str, Any] | None = None,
        priority: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Validate and enqueue one task; its id (see ``worker.tasks.enqueue``)."""
        return enqueue(self, task, payload, priority, message_id)

    def source(self, provider: str) -> Source:
        """The provider's SDK side, made on first use (the API process never needs one)."""
        with self._lock:
            if provider not in self._sources:
                p = PROVIDERS[provider]
                self._sources[provider] = p.connect(getattr(self.settings, provider))
            return self._sources[provider]

    def close(self) -> None:
        if "driver" in self.__dict__:
            self.driver.close()


_current: Runtime | None = None


def current() -> Runtime:
    """The process-wide runtime, loading the settings on first use."""
    global _current
    if _current is None:
        _current = Runtime(load_settings())
    return _current


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime
