"""What every provider offers the task layer: its collectors, its scopes and its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel

from graph.model import Kind

Row = dict[str, Any]


class PermanentError(Exception):
    """An error that retrying cannot heal: bad payload, bad credentials, access denied."""


@dataclass(frozen=True)
class Collector:
    kind: Kind
    # Given an open scope session, yields pages of rows; each row has a ``uid``.
    collect: Callable[[Any], Iterator[list[Row]]]


class Scope(ABC):
    """An open connection to one scope (an AWS account and region, a vCenter)."""

    @property
    @abstractmethod
    def values(self) -> dict[str, Any]:
        """The scope properties written on every node collected here."""

    @property
    def owner(self) -> dict[str, Any] | None:
        """The scope's own node (uid and props), for kinds shared between scopes."""
        return None


class Provider(ABC):
    name: ClassVar[str]
    collectors: ClassVar[tuple[Collector, ...]]
    # The properties that bound a link task, and a label whose nodes enumerate them.
    link_scope: ClassVar[tuple[str, ...]]
    scope_label: ClassVar[str]
    # The payload of collect tasks: a whole scope, or a part of one to fan out over.
    payload_model: ClassVar[type[BaseModel]]

    @classmethod
    def collector(cls, kind_name: str) -> Collector | None:
        return next((c for c in cls.collectors if c.kind.name == kind_name), None)

    @abstractmethod
    def scope_keys(self, kind: Kind) -> tuple[str, ...]:
        """The payload keys that name one scope of ``kind``."""

    def is_scoped(self, kind: Kind, payload: dict[str, Any]) -> bool:
        return all(payload.get(k) is not None for k in self.scope_keys(kind))

    @abstractmethod
    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterable[dict[str, Any]]:
        """One payload per scope of ``kind`` that lies within the partial scope ``within``."""

    @abstractmethod
    def open(self, kind: Kind, payload: dict[str, Any]) -> AbstractContextManager[Scope]:
        """Validate a scoped payload and open a session for it (PermanentError if bad)."""

    @abstractmethod
    def is_permanent(self, exc: BaseException) -> bool:
        """Whether a provider error cannot heal by retrying."""

    @abstractmethod
    def describe(self, exc: BaseException) -> str:
        """A one-line reason for a provider error, without secrets."""
