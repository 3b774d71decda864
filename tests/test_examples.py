"""Every example in README.md and docs/*.md runs against the demo estate and answers with
the data it promises: each `curl` (as written, by bash, with the suite's API and a read
token as $TOKEN), each Cypher query meant for the Browser (with its `:param` values), and
each `inventory report` command.

The examples are read from the Markdown when the tests are collected, so the tests follow
the docs as they change.  What counts as an example:

- in a fenced shell block, a command (continuation lines joined) starting with `curl` or
  `inventory report`; an inline `inventory report ...` too, unless it is a template
  (`NAME`, `[...]`, `<...>`);
- a fenced `cypher` block: its `:param` lines, then its statements (a new one starts at a
  line beginning with MATCH once the previous one has returned); an inline `MATCH ...
  RETURN ...`;
- a fenced `graphql` block, posted to /graphql.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from dev.stack import Stack
from graph import reports
from tests.helpers import cli, collect
from worker.runtime import Runtime

ROOT = Path(__file__).parents[1]
DOC_API = re.compile(r"https?://(127\.0\.0\.1|localhost):8000")
FENCE = re.compile(r"^\s*```\s*(\w*)\s*$")
SPAN = re.compile(r"`([^`]+)`")
TEMPLATE = re.compile(r"\[|<|\bNAME\b|\.\.\.|…")
# A look back in an example (`?at=10s`, `at: \"10s\"`): the graph must be that old first.
LOOK_BACK = re.compile(r"\bat(?:=|: \\?\")(\d+)([sm])\b")

# Reports with no rows on the demo estate, and why; every other report's Browser query in
# docs/reports.md must find rows there.
EMPTY_ON_THE_DEMO = {
    "empty-vpcs": "every non-default VPC of the demo holds instances",
    "failing-collections": "the demo's collections succeed",
    "old-snapshots": "moto cannot backdate a snapshot: the demo's are younger than 90 days",
    "recently-deleted": "collected once here, nothing is gone (make run then deletes a volume)",
    "stale-nodes": "everything was seen by the collection just made",
    "stopped-instances": "the demo stops no instance",
    "unhealthy-hosts": "vcsim's hosts are connected",
    "unused-images": "the demo's images are younger than min_age_days (30)",
    "vms-on-hosts-in-maintenance": "no demo host is in maintenance",
    "vms-without-network": "every simulated VM has a network",
}


@dataclass(frozen=True)
class Example:
    kind: str  # "curl", "cypher", "graphql" or "cli"
    text: str
    where: str  # file:line
    heading: str  # the Markdown section it is under
    params: dict[str, Any] = field(default_factory=dict)  # a Cypher block's :param values

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


def _commands(lines: list[str]) -> Iterator[tuple[int, str]]:
    """A shell block's commands with their line offsets, continuation lines joined."""
    start, parts = 0, []
    for offset, line in enumerate(lines):
        if not parts:
            start = offset
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(p.strip() for p in parts)
        parts = []


def _param(value: str) -> Any:
    """A `:param name => value` value as the Browser reads it (Cypher literals)."""
    return "" if value == "''" else json.loads(value.replace("'", '"'))


