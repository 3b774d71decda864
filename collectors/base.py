"""What a provider offers the rest of the service.

A ``Provider`` is the SDK-free description of a source: its kinds (each with the
function that collects it), its config section and how payloads name its scopes.  Its
``connect`` makes a ``Source``, the part that talks to the provider through its SDK,
which is imported only then, so that the API and the config never load an SDK.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from model import UNKNOWN, Kind

T = TypeVar("T")


class Named(Protocol):
    name: str


Item = TypeVar("Item", bound=Named)  # what a config section lists: an account, a vCenter
Connection = TypeVar("Connection")  # what reaches one: an account's clients, a vCenter's


class PermanentError(Exception):
    """An error that retrying cannot heal: bad payload, bad credentials, access denied."""


@dataclass(frozen=True)
class Reads:
    """What a collection takes from the graph rather than listing it again: the values of
    ``field`` on the ``label`` nodes of its scope (the images a region's instances run),
    given to it as ``session.referenced``.  ``fetch(session, values)`` yields the records
    those values name; a collection of ``label`` that changed something calls it for the
    values its scope has no node for yet, so that neither collection waits on the other."""

    label: str
    field: str
    fetch: Callable[[Any, list[Any]], Iterator[list[Any]]]


@dataclass(frozen=True)
class Collector:
    kind: Kind
    # Given an open session, yields pages of provider records; ``kind.row`` maps each.
    collect: Callable[[Any], Iterator[list[Any]]]
    reads: Reads | None = None


def collectors_of(package: str, *modules: str) -> tuple[Collector, ...]:
    """The ``COLLECTOR`` of each named kind module of ``package``, in that order."""
    return tuple(import_module(f"{package}.{module}").COLLECTOR for module in modules)


class Session(ABC):
    """An open connection to one scope (an AWS account and region, a vCenter)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        # Nodes the collection could not list this time, as field -> values: left as they
        # were, neither seen nor taken for gone (see ``keep``).
        self.kept: dict[str, list[Any]] = {}
        # What the collector's ``Reads`` names, read from the graph before it collects.
        self.referenced: list[Any] = []
        # Where ``attempt`` puts the warnings of a detail call run by ``held`` on another
        # thread, for the caller to add in the items' order.
        self._held = threading.local()

    def keep(self, field: str, value: Any) -> None:
        """Leave the nodes whose ``field`` is ``value`` as they are: the listing of that
        part of the scope (one hosted zone's records) failed, and its warning says so."""
        self.kept.setdefault(field, []).append(value)

    def attempt(self, what: str, call: Callable[[], T], tries: int = 3) -> T | Any:
        """A detail call about one listed item: its answer, or ``UNKNOWN`` and a warning.

        One odd item (deleted since the listing, a call closed to us, a balancer with no
        target groups) must not fail its whole scope: the item is written with what is
        known, and the task succeeds with the warning in its result.  A transient error
        (throttling, an endpoint busy) is tried again first.
        """
        for attempt in range(tries):
            try:
                return call()
            except Exception as exc:
                if attempt + 1 < tries and self.transient(exc):
                    time.sleep(0.5 * 2**attempt)
                    continue
                held = getattr(self._held, "warnings", None)
                (self.warnings if held is None else held).append(f"{what}: {self.describe(exc)}")
                break
        return UNKNOWN

    def held(self, call: Callable[[], T]) -> tuple[T, list[str]]:
        """``call``'s answer and the warnings its attempts gave, kept out of ``warnings``:
        detail calls run at once on several threads, and their caller adds each one's
        warnings in the order of the items, so that a result reads the same every time."""
        self._held.warnings = []
        try:
            return call(), self._held.warnings
        finally:
            del self._held.warnings

    def transient(self, exc: BaseException) -> bool:
        """Whether a provider error may go away by itself (throttling, a busy endpoint)."""
        return isinstance(exc, OSError)

    def describe(self, exc: BaseException) -> str:
        """A one-line reason for a provider error, without secrets."""
        return f"{type(exc).__name__}: {exc}"

    @property
    @abstractmethod
    def scope(self) -> dict[str, Any]:
        """The scope properties written on every node collected here."""

    @property
    def owner(self) -> dict[str, Any] | None:
        """The scope's own node (uid and props), for kinds shared between scopes."""
        return None


class Source(ABC, Generic[Item, Connection]):
    """A provider reached through its SDK: scopes to fan out over, sessions, errors, and
    for each item its config lists a connection, made on first use, shared by a worker's
    threads, and made again once older than ``max_age_s`` (credentials that expire)."""

    def __init__(
        self,
        what: str,
        items: Iterable[Item],
        connect: Callable[[Item], Connection],
        max_age_s: float = math.inf,
    ) -> None:
        self.what = what  # how errors name an item: "AWS account"
        self.items = {item.name: item for item in items}
        self._connect = connect
        self._max_age_s = max_age_s
        self._connections: dict[str, tuple[Connection, float]] = {}  # and when it expires
        self._lock = threading.Lock()

    def item(self, name: str) -> Item:
        """The item the config calls ``name`` (PermanentError naming the known ones if none)."""
        if name not in self.items:
            known = ", ".join(sorted(self.items)) or "none configured"
            raise PermanentError(f"unknown {self.what} {name!r} (known: {known})")
        return self.items[name]

    def connection(self, name: str) -> Connection:
        """The shared connection to the item ``name``."""
        with self._lock:
            made = self._connections.get(name)
            if made is None or time.monotonic() > made[1]:
                expires = time.monotonic() + self._max_age_s
                made = self._connections[name] = (self._connect(self.item(name)), expires)
            return made[0]

    @abstractmethod
    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterable[dict[str, Any]]:
        """One payload per scope of ``kind`` that lies within the partial payload ``within``."""

    @abstractmethod
    def open(self, kind: Kind, payload: dict[str, Any]) -> AbstractContextManager[Session]:
        """A session for the scope a complete, validated payload names (PermanentError if
        it names what the config does not have)."""

    @abstractmethod
    def is_permanent(self, exc: BaseException) -> bool:
        """Whether a provider error cannot heal by retrying."""

    @abstractmethod
    def describe(self, exc: BaseException) -> str:
        """A one-line reason for a provider error, without secrets."""


@dataclass(frozen=True)
class Provider:
    """One source of inventory, as the registry (``collectors/__init__.py``) lists it."""

    name: str  # "aws": the prefix of its labels' tasks and paths
    collectors: tuple[Collector, ...]
    config: type[BaseModel]  # its section of the config file, under ``name``
    payload: type[BaseModel]  # the payload of its collect tasks: a scope, or part of one
    # The payload keys that name one scope of a kind ("account", "region").
    scope_keys: Callable[[Kind], tuple[str, ...]]
    # The payload key naming an item of the config section, and the list holding those
    # items: ("account", "accounts").
    named: tuple[str, str]
    # The properties naming the scope a link task runs in: every kind's scope is part of it.
    link_scope: tuple[str, ...]
    # Its Source, made from the config section: "collectors.aws.source:AwsSource", imported
    # (and the SDK with it) by ``connect`` only.
    source: str

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(c.kind for c in self.collectors)

    def known(self, config: Any) -> dict[str, set[str]]:
        """Payload key -> the names the config section has ({"account": {...}}): a payload
        naming anything else is refused before it is enqueued."""
        key, items = self.named
        return {key: {item.name for item in getattr(config, items)}}

    def connect(self, config: Any) -> Source[Any, Any]:
        """The provider's Source for its config section (this imports the SDK)."""
        module, _, name = self.source.partition(":")
        source: Source[Any, Any] = getattr(import_module(module), name)(config)
        return source

    def collector(self, kind_name: str) -> Collector | None:
        return next((c for c in self.collectors if c.kind.name == kind_name), None)

    def readers(self, label: str) -> tuple[Collector, ...]:
        """The collectors that read the nodes of ``label`` (``Collector.reads``)."""
        return tuple(c for c in self.collectors if c.reads and c.reads.label == label)

    def is_scoped(self, kind: Kind, payload: dict[str, Any]) -> bool:
        return all(payload.get(k) is not None for k in self.scope_keys(kind))
