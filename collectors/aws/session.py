"""boto3 clients per configured account, and the session of one account and region."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import botocore.utils
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from collectors.aws.config import AwsAccountConfig
from collectors.base import Session

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


# Assumed-role credentials last an hour; an account's clients are made again well before
# that (collectors.aws.source).
MAX_AGE_S = 45 * 60


def describe(exc: BaseException) -> str:
    """A one-line reason for an AWS error, without secrets."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = getattr(exc, "operation_name", "call")
        return f"AWS {op} failed: {err.get('Code')}: {err.get('Message')}"
    if isinstance(exc, BotoCoreError):
        return f"AWS error: {exc}"
    return f"{type(exc).__name__}: {exc}"


# Error codes of throttling and of a busy endpoint, which pass with time.
TRANSIENT = {
    "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "PriorRequestNotComplete",
}  # fmt: skip


def transient(exc: BaseException) -> bool:
    """Whether an AWS error may pass with time (botocore has retried it already)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in TRANSIENT or status >= 500
    return isinstance(exc, BotoCoreError | OSError)


# The service models (tens of MB of JSON each for EC2) are read once per process, not once
# per account: a session of its own loads its own copy.  With the shared classes below,
# 270 clients (30 accounts x 3 regions x 3 services) grow a process by 48 MB against
# plain boto3's 747 MB (bench/aws_clients.py).  The loader's caches are plain dicts: two
# sessions making clients at once may at worst read a model twice.
_LOADER = botocore.loaders.create_loader()

# botocore builds a class for every client it makes, with a method and a docstring object
# per operation (about 0.4 MB a client), and a worker serving 30 accounts x 3 regions
# makes hundreds.  The class depends on the service alone (the events that shape it are
# registered alike on every session here), so one per service and API version serves all.
_CLASSES: dict[tuple[str, str], type] = {}
_CLASSES_LOCK = threading.Lock()
_make_class = botocore.client.ClientCreator._create_client_class


def _shared_class(creator: Any, service_name: str, service_model: Any) -> type:
    key = (service_name, service_model.api_version)
    with _CLASSES_LOCK:
        if key not in _CLASSES:
            _CLASSES[key] = _make_class(creator, service_name, service_model)
        return _CLASSES[key]


botocore.client.ClientCreator._create_client_class = _shared_class  # type: ignore[method-assign]


def timestamp(value: Any) -> datetime:
    """An AWS timestamp as botocore gives it, ISO 8601 ones (every XML protocol's) read by
    ``datetime.fromisoformat``: botocore's own parser goes through dateutil, which was a
    tenth of a collecting worker's CPU (py-spy, bench/collect_scale.py --profile).  Epoch
    numbers, RFC 822 text and anything fromisoformat refuses go to botocore's."""
    if isinstance(value, str) and "T" in value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


def _session(**credentials: Any) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    parsers = core.get_component("response_parser_factory")
    parsers.set_parser_defaults(timestamp_parser=timestamp)
    return boto3.Session(botocore_session=core, **credentials)


# One pool per process runs the detail calls of every scope; each scope's share of it is
# bounded by its account's and region's semaphore (``AccountClients.bound``), taken before
# a call is handed over, so that no pool thread ever waits for one.  Made on first use in
# the process that uses it (Dramatiq forks its workers; threads do not survive a fork).
POOL_THREADS = 32
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def detail_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(POOL_THREADS, "aws-detail"))
        return _pool[1]


def concurrently(
    session: Session,
    bound: tuple[threading.BoundedSemaphore, int],
    items: Iterable[I],
    call: Callable[[I], T],
) -> Iterator[T]:
    """``call(item)`` for each item, answers in the items' order: the detail calls of a
    page, which wait for nothing but the listing, run at once on the process's pool, as
    many as ``bound`` lets (the config's ``detail_concurrency`` per account and region,
    shared by the scope's collections).  ``call`` uses thread-safe clients and
    ``session.attempt``, whose warnings are added in the items' order too; it must not
    call this itself (its pool thread would wait on the bound)."""
    pool = detail_pool()
    semaphore, window = bound

    def run(item: I) -> tuple[T, list[str]]:
        try:
            return session.held(lambda: call(item))
        finally:
            semaphore.release()

    pending: deque[Future[tuple[T, list[str]]]] = deque()
    try:
        for item in items:
            if len(pending) >= window:  # answers wait for the caller: no more than this
                yield _answer(session, pending.popleft())
            semaphore.acquire()
            try:
                pending.append(pool.submit(run, item))
            except BaseException:
                semaphore.release()
                raise
        while pending:
            yield _answer(session, pending.popleft())
    finally:
        for future in pending:  # the caller stopped early: what has not begun, won't
            if future.cancel():
                semaphore.release()


