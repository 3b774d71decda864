"""The one place Redis clients are made: from a URL, or for the master Sentinel names.

Every client retries a command while Redis is unreachable or failing over (a Sentinel
client asks the sentinels for the master again on each attempt), for ``redis.retry_s``.
"""

from __future__ import annotations

import logging
import math
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.asyncio.sentinel
import redis.retry
import redis.sentinel
from redis.backoff import ConstantBackoff

from app.config import RedisConfig

log = logging.getLogger(__name__)

RETRY_STEP_S = 0.5


class MasterConnection(redis.sentinel.SentinelManagedConnection):
    """A connection to the master Sentinel names that asks for it on every socket connect.

    redis-py (8.1) asks the sentinels only when a connection is taken from the pool; a
    connection that breaks during a command reconnects to the address it had, retrying
    for the whole retry budget.  So a command caught by a failover kept knocking on the
    dead master for ``redis.retry_s`` (30 s) while the new one was serving: enqueues
    stalled that long, and a worker's final task state could fail to be written at all.
    """

    def _connect(self) -> Any:
        if self.connection_pool.is_master:
            self.host, self.port = self.connection_pool.get_master_address()
        return super()._connect()


class AsyncMasterConnection(redis.asyncio.sentinel.SentinelManagedConnection):
    """The asyncio twin of :class:`MasterConnection`."""

    async def _connect(self) -> Any:
        if self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        return await super()._connect()


def connect(cfg: RedisConfig, retry_s: float | None = None, **options: Any) -> redis.Redis:
    return _client(redis, cfg, retry_s, options)


def connect_async(
    cfg: RedisConfig, retry_s: float | None = None, **options: Any
) -> redis.asyncio.Redis:
    return _client(redis.asyncio, cfg, retry_s, options)


def _client(lib: ModuleType, cfg: RedisConfig, retry_s: float | None, options: Any) -> Any:
    retries = math.ceil((cfg.retry_s if retry_s is None else retry_s) / RETRY_STEP_S)
    kwargs: dict[str, Any] = {
        "retry": lib.retry.Retry(ConstantBackoff(RETRY_STEP_S), retries),
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        **options,
    }
    if cfg.password is not None:
        kwargs["password"] = cfg.password.get_secret_value()
    if not cfg.sentinels:
        return lib.Redis.from_url(cfg.url, **kwargs)
    sentinel_kwargs = {k: v for k, v in kwargs.items() if k.startswith("socket_")}
    if cfg.sentinel_password is not None:
        sentinel_kwargs["password"] = cfg.sentinel_password.get_secret_value()
    addresses = [(host, int(port)) for host, _, port in (a.rpartition(":") for a in cfg.sentinels)]
    sentinel = lib.sentinel.Sentinel(addresses, sentinel_kwargs=sentinel_kwargs)
    master = MasterConnection if lib is redis else AsyncMasterConnection
    return sentinel.master_for(cfg.master_name, db=cfg.db, connection_class=master, **kwargs)


def describe(cfg: RedisConfig) -> str:
    """Where Redis is, for messages: never the password."""
    if cfg.sentinels:
        return f"master {cfg.master_name} via sentinels {', '.join(cfg.sentinels)}"
    url = urlsplit(cfg.url or "")
    return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
