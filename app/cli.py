"""The ``inventory`` command."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from types import ModuleType
from typing import Any, NoReturn

import click
import dramatiq.errors
import redis.exceptions
from neo4j.exceptions import AuthError, ServiceUnavailable

from app import redisconn
from app.config import QUEUES, ConfigError, load_settings, pool_queues
from app.errors import ActionableError
from app.runtime import Runtime, current
from graph.driver import GraphUnavailable
from graph.reports import ReportError
from model.times import rfc3339
from worker.queues import Outcome, TaskConflict, TaskNotFound
from worker.records import STATES, follow, shown
from worker.tasks import BadPayload, UnknownTask, spec, validate

# Errors a person can act on: printed as one line, exit status 2, no traceback.
CLEAR_ERRORS = (
    ConfigError,
    GraphUnavailable,
    ActionableError,
    UnknownTask,
    BadPayload,
    TaskNotFound,
    TaskConflict,
    ReportError,
    click.UsageError,
)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CLEAR_ERRORS as exc:
            fail(str(exc))
        except (redis.exceptions.ConnectionError, dramatiq.errors.BrokerConnectionError) as exc:
            fail(f"Redis is not reachable ({_redis_where()}): {exc}")
        except (ServiceUnavailable, AuthError) as exc:
            fail(f"Neo4j is not reachable: {exc}")


def fail(message: str) -> NoReturn:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(2)


def _redis_where() -> str:
    try:
        return redisconn.describe(load_settings().redis)
    except ConfigError:
        return "?"


def _runtime(check_redis: bool = False) -> Runtime:
    rt = current()
    if check_redis:
        try:
            # A short retry: a person waits for this answer, or a supervisor restarts us.
            redisconn.connect(rt.settings.redis, retry_s=2).ping()
        except redis.exceptions.ConnectionError as exc:
            fail(f"Redis at {redisconn.describe(rt.settings.redis)} is not reachable: {exc}")
    return rt


@click.group(cls=Group)
def main() -> None:
    """Inventory: AWS and vSphere inventory as a graph in Neo4j."""


# --- db --------------------------------------------------------------------------------


@main.group(cls=Group)
def db() -> None:
    """The graph database."""


@db.command()
def migrate() -> None:
    """Create the uid constraints and indexes, and convert times older versions stored in
    another form to datetimes in UTC (idempotent)."""
    from graph import schema
    from graph.driver import connect

    rt = _runtime()
    neo4j = rt.settings.neo4j
    driver = connect(neo4j)
    try:
        done = schema.migrate(driver, rt.catalog, neo4j.database, neo4j.batch_size)
    except schema.MigrationError as exc:
        fail(str(exc))
    finally:
        driver.close()
    changed = {name: n for name, n in done.converted.items() if n}
    click.echo(f"schema up to date: {len(done.statements)} constraints and indexes")
    click.echo(
        "times converted to UTC: "
        + (", ".join(f"{n} {name}" for name, n in changed.items()) if changed else "none needed")
    )


# --- processes -------------------------------------------------------------------------

METRICS_HELP = "Serve Prometheus metrics on 127.0.0.1:PORT (0: not at all; default from config)."


@main.command()
@click.option("--queues", "-Q", multiple=True, type=click.Choice(sorted(QUEUES.values())))
@click.option(
    "--pool",
    type=click.Choice(list(QUEUES)),
    default=None,
    help="The pool of a priority: its queue and the ones above it (high: high only).",
)
@click.option("--processes", "-p", type=click.IntRange(1, 64), default=None)
@click.option("--threads", "-t", type=click.IntRange(1, 256), default=None)
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None, help=METRICS_HELP)
def worker(
    queues: tuple[str, ...],
    pool: str | None,
    processes: int | None,
    threads: int | None,
    metrics_port: int | None,
) -> None:
    """Run a Dramatiq worker pool (all queues unless --queues or --pool is given)."""
    if pool and queues:
        fail("give --pool or --queues, not both")
    queues = tuple(pool_queues(pool)) if pool else queues
    from worker import pool_metrics

    rt = _runtime(check_redis=True)
    t = rt.settings.tasks
    processes = processes or t.worker_processes
    argv = [
        sys.executable, "-m", "dramatiq", "worker.main",
        "--processes", str(processes),
        "--threads", str(threads or t.worker_threads),
    ]  # fmt: skip
    # Dramatiq takes the idle poll interval only from this (lower-case) variable.
    os.environ["dramatiq_worker_timeout"] = str(t.idle_poll_ms)  # noqa: SIM112
    port = t.metrics_port if metrics_port is None else metrics_port
    if port:
        # Read by the worker processes and by worker.pool_metrics.serve, which dramatiq forks.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(pool_metrics.pool_dir())
        os.environ["INVENTORY_TASKS__METRICS_PORT"] = str(port)
        # How many worker processes its liveness (/healthz) expects alive.
        os.environ["INVENTORY_TASKS__WORKER_PROCESSES"] = str(processes)
        argv += ["--fork-function", "worker.pool_metrics:serve"]
    argv += ["--queues", *(queues or QUEUES.values())]
    # glibc gives threads malloc arenas of their own (up to 8 per core); two hold less
    # (bench/collect_scale.py: peak RSS 310 -> 300 MB per worker process).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    os.execv(sys.executable, argv)


@main.command()
@click.option("--host", default=None, help="Listen address (default from config).")
@click.option("--port", type=int, default=None, help="Port (default from config).")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Processes (default from config)."
)
def api(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve REST, GraphQL and the dashboard."""
    import uvicorn

    from app import logs

    settings = load_settings()
    logs.setup(settings)  # JSON lines with the request id, secrets masked, uvicorn's too
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        workers=workers or settings.api.workers,
    )


