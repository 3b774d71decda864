"""What the tasks do: fan out, collect one kind in one scope, link, keep house.

``<provider>:collect-all`` fans out to one task per kind; ``<provider>:collect-<kind>``
fans out to one task per scope, and a scoped one collects, cleans up and enqueues the
link tasks of its scope; ``<provider>:link-all`` (re)builds relationships per scope;
``aux:housekeeper`` deletes what has not been seen for the retention period.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache, partial
from typing import Any
from uuid import uuid4

from dramatiq.middleware import CurrentMessage

from app import metrics
from collectors import CATALOG
from collectors.base import Collector, PermanentError, Provider, Session, Source
from graph import changes, references, reports, status
from graph import links as graph_links
from graph.changes import ChangeLog
from model import UNKNOWN, Kind, Link, RowError
from worker.context import Context
from worker.leases import Held
from worker.records import tree_of

log = logging.getLogger(__name__)

Job = Callable[[Context, dict[str, Any]], dict[str, Any]]
# How many warnings a task result names (it counts them all).
MAX_REASONS = 5


class TaskError(Exception):
    """A task failed in a way that retrying may heal (an endpoint down, a throttle)."""


def collect_all(provider: Provider) -> Job:
    def run(rt: Context, payload: dict[str, Any]) -> dict[str, Any]:
        for kind in provider.kinds:
            rt.enqueue(kind.task, payload)
        return {"enqueued": len(provider.kinds)}

    return run


def collect_kind(provider: Provider, kind: Kind) -> Job:
    def run(rt: Context, payload: dict[str, Any]) -> dict[str, Any]:
        # Payloads arrive validated and without None values (see worker.tasks).
        source = rt.source(provider.name)
        if not provider.is_scoped(kind, payload):
            with _provider_errors(source):
                scopes = list(source.scopes(kind, payload))
            for scope in scopes:
                rt.enqueue(kind.task, scope)
            return {"enqueued": len(scopes)}
        keys = provider.scope_keys(kind)
        return _collect_scope(rt, provider, source, kind, {k: payload[k] for k in keys})

    return run


@contextmanager
def _provider_errors(source: Source) -> Iterator[None]:
    """Turns provider errors into PermanentError (fail now) or TaskError (retry)."""
    try:
        yield
    except (PermanentError, TaskError):
        raise
    except RowError as exc:  # the provider answered in a shape the kind does not declare
        raise PermanentError(str(exc)) from exc
    except Exception as exc:
        reason = source.describe(exc)
        if source.is_permanent(exc):
            raise PermanentError(reason) from exc
        raise TaskError(reason) from exc


def _collect_scope(
    rt: Context, provider: Provider, source: Source, kind: Kind, payload: dict[str, Any]
) -> dict[str, Any]:
    message = CurrentMessage.get_current_message()
    task_id = message.message_id if message else None
    lease = f"{kind.task}:{json.dumps(payload, sort_keys=True)}"
    try:
        with rt.leases.hold(lease, task_id or "direct"):
            return _collect(rt, provider, source, kind, payload, task_id)
    except Held as held:
        log.info("skipped %s %s: %s", kind.task, payload, held)
        return {"skipped": str(held), "running": held.holder}
    except Exception as exc:
        reason = str(exc) if isinstance(exc, PermanentError | TaskError) else repr(exc)
        status.failed(rt.driver, rt.settings.neo4j.database, kind, payload, reason, task_id)
        raise


def _collect(
    rt: Context,
    provider: Provider,
    source: Source,
    kind: Kind,
    payload: dict[str, Any],
    task_id: str | None,
) -> dict[str, Any]:
    collector = provider.collector(kind.name)
    assert collector is not None
    # Taken under the lease, so no other collection of this kind and scope lists later
    # than this and has its finds deleted by this one's cleanup.
    seen_at = rt.writer.now()
    written = 0
    log_ = _change_log(task_id)
    with _provider_errors(source), source.open(kind, payload) as session:
        values = session.scope
        node_scope = {k: values[k] for k in kind.scope}
        owner = session.owner if kind.member_of else None
        if collector.reads:
            source_kind = CATALOG.by_label[collector.reads.label]
            session.referenced = references.values(
                rt.driver, rt.settings.neo4j.database, source_kind, collector.reads.field, values
            )
        for page in collector.collect(session):
            rows = [kind.row(record) for record in page]
            written += rt.writer.write(kind, rows, node_scope, seen_at, owner, log_)
        if any(log_.counts[(kind.label, c)] for c in ("created", "updated")):
            for reader in provider.readers(kind.label):
                _fetch_referenced(rt, reader, kind, session, log_)
    warnings = session.warnings
    done = status.success(kind, payload, node_scope, seen_at, task_id, len(warnings))
    # Only a collection whose listing went through entirely may declare what it missed as
    # gone; failed detail calls only leave some properties as they were (warnings).
    removed = rt.writer.remove_stale(kind, node_scope, seen_at, owner, log_, session.kept, done)
    # Links are derived from the nodes' tracked fields (those they join on are tracked, or
    # follow from tracked ones): a collection that changed nothing leaves every link it
    # touches as it was, and asking for them would only re-read them.  A link lost some
    # other way (a relationship type new in the catalog, a link task that failed for good)
    # waits for the next change or a scheduled <provider>:link-all.
    if log_.counts:
        scope = {k: values[k] for k in provider.link_scope if k in values}
        _ask_links_of(rt, provider, kind, scope)
    metrics.NODES_WRITTEN.labels(provider.name, kind.label).inc(written)
    metrics.NODES_REMOVED.labels(provider.name, kind.label).inc(removed)
    metrics.WARNINGS.labels(provider.name, kind.label).inc(len(warnings))
    log.info(
        "collected %s in %s: %d written, %d removed, changes %s",
        kind.label,
        values,
        written,
        removed,
        log_.summary(),
    )
    result = {"scope": values, "nodes_written": written, "nodes_removed": removed}
    result["changes"] = log_.summary()
    if warnings:
        log.warning(
            "%d warning(s) collecting %s in %s: %s",
            len(warnings),
            kind.label,
            values,
            "; ".join(warnings[:MAX_REASONS]),
        )
        result |= {"warnings": len(warnings), "warning_reasons": warnings[:MAX_REASONS]}
    return result


def _fetch_referenced(
    rt: Context, reader: Collector, kind: Kind, session: Session, log_: ChangeLog
) -> None:
    """After a collection of ``kind`` that changed something: the nodes its nodes name that
    ``reader``'s kind lacks in the scope (an image a new instance runs), fetched and written
    now rather than at that kind's next collection, which reads the names from the graph.

    Written as of now, not the collection's start: a collection of that kind running since
    before must not take them for gone.  A failed fetch is a warning; the next collection
    of that kind finds them."""
    assert reader.reads is not None
    target, values = reader.kind, session.scope
    owner = session.owner if target.member_of else None
    db = rt.settings.neo4j.database
    names = references.values(rt.driver, db, kind, reader.reads.field, values, target, owner)
    if not names:
        return
    fetch = reader.reads.fetch
    pages = session.attempt(
        f"{target.label} named by {kind.label}", lambda: list(fetch(session, sorted(names)))
    )
    if pages is UNKNOWN:
        return
    scope = {k: values[k] for k in target.scope}
    at = rt.writer.now()
    for page in pages:
        rt.writer.write(target, [target.row(r) for r in page], scope, at, owner, log_)


def _change_log(task_id: str | None) -> ChangeLog:
    """The change log of a task, counting into inventory_changes_total as it goes."""
    return ChangeLog(task_id, lambda label, change, n: metrics.CHANGES.labels(label, change).inc(n))


def _current_id() -> str | None:
    message = CurrentMessage.get_current_message()
    return message.message_id if message else None


def _tree() -> str | None:
    """The id of the task tree the running task belongs to (None outside a task)."""
    message = CurrentMessage.get_current_message()
    return tree_of(message) if message else None


def _ask_links_of(rt: Context, provider: Provider, kind: Kind, scope: dict[str, Any]) -> None:
    """Have the relationship types touching ``kind`` linked after its collection in
    ``scope``: in that scope, but in every scope those whose other end may be anywhere (a
    DNS record in one account pointing at an address this collection found in another)."""
    touching = [lk for lk in CATALOG.derived if kind.label in (lk.source, lk.target)]
    everywhere = {lk.type for lk in touching if lk.across_scopes and lk.scoped_label != kind.label}
    here = {lk.type for lk in touching} - everywhere
    if here:
        _ask_links(rt, provider, scope, sorted(here))
    if everywhere:
        _ask_links(rt, provider, {}, sorted(everywhere))


def _ask_links(rt: Context, provider: Provider, scope: dict[str, Any], types: list[str]) -> None:
    """Have ``types`` linked in ``scope`` by a link task of this tree (worker.link_requests):
    a new one, unless one is queued already and will take them."""
    task, message = f"{provider.name}:link-all", CurrentMessage.get_current_message()
    if message is None:
        rt.enqueue(task, {**scope, "types": types})
        return
    tree, link_task = tree_of(message), str(uuid4())
    if rt.link_requests.ask(tree, provider.name, scope, types, message.message_id, link_task):
        try:
            rt.enqueue(task, {**scope, "types": types}, message_id=link_task)
        except BaseException:
            rt.link_requests.unqueue(tree, provider.name, scope)
            raise


def link_all(provider: Provider, links: list[Link]) -> Job:
    known: dict[str, list[Link]] = {}
    for link in links:
        known.setdefault(link.type, []).append(link)

    def run(rt: Context, payload: dict[str, Any]) -> dict[str, Any]:
        types = payload.get("types") or sorted(known)
        unknown = sorted(set(types) - set(known))
        if unknown:
            raise PermanentError(f"unknown relationship type(s) {unknown}; known: {sorted(known)}")
        scope = {k: payload[k] for k in provider.link_scope if k in payload}
        database = rt.settings.neo4j.database
        # The types the collections of this tree have asked for meanwhile come along.
        tree = _tree()
        taken = rt.link_requests.take(tree, provider.name, scope) if tree else {}
        types = sorted({*types, *(t for t in taken if t in known)})
        # A link is refreshed here if this scope names its scoped end's whole scope;
        # otherwise in each scope where nodes of that end are (a task per scope, as a
        # collection asks). Found from those nodes themselves: an account's DNS records are
        # linked even if none of its regions is in the graph yet.
        here: list[Link] = []
        fanned: dict[tuple[tuple[str, Any], ...], set[str]] = {}
        present = cache(partial(graph_links.scopes, rt.driver, database=database))
        for link_type in types:
            for link in known[link_type]:
                keys = CATALOG.scoped_kind(link).scope
                if set(keys) <= scope.keys():
                    here.append(link)
                    continue
                for found in present(link.scoped_label, keys):
                    if all(found[k] == v for k, v in scope.items() if k in found):
                        fanned.setdefault(tuple(sorted(found.items())), set()).add(link_type)
        for found, found_types in fanned.items():
            _ask_links(rt, provider, dict(found), sorted(found_types))
        linked = removed = 0
        log_ = _change_log(_current_id())
        if here:  # the database's clock is a round trip: asked only when linking here
            seen_at = rt.writer.now()
        for link in here:
            result = graph_links.refresh(
                rt.driver, CATALOG, link, scope, seen_at, database, log=log_
            )
            linked += result.linked
            removed += result.removed
            metrics.LINKS_WRITTEN.labels(provider.name, link.type).inc(result.linked)
            metrics.LINKS_REMOVED.labels(provider.name, link.type).inc(result.removed)
        if tree:
            rt.link_requests.linked(tree, provider.name, scope, taken)
        return {
            "scope": scope,
            "types": types,
            "links_written": linked,
            "links_removed": removed,
            "changes": log_.summary(),
            "enqueued": len(fanned),
        }

    return run


def housekeeper(rt: Context, payload: dict[str, Any]) -> dict[str, Any]:
    days = payload.get("retention_days") or rt.settings.graph.retention_days
    now = rt.writer.now()
    before = now - timedelta(days=days)
    removed: dict[str, int] = {}
    kept: list[dict[str, Any]] = []
    log_ = _change_log(_current_id())
    for kind in CATALOG.kinds:
        gone, held = rt.writer.housekeep(kind, before, log_)
        removed[kind.label] = gone
        metrics.NODES_REMOVED.labels(kind.provider, kind.label).inc(gone)
        metrics.KEPT.labels(kind.provider, kind.label).set(sum(h["kept"] for h in held))
        kept += [{"label": kind.label, **h} for h in held]
    if kept:
        log.warning(
            "kept %d node(s) older than %s days: their scopes' collections have not "
            "succeeded since they were last seen (see the result's kept list)",
            sum(k["kept"] for k in kept),
            days,
        )
    change_days = rt.settings.graph.change_retention_days
    old_changes = changes.remove_old(
        rt.driver, rt.settings.neo4j.database, now - timedelta(days=change_days)
    )
    log.info("removed %d change record(s) older than %s days", old_changes, change_days)
    return {
        "nodes_removed": sum(removed.values()),
        "by_label": removed,
        "kept": kept,
        "changes": log_.summary(),
        "changes_removed": old_changes,
    }


def refresh_reports(rt: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Count every report's rows, for the API's list and the inventory_report_rows gauge."""
    database = rt.settings.neo4j.database
    counts = {}
    for report in reports.catalog().values():
        args = report.arguments({}, rt.settings.report_defaults())
        counts[report.name] = reports.count(rt.driver, database, report, args)
    rt.report_rows.save(counts)
    return {"reports": counts, "rows": sum(counts.values())}
