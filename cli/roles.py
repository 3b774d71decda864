"""The service's roles (api, worker, scheduler), the database's migration and the
schedules: `inventory api|worker|scheduler`, `inventory db migrate`, `inventory schedule`."""

from __future__ import annotations

import json
import os
import sys

import click

from app.config import QUEUES, load_settings, pool_queues
from cli.common import Group, fail, runtime


@click.group(cls=Group)
def db() -> None:
    """The graph database."""


@db.command()
def migrate() -> None:
    """Create the uid constraints and indexes, and convert times older versions stored in
    another form to datetimes in UTC (idempotent)."""
    from graph import schema
    from graph.driver import connect

    rt = runtime()
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


METRICS_HELP = "Serve Prometheus metrics on 127.0.0.1:PORT (0: not at all; default from config)."


@click.command()
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

    rt = runtime(check_redis=True)
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


@click.command()
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


@click.command()
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None, help=METRICS_HELP)
def scheduler(metrics_port: int | None) -> None:
    """Run a scheduler; several may run, exactly one enqueues each firing."""
    from app import logs
    from worker.scheduler import Scheduler, serve_metrics

    rt = runtime(check_redis=True)  # the settings' schedules are checked as they load
    logs.setup(rt.settings)
    _ = rt.broker  # declares the actors before the first firing
    config = rt.settings.scheduler
    port = config.metrics_port if metrics_port is None else metrics_port
    scheduler = Scheduler(rt)
    if port:
        serve_metrics(config.metrics_host, port, scheduler.health)
    scheduler.run()


@click.group(cls=Group)
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