@main.command()
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None, help=METRICS_HELP)
def scheduler(metrics_port: int | None) -> None:
    """Run a scheduler; several may run, exactly one enqueues each firing."""
    from app import logs
    from worker.scheduler import Scheduler, serve_metrics

    rt = _runtime(check_redis=True)  # the settings' schedules are checked as they load
    logs.setup(rt.settings)
    _ = rt.broker  # declares the actors before the first firing
    config = rt.settings.scheduler
    port = config.metrics_port if metrics_port is None else metrics_port
    scheduler = Scheduler(rt)
    if port:
        serve_metrics(config.metrics_host, port, scheduler.health)
    scheduler.run()


@main.group(cls=Group)
def schedule() -> None:
    """The configured schedules."""


@schedule.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def schedule_list(as_json: bool) -> None:
    """Each schedule with its trigger and next run (UTC)."""
    from worker.scheduler import describe

    rows = describe(load_settings().schedules)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no schedules configured (see `schedules:` in inventory.example.yaml)")
    for r in rows:
        when = r["cron"] or f"every {r['interval_s']}s"
        click.echo(
            f"{r['name']:<20} {r['task']:<24} {when:<16} next {r['next_run']}  "
            f"priority {r['priority'] or 'default'}  payload {json.dumps(r['payload'])}"
        )


# --- tasks -----------------------------------------------------------------------------


@main.command()
@click.argument("task")
@click.option("--payload", default="{}", help="The task's payload, a JSON object.")
@click.option("--priority", type=click.Choice(list(QUEUES)), default=None)
@click.option("--wait", is_flag=True, help="Wait for the task and every task it fans out to.")
@click.option("--timeout", type=float, default=3600, help="Seconds to wait at most.")
def collect(task: str, payload: str, priority: str | None, wait: bool, timeout: float) -> None:
    """Enqueue TASK (e.g. aws:collect-all)."""
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        fail(f"--payload is not valid JSON: {exc}")
    rt = _runtime()
    # An unknown name or a bad payload (null included) is told before anything is reached.
    validate(spec(task), body, rt.settings)
    _runtime(check_redis=True)
    task_id = rt.enqueue(task, body, priority)
    click.echo(f"enqueued {task} as {task_id}")
    if wait:
        ok = follow(rt.records, task_id, timeout, click.echo)
        sys.exit(0 if ok else 1)


@main.group(cls=Group)
def task() -> None:
    """Inspect, cancel, delete and retry tasks."""


@task.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
def task_list(state: str | None, limit: int) -> None:
    """Recent tasks, newest first."""
    rt = _runtime(check_redis=True)
    for r in rt.records.find(limit, state=state):
        when = rfc3339(r["created_at"])
        payload = json.dumps(r["payload"])
        click.echo(f"{r['id']}  {when}  {r['state']:<9}  {r['queue']:<17}  {r['task']}  {payload}")


@task.command("show")
@click.argument("task_id")
def task_show(task_id: str) -> None:
    """One task record as JSON, times in RFC 3339."""
    record = _runtime(check_redis=True).records.get(task_id)
    if record is None:
        fail(f"no task {task_id} (records are kept for the configured retention)")
    click.echo(json.dumps(shown(record), indent=2, default=str))


