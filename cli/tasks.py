"""Enqueue tasks and look after them: `inventory collect`, `inventory task ...`."""

from __future__ import annotations

import json
import sys

import click

from app.config import QUEUES
from app.tasks import spec, validate
from cli.common import Group, fail, runtime
from model.times import rfc3339
from worker.queues import Outcome
from worker.records import STATES, follow, shown


@click.command()
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
    rt = runtime()
    # An unknown name or a bad payload (null included) is told before anything is reached.
    validate(spec(task), body, rt.settings)
    runtime(check_redis=True)
    task_id = rt.enqueue(task, body, priority)
    click.echo(f"enqueued {task} as {task_id}")
    if wait:
        ok = follow(rt.records, task_id, timeout, click.echo)
        sys.exit(0 if ok else 1)


@click.group(cls=Group)
def task() -> None:
    """Inspect, cancel, delete and retry tasks."""


@task.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
def task_list(state: str | None, limit: int) -> None:
    """Recent tasks, newest first."""
    rt = runtime(check_redis=True)
    for r in rt.records.find(limit, state=state):
        when = rfc3339(r["created_at"])
        payload = json.dumps(r["payload"])
        click.echo(f"{r['id']}  {when}  {r['state']:<9}  {r['queue']:<17}  {r['task']}  {payload}")


@task.command("show")
@click.argument("task_id")
def task_show(task_id: str) -> None:
    """One task record as JSON, times in RFC 3339."""
    record = runtime(check_redis=True).records.get(task_id)
    if record is None:
        fail(f"no task {task_id} (records are kept for the configured retention)")
    click.echo(json.dumps(shown(record), indent=2, default=str))


def _say(outcome: Outcome) -> None:
    click.echo(f"{outcome.id}: {outcome.state}: {outcome.detail}")


@task.command("cancel")
@click.argument("task_id")
def task_cancel(task_id: str) -> None:
    """Stop a task: a waiting one never runs, a running one is interrupted."""
    _say(runtime(check_redis=True).queues.cancel(task_id))


@task.command("delete")
@click.argument("task_id")
def task_delete(task_id: str) -> None:
    """Remove a pending, delayed or dead (failed) message; its record stays as deleted."""
    _say(runtime(check_redis=True).queues.delete(task_id))


@task.command("retry")
@click.argument("task_id")
def task_retry(task_id: str) -> None:
    """Put a failed task's dead message back on its queue, with its retries reset."""
    _say(runtime(check_redis=True).queues.retry(task_id))


@task.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def task_stats(as_json: bool) -> None:
    """Tasks per state and queue: waiting, held and dead ones as the broker has them."""
    stats = runtime(check_redis=True).queues.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    rows = {**stats["queues"], "all": stats["states"]}
    click.echo(f"{'queue':<18}" + "".join(f"{s:>10}" for s in STATES))
    for name, counts in rows.items():
        click.echo(f"{name:<18}" + "".join(f"{counts[s]:>10}" for s in STATES))