def _answer(session: Session, future: Future[tuple[T, list[str]]]) -> T:
    answer, warnings = future.result()
    session.warnings += warnings
    return answer


class AccountClients:
    """Clients for one account, made once and shared by a worker's threads;
    credentials are never logged."""

    def __init__(self, account: AwsAccountConfig, detail_concurrency: int = 8) -> None:
        self.account = account
        self.detail_concurrency = detail_concurrency
        self._lock = threading.Lock()  # making clients is not thread-safe; using them is
        self._clients: dict[tuple[str, str], Any] = {}
        self._bounds: dict[str | None, threading.BoundedSemaphore] = {}
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": account.max_attempts},
            connect_timeout=10,
            read_timeout=60,
            # A connection for each detail call at once, besides the listing's own.
            max_pool_connections=max(10, detail_concurrency + 2),
        )

    def bound(self, region: str | None) -> tuple[threading.BoundedSemaphore, int]:
        """The semaphore bounding the detail calls at once in ``region`` (None: a global
        kind's), shared by all the collections of that scope in this process; its size."""
        with self._lock:
            if region not in self._bounds:
                self._bounds[region] = threading.BoundedSemaphore(self.detail_concurrency)
            return self._bounds[region], self.detail_concurrency

    @cached_property
    def boto(self) -> boto3.Session:
        a = self.account
        base = _session(
            profile_name=a.profile,
            aws_access_key_id=_secret(a.access_key_id),
            aws_secret_access_key=_secret(a.secret_access_key),
            aws_session_token=_secret(a.session_token),
        )
        if not a.role_arn:
            return base
        sts = base.client(
            "sts", region_name=self.home_region, endpoint_url=a.endpoint_url, config=self.config
        )
        params: dict[str, Any] = {"RoleArn": a.role_arn, "RoleSessionName": a.role_session_name}
        if a.external_id is not None:
            params["ExternalId"] = a.external_id.get_secret_value()
        creds = sts.assume_role(**params)["Credentials"]
        return _session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    @property
    def home_region(self) -> str:
        regions = self.account.regions
        return regions[0] if isinstance(regions, list) and regions else "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home_region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.boto.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.account.endpoint_url,
                    config=self.config,
                )
            return self._clients[key]

    @cached_property
    def account_id(self) -> str:
        if self.account.account_id and not self.account.role_arn:
            return self.account.account_id
        return self.client("sts").get_caller_identity()["Account"]

    def regions(self) -> list[str]:
        """The configured regions, or every region enabled for the account."""
        if isinstance(self.account.regions, list):
            return list(self.account.regions)
        reply = self.client("ec2").describe_regions(
            Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
        )
        return sorted(r["RegionName"] for r in reply["Regions"])


class AwsSession(Session):
    """One account, and one region for regional kinds."""

    def __init__(self, clients: AccountClients, region: str | None) -> None:
        super().__init__()
        self.clients = clients
        self.region = region

    def describe(self, exc: BaseException) -> str:
        return describe(exc)

    def transient(self, exc: BaseException) -> bool:
        return transient(exc)

    @property
    def account(self) -> AwsAccountConfig:
        return self.clients.account

    @property
    def account_id(self) -> str:
        return self.clients.account_id

    def client(self, service: str) -> Any:
        return self.clients.client(service, self.region)

    def regions(self) -> list[str]:
        return self.clients.regions()

    def each(self, items: Iterable[I], call: Callable[[I], T]) -> Iterator[T]:
        """``call(item)`` for each item, at once (see ``concurrently``), answers in order."""
        return concurrently(self, self.clients.bound(self.region), items, call)

    @property
    def owner(self) -> dict[str, Any] | None:
        # A regional scope's own node is its AWSRegion (whose own scope is its account).
        if not self.region:
            return None
        props = {"account_id": self.account_id, "region": self.region, "name": self.region}
        scope = {"account_id": self.account_id}
        return {"uid": f"{self.account_id}:{self.region}", "props": props, "scope": scope}

    @property
    def scope(self) -> dict[str, Any]:
        out: dict[str, Any] = {"account_id": self.account_id}
        if self.region:
            out["region"] = self.region
        return out