def _say(outcome: Outcome) -> None:
    click.echo(f"{outcome.id}: {outcome.state}: {outcome.detail}")


@task.command("cancel")
@click.argument("task_id")
def task_cancel(task_id: str) -> None:
    """Stop a task: a waiting one never runs, a running one is interrupted."""
    _say(_runtime(check_redis=True).queues.cancel(task_id))


@task.command("delete")
@click.argument("task_id")
def task_delete(task_id: str) -> None:
    """Remove a pending, delayed or dead (failed) message; its record stays as deleted."""
    _say(_runtime(check_redis=True).queues.delete(task_id))


@task.command("retry")
@click.argument("task_id")
def task_retry(task_id: str) -> None:
    """Put a failed task's dead message back on its queue, with its retries reset."""
    _say(_runtime(check_redis=True).queues.retry(task_id))


@task.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def task_stats(as_json: bool) -> None:
    """Tasks per state and queue: waiting, held and dead ones as the broker has them."""
    stats = _runtime(check_redis=True).queues.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    rows = {**stats["queues"], "all": stats["states"]}
    click.echo(f"{'queue':<18}" + "".join(f"{s:>10}" for s in STATES))
    for name, counts in rows.items():
        click.echo(f"{name:<18}" + "".join(f"{counts[s]:>10}" for s in STATES))


# --- reports ---------------------------------------------------------------------------


@main.group(cls=Group)
def report() -> None:
    """Named reports over the graph: leaks, orphans, risks, stale data, failing scopes."""


@report.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def report_list(as_json: bool) -> None:
    """Every report with its parameters (types, bounds, defaults)."""
    from graph import reports

    found = [r.describe() for r in reports.catalog().values()]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for r in found:
        params = ", ".join(f"{p['name']}: {p['type']} = {p['default']}" for p in r["parameters"])
        click.echo(f"{r['name']:<30} {r['title']}" + (f"  [{params}]" if params else ""))


@report.command("run")
@click.argument("name")
@click.option("--param", "params", multiple=True, help="A parameter, as name=value (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many rows.")
def report_run(name: str, params: tuple[str, ...], fmt: str, limit: int | None) -> None:
    """Run report NAME and print its rows."""
    from graph import reports
    from graph.driver import connect

    found = reports.get(name)
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--param {item!r}: give it as name=value")
        given[key] = value
    settings = load_settings()
    args = found.arguments(given, settings.report_defaults())
    driver = connect(settings.neo4j)
    rows: list[dict[str, Any]] = []
    after: str | None = ""
    try:
        while after is not None and (limit is None or len(rows) < limit):
            size = 1000 if limit is None else min(1000, limit - len(rows))
            page, after = reports.page(driver, settings.neo4j.database, found, args, after, size)
            rows += page
    finally:
        driver.close()
    _print_rows(found.columns, rows, fmt)


def _print_rows(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        text = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
        widths = [max([len(c), *(len(t[i]) for t in text)]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for t in text:
            click.echo("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


# --- dev stack -------------------------------------------------------------------------


@main.group(cls=Group)
def dev() -> None:
    """The local stack: Neo4j, Redis, moto, workers and the API on this machine."""


def _dev() -> ModuleType:
    """The dev tooling, which production installs (the image) leave out."""
    try:
        from dev import up
    except ImportError:
        fail("the dev tooling is not installed here; run `make run` in a checkout instead")
    return up


@dev.command("up")
@click.option("--detach", is_flag=True, help="Leave the stack running (supervised) and return.")
@click.option(
    "--with-prometheus",
    is_flag=True,
    help="Also run Prometheus (Debian's), scraping the stack with the alert rules loaded.",
)
def dev_up(detach: bool, with_prometheus: bool) -> None:
    """Start everything, run a first collection and print where to look; then restart
    what exits or stops answering, until Ctrl-C (or `dev down`)."""
    _dev().up(detach, click.echo, with_prometheus)


@dev.command("down")
def dev_down() -> None:
    """Stop a stack started with --detach."""
    _dev().down(click.echo)


@dev.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def dev_status(as_json: bool) -> None:
    """URLs, credentials and process states of the local stack: which process is down
    or restarting, if any."""
    devstack = _dev()
    status = devstack.status()
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    devstack.print_status(status, click.echo)


if __name__ == "__main__":
    main()
