"""What the tasks (``worker.tasks``) and their jobs (``worker.jobs``) use of the process's
runtime, as a type. ``worker.runtime.Runtime`` is the one there is; it imports the tasks
to declare them as actors, so they name this instead of importing it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import dramatiq
    from neo4j import Driver

    from app.config import Settings
    from collectors.base import Source
    from graph.writer import Writer
    from worker.leases import Leases
    from worker.link_requests import LinkRequests
    from worker.report_rows import ReportRows


class Context(Protocol):
    """The settings, connections and helpers a task runs with."""

    @property
    def settings(self) -> Settings: ...

    @property
    def driver(self) -> Driver: ...

    @property
    def writer(self) -> Writer: ...

    @property
    def leases(self) -> Leases: ...

    @property
    def link_requests(self) -> LinkRequests: ...

    @property
    def report_rows(self) -> ReportRows: ...

    @property
    def broker(self) -> dramatiq.Broker: ...

    def enqueue(self, task: str, payload: dict[str, Any], *, message_id: str | None = None) -> str:
        """A child task of the running one (``worker.tasks.enqueue``): its id."""

    def source(self, provider: str) -> Source: ...