def _statements(lines: list[str]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    params: dict[str, Any] = {}
    start, current = 0, []
    for offset, line in enumerate(lines):
        if line.startswith(":param "):
            name, _, value = line.removeprefix(":param ").partition(" => ")
            params[name.strip()] = _param(value.strip())
            continue
        if not line.strip() or line.startswith("//"):
            continue
        returned = any(ln.startswith("RETURN") or " RETURN " in ln for ln in current)
        if line.startswith("MATCH") and returned:
            yield start, "\n".join(current), params
            current = []
        if not current:
            start = offset
        current.append(line)
    if current:
        yield start, "\n".join(current), params


def _block(path: str, first: int, lang: str, lines: list[str], heading: str) -> list[Example]:
    out = []
    if lang in ("sh", "bash", "shell", "console", ""):
        for offset, command in _commands(lines):
            where = f"{path}:{first + offset}"
            if command.startswith("curl "):
                out.append(Example("curl", command, where, heading))
            elif re.match(r"(\S*/)?inventory report ", command):
                out.append(Example("cli", command, where, heading))
    elif lang == "cypher":
        for offset, statement, params in _statements(lines):
            out.append(Example("cypher", statement, f"{path}:{first + offset}", heading, params))
    elif lang == "graphql":
        out.append(Example("graphql", "\n".join(lines), f"{path}:{first}", heading))
    return out


def _spans(path: str, first: int, paragraph: list[str], heading: str) -> list[Example]:
    out = []
    text, starts = "", []  # the paragraph on one line, and where each of its lines starts
    for line in paragraph:
        starts.append(len(text))
        text += line.strip() + " "
    for span in SPAN.finditer(text):
        code = span.group(1)
        where = f"{path}:{first + sum(1 for s in starts if s <= span.start()) - 1}"
        if code.startswith("MATCH ") and " RETURN " in code:
            out.append(Example("cypher", code, where, heading))
        elif code.startswith("inventory report ") and not TEMPLATE.search(code):
            out.append(Example("cli", code, where, heading))
    return out


def examples() -> list[Example]:
    out: list[Example] = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        path = str(doc.relative_to(ROOT))
        heading = ""
        fence: tuple[str, int, list[str]] | None = None
        paragraph: list[str] = []
        paragraph_at = 0
        for number, line in enumerate([*doc.read_text().splitlines(), ""], 1):
            opened = FENCE.match(line)
            if fence is not None:
                if opened and not opened.group(1):
                    out += _block(path, fence[1], fence[0], fence[2], heading)
                    fence = None
                else:
                    fence[2].append(line)
                continue
            if opened or not line.strip() or line.startswith("#"):
                out += _spans(path, paragraph_at, paragraph, heading)
                paragraph = []
                if opened:
                    fence = (opened.group(1), number + 1, [])
                elif line.startswith("#"):
                    heading = line.lstrip("#").strip()
                continue
            if not paragraph:
                paragraph_at = number
            paragraph.append(line)
    return out


EXAMPLES = examples()


def _of(kind: str) -> list[Example]:
    return [e for e in EXAMPLES if e.kind == kind]


def _ids(found: list[Example]) -> list[str]:
    return [e.where for e in found]


def test_the_docs_hold_examples_of_every_kind() -> None:
    """The reading above finds them (a change of the Markdown's form would lose them)."""
    curls = [e.text for e in _of("curl")]
    assert len(curls) >= 6, curls
    assert any("vsphereClusters" in c for c in curls) and any("awsVpcs" in c for c in curls)
    assert any("/reports/" in c for c in curls)
    named = {e.heading for e in _of("cypher")}
    assert set(reports.catalog()) <= named  # docs/reports.md: a Browser query per report
    assert sum(e.where.startswith("README.md") for e in _of("cypher")) >= 4
    assert {e.text.split()[2] for e in _of("cli")} >= {"list", "run"}


@pytest.fixture(scope="module")
def demo(
    stack: Stack, collected: Runtime, vcenters: dict, config_path: Path
) -> Iterator[dict[str, str]]:
    """The demo estate collected (AWS by ``collected``, the demo vCenter here) and an API
    process started on it: its URL, a read token and when the collections had ended."""
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-a"})
    assert code == 0, out
    collected_at = time.monotonic()
    if "api" in stack.procs:  # started on another module's graph: a fresh one for this one
        stack.stop("api")
    stack.start(stack.api())
    try:
        yield {
            "url": f"http://127.0.0.1:{stack.ports.api}",
            "token": stack.secrets.read_token,
            "collected_at": collected_at,
        }
    finally:
        stack.stop("api")


def _lists_without_data(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The paths of an answer at which every list is empty (lists at one path across the
    rows above count together: some host has VMs, not every one)."""
    seen: dict[tuple[str, ...], bool] = {}

    def walk(v: Any, at: tuple[str, ...]) -> None:
        if isinstance(v, list):
            seen[at] = seen.get(at, False) or bool(v)
            for item in v:
                walk(item, at)
        elif isinstance(v, dict):
            for key, item in v.items():
                walk(item, (*at, key))

    walk(value, path)
    return {p for p, filled in seen.items() if not filled}


def _assert_graphql_data(example: Example, body: dict[str, Any]) -> None:
    assert body.get("errors") is None, f"{example}\n{body['errors']}"
    data = body["data"]
    assert data and all(v is not None for v in data.values()), f"{example}\n{data}"
    empty = _lists_without_data(data)
    assert not empty, f"{example}\nno data at {sorted(empty)}"


API = [e for e in EXAMPLES if e.kind in ("curl", "graphql")]


@pytest.mark.parametrize("example", API, ids=_ids(API))
def test_an_api_example_answers_with_data(demo: dict[str, Any], example: Example) -> None:
    # An example asking for the graph as it was n seconds ago finds nothing on a graph
    # younger than that (on a fast run `?at=10s` came 8 s after the collection: a 404).
    for n, unit in LOOK_BACK.findall(example.text):
        back = int(n) * (60 if unit == "m" else 1)
        assert back <= 60, f"{example}: look back a minute at most, for this test to wait"
        time.sleep(max(0.0, demo["collected_at"] + back + 1 - time.monotonic()))
    if example.kind == "graphql":  # a query on its own, posted as GraphiQL would
        reply = httpx.post(
            f"{demo['url']}/graphql",
            json={"query": example.text},
            headers={"Authorization": f"Bearer {demo['token']}"},
            timeout=120,
        )
        assert reply.status_code == 200, f"{example}\n{reply.text}"
        _assert_graphql_data(example, reply.json())
        return
    command = DOC_API.sub(demo["url"], example.text)
    run = subprocess.run(
        ["bash", "-c", command + " --no-progress-meter --write-out '\\n%{http_code}'"],
        env={**os.environ, "TOKEN": demo["token"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    body, _, status = run.stdout.rpartition("\n")
    assert run.returncode == 0 and status == "200", f"{example}\n{run.stdout}{run.stderr}"
    answer = json.loads(body)
    if "/graphql" in command:
        _assert_graphql_data(example, answer)
    elif isinstance(answer, dict) and "items" in answer:
        assert answer["items"], f"{example}\n{answer}"
    else:
        assert answer, f"{example}\n{answer}"


@pytest.mark.parametrize("example", _of("cypher"), ids=_ids(_of("cypher")))
def test_a_cypher_example_finds_rows(
    demo: dict[str, str], collected: Runtime, example: Example
) -> None:
    records, _, _ = collected.driver.execute_query(
        example.text, example.params, routing_="r", database_=collected.settings.neo4j.database
    )
    if example.heading not in reports.catalog():
        assert records, f"{example}\nno rows on the demo estate"
        return
    # A report's Browser query finds what the API serves for the same parameters.
    report = reports.get(example.heading)
    params = {k: str(v) for k, v in example.params.items() if k not in ("after", "limit")}
    served = httpx.get(
        f"{demo['url']}/api/v1/reports/{report.name}",
        params={**params, "limit": example.params.get("limit", 100)},
        headers={"Authorization": f"Bearer {demo['token']}"},
        timeout=120,
    )
    assert served.status_code == 200, served.text
    served_keys = [row[report.key] for row in served.json()["items"]]
    assert [r[report.key] for r in records] == served_keys, example
    if report.name in EMPTY_ON_THE_DEMO:
        return
    assert records, f"{example}\nno rows on the demo estate"


@pytest.mark.parametrize("example", _of("cli"), ids=_ids(_of("cli")))
def test_a_report_command_runs_with_data(
    demo: dict[str, str], config_path: Path, example: Example
) -> None:
    args = shlex.split(example.text, comments=True)[1:]
    result = cli(*args, config=config_path)
    assert result.returncode == 0 and result.stdout.strip(), f"{example}\n{result.stderr}"
    if args[:2] == ["report", "run"]:  # its rows, as JSON
        as_json = cli(*args, "--format", "json", config=config_path)
        assert as_json.returncode == 0, f"{example}\n{as_json.stderr}"
        assert json.loads(as_json.stdout), f"{example}\nno rows on the demo estate"
