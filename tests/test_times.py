"""Every time the service shows is RFC 3339 in UTC with milliseconds and ``Z``: the same
form from REST, GraphQL, the CLI, reports, task records and schedules, read alike by
Python's ``datetime.fromisoformat`` and JavaScript's ``Date``.  The graph keeps times as
datetimes in UTC, and ``db migrate`` converts what older versions stored."""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from api.kinds import relationships
from app.config import ScheduleConfig, Settings
from collectors import CATALOG
from dev.stack import Stack
from graph import reports, schema, status
from model import Kind
from model.times import PATTERN
from tests.conftest import wipe
from tests.helpers import cli, collect, config_with
from worker.runtime import Runtime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Keys that hold times, snake_case or camelCase (GraphQL); and text that looks like a time,
# wherever it is (report columns such as `launched`).
TIME_KEY = re.compile(r"(_at|_time|_seen|_date|^last_success|^last_failure|^next_run|^created)$")
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
PROVIDER_TIMES = {"launch_time", "creation_date", "create_time", "created_time"}
SCHEDULES = [
    {"name": "often", "task": "aws:collect-vpcs", "interval_s": 600},
    {"name": "nightly", "task": "aux:housekeeper", "cron": "30 3 * * *"},
]
# Report parameters that let the demo's recent nodes in.
REPORT_PARAMS = {
    "unused-images": {"min_age_days": "0"},
    "unattached-volumes": {"min_age_days": "0"},
    "failing-collections": {"min_hours": "0"},
    "stale-nodes": {"retention_days": "1"},
}


def snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def time_fields(kind: Kind) -> list[str]:
    return [f.name for f in kind.all_fields if f.type is datetime]


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(w.capitalize() for w in rest)


class Times:
    """The times found in answers, by where they came from."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = defaultdict(list)

    def take(self, source: str, answer: Any) -> Any:
        """Every value under a time key (which must be text or null) and every text that
        looks like a time, anywhere in ``answer``; ``answer`` back."""
        self._find(source, answer)
        return answer

    def _find(self, source: str, answer: Any) -> None:
        if isinstance(answer, dict):
            for key, value in answer.items():
                if key in ("column_types", "changes"):
                    # A report's columns' type names, a task result's count of each change.
                    continue
                if TIME_KEY.search(snake(key)) and value is not None:
                    assert isinstance(value, str), f"{source}: {key} is {value!r}, not text"
                    self.found[source].append(value)
                elif isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
                    self.found[source].append(value)
                else:
                    self._find(source, value)
        elif isinstance(answer, list):
            for value in answer:
                if isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
                    self.found[source].append(value)
                else:
                    self._find(source, value)

    def all(self) -> list[str]:
        return sorted({t for found in self.found.values() for t in found})


@pytest.fixture(scope="module")
def graph(collected: Runtime, vcenters: dict, config_path: Path) -> Iterator[Runtime]:
    """The AWS demo collected, one vCenter too, and what the reports with times need: a
    stale node and a failing collection (written as a collection writes it)."""
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-a"})
    assert code == 0, out
    rt = collected
    database = rt.settings.neo4j.database
    rt.driver.execute_query(
        "CREATE (:AWSVPC {uid: 'vpc-times-stale', account_id: '1', region: 'r', "
        "first_seen: datetime() - duration({days: 40}), "
        "last_seen: datetime() - duration({days: 30})})"
    )
    vms = CATALOG.by_label["VSphereVM"]
    status.failed(rt.driver, database, vms, {"vcenter": "vc-times"}, "planted", None)
    code, out = collect(config_path, "aux:reports")  # the reports' rows_counted_at
    assert code == 0, out
    yield rt
    rt.driver.execute_query(
        "MATCH (n) WHERE n.uid IN ['vpc-times-stale', $collection] DETACH DELETE n",
        collection=status.uid(vms, {"vcenter": "vc-times"}),
    )


@pytest.fixture(scope="module")
def client(graph: Runtime, settings: Settings) -> Iterator[TestClient]:
    schedules = [ScheduleConfig(**s) for s in SCHEDULES]
    with TestClient(create_app(settings.model_copy(update={"schedules": schedules}))) as c:
        yield c


@pytest.fixture(scope="module")
def read(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.secrets.read_token}"}


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    reply = client.get(path, headers=headers, params=params)
    assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text[:500]}"
    return reply.json()


def graphql(
    client: TestClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    reply = client.post("/graphql", headers=headers, json={"query": query, "variables": variables})
    body = reply.json()
    assert reply.status_code == 200 and not body.get("errors"), f"{query}: {reply.text[:800]}"
    return body["data"]


def relationship_route(openapi: dict[str, Any], kind: Kind) -> str | None:
    """A relationship route of the kind, as the OpenAPI document has it (whatever the
    style of its path)."""
    prefix = kind.path + "/{uid}/"
    return next((path for path in sorted(openapi["paths"]) if path.startswith(prefix)), None)


def test_every_time_the_graph_holds_after_a_collection_is_a_utc_datetime(
    graph: Runtime,
) -> None:
    # The writer, the link tasks and the collections' nodes store the one form, so that a
    # migration finds nothing to convert (the migration's own test shows it would).
    database = graph.settings.neo4j.database
    converted = schema.convert_times(graph.driver, CATALOG, database)
    assert set(converted.values()) == {0}, converted
    records, _, _ = graph.driver.execute_query(
        "MATCH (n:AWSInstance) RETURN count(*) AS all, count(CASE WHEN "
        "n.launch_time IS :: ZONED DATETIME AND n.launch_time.timezone = 'Z' "
        "AND n.last_seen.timezone = 'Z' THEN 1 END) AS utc"
    )
    assert records[0]["all"] == records[0]["utc"] > 0


class Shown(Times):
    """Every answer the service gave, by where it came from (the times found in each, as
    ``Times``), and the CLI's runs by command."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, Any] = {}
        self.cli: dict[str, subprocess.CompletedProcess[str]] = {}

    def take(self, source: str, answer: Any) -> Any:
        self.answers[source] = answer
        return super().take(source, answer)

    def run(self, source: str, *args: str, config: Path) -> None:
        """``inventory ARGS``; what it prints (JSON) taken, if it succeeded."""
        self.cli[source] = ran = cli(*args, config=config)
        if ran.returncode == 0:
            self.take(source, json.loads(ran.stdout))


@pytest.fixture(scope="module")
def shown(
    client: TestClient,
    read: dict[str, str],
    config_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Shown:
    """What REST, GraphQL and the CLI show of the kinds, reports, task records and
    schedules."""
    shown = Shown()
    show_kinds_on_rest(shown, client, read)
    show_kinds_on_graphql(shown, client, read)
    show_reports(shown, client, read, config_path)
    show_task_records(shown, client, read, config_path)
    shown.take("rest schedules", get(client, "/api/v1/schedules", read))
    config = config_with(
        config_path, tmp_path_factory.mktemp("times") / "c.yaml", schedules=SCHEDULES
    )
    shown.run("cli schedules", "schedule", "list", "--json", config=config)
    return shown


def show_kinds_on_rest(shown: Shown, client: TestClient, read: dict[str, str]) -> None:
    """Every kind's first page, one item, and one page of a relationship."""
    openapi = get(client, "/openapi.json", read)
    for kind in CATALOG.kinds:
        page = shown.take(f"rest list {kind.label}", get(client, kind.path, read, limit=20))
        if not page["items"]:
            continue  # the test says so
        uid = page["items"][0]["uid"]
        shown.take(f"rest item {kind.label}", get(client, f"{kind.path}/{uid}", read))
        route = relationship_route(openapi, kind)
        if route:
            related = get(client, route.replace("{uid}", uid), read, limit=5)
            shown.take(f"rest related {kind.label}", related)


def show_kinds_on_graphql(shown: Shown, client: TestClient, read: dict[str, str]) -> None:
    """Every kind's type, a list (with a relation's nodes) and the item REST showed."""
    for kind in CATALOG.kinds:
        names = ["uid", *(camel(n) for n in time_fields(kind))]
        typed = graphql(
            client,
            read,
            f'{{ __type(name: "{kind.label}") {{ fields {{ name type {{ name }} }} }} }}',
        )
        shown.answers[f"graphql type {kind.label}"] = typed
        fields = " ".join(names)
        rel = next(iter(relationships(CATALOG, kind)), None)
        nested = f"{camel(rel)} {{ {' '.join(['uid', 'firstSeen', 'lastSeen'])} }}" if rel else ""
        listed = graphql(
            client, read, f"{{ {kind.graphql_list}(limit: 5) {{ {fields} {nested} }} }}"
        )
        shown.take(f"graphql list {kind.label}", listed)
        rest = shown.answers.get(f"rest item {kind.label}")
        if rest:
            uid = rest["item"]["uid"]
            item = graphql(client, read, f'{{ {kind.graphql_item}(uid: "{uid}") {{ {fields} }} }}')
            shown.take(f"graphql item {kind.label}", item)


def show_reports(shown: Shown, client: TestClient, read: dict[str, str], config: Path) -> None:
    """The lists of reports on REST and GraphQL, a page of each (GraphQL's rows are JSON),
    and the CLI's run of stale-nodes."""
    shown.take("rest reports", get(client, "/api/v1/reports", read))
    counted = graphql(client, read, "{ reports { name rowsCountedAt } }")
    shown.take("graphql reports", counted["reports"])
    for name in reports.catalog():
        params = REPORT_PARAMS.get(name, {})
        shown.take(f"rest report {name}", get(client, f"/api/v1/reports/{name}", read, **params))
        query = "query($name: String!, $p: JSON) { report(name: $name, params: $p) { rows } }"
        page = graphql(client, read, query, name=name, p=params)
        shown.take(f"graphql report {name}", page)
    params = [p for k, v in REPORT_PARAMS["stale-nodes"].items() for p in ("--param", f"{k}={v}")]
    args = ["report", "run", "stale-nodes", *params, "--format", "json"]
    shown.run("cli report", *args, config=config)


def show_task_records(shown: Shown, client: TestClient, read: dict[str, str], config: Path) -> None:
    """GraphQL's and REST's lists of task records, one finished record, and the CLI's
    `task show` of it."""
    query = "{ tasks(limit: 50) { id createdAt updatedAt startedAt finishedAt cancelRequestedAt } }"
    shown.take("graphql tasks", graphql(client, read, query)["tasks"])
    records = shown.take("rest tasks", get(client, "/api/v1/tasks", read, limit=50))["items"]
    done = next((r for r in records if r["finished_at"]), None)
    if done:
        shown.take("rest task", get(client, f"/api/v1/tasks/{done['id']}", read))
        shown.run("cli task show", "task", "show", done["id"], config=config)


def in_one_form(times: Times) -> None:
    """Every time found is RFC 3339 in UTC with milliseconds and ``Z``, and is read alike
    by Python's ``datetime.fromisoformat`` and JavaScript's ``Date`` (whose
    ``toISOString`` gives back the very text)."""
    every = times.all()
    wrong = [t for t in every if not PATTERN.fullmatch(t)]
    assert not wrong, f"not RFC 3339 UTC with milliseconds and Z: {wrong[:10]}"
    millis = {}
    for text in every:
        parsed = datetime.fromisoformat(text)
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0), text
        millis[text] = (parsed - EPOCH) // timedelta(milliseconds=1)
    js = subprocess.run(
        [
            "node",
            "-e",
            "const all = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
            "console.log(JSON.stringify(all.map(s => { const d = new Date(s);"
            " return isNaN(d.getTime()) ? null : [d.getTime(), d.toISOString()]; })));",
        ],
        input=json.dumps(every),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    read_by_js = dict(zip(every, json.loads(js.stdout), strict=True))
    invalid = [t for t, got in read_by_js.items() if got is None]
    assert not invalid, f"JavaScript's Date gives Invalid Date for {invalid[:10]}"
    for text, (ms, iso) in read_by_js.items():
        assert ms == millis[text], f"{text}: JavaScript {ms}, Python {millis[text]}"
        assert iso == text  # the form is exactly JavaScript's own toISOString()


def test_every_time_shown_is_rfc3339_utc_and_parses_in_python_and_javascript(
    shown: Shown,
) -> None:
    for kind in CATALOG.kinds:
        for answer in ("rest list", "rest item", "graphql list", "graphql item"):
            assert shown.found[f"{answer} {kind.label}"], f"{answer} {kind.label}: no time"
    every = shown.all()
    assert len(every) > 100, every
    answers = sum(len(found) for found in shown.found.values())
    print(f"{len(every)} distinct times, {answers} in all, from {len(shown.found)} answers")
    in_one_form(shown)


def test_rest_shows_every_time_field_of_every_kind(shown: Shown) -> None:
    filled: set[str] = set()  # the time fields some node has a value for
    for kind in CATALOG.kinds:
        page = shown.answers[f"rest list {kind.label}"]
        assert page["items"], f"the demo has no {kind.label}: the sample would prove nothing"
        for item in page["items"]:
            missing = set(time_fields(kind)) - set(item)
            assert not missing, f"{kind.label} answers lack {missing}"
            assert item["first_seen"] and item["last_seen"]
            filled |= {name for name in time_fields(kind) if item[name]}
    assert filled >= PROVIDER_TIMES  # provider times came through, text (images') included
    related = [kind for kind in CATALOG.kinds if f"rest related {kind.label}" in shown.answers]
    assert len(related) == len(CATALOG.kinds)


def test_graphql_types_every_time_as_datetime_and_shows_the_text_rest_shows(
    shown: Shown,
) -> None:
    for kind in CATALOG.kinds:
        names = [camel(n) for n in time_fields(kind)]
        typed = shown.answers[f"graphql type {kind.label}"]
        types = {f["name"]: f["type"]["name"] for f in typed["__type"]["fields"]}
        assert {n: types[n] for n in names} == dict.fromkeys(names, "DateTime")
        # The same node, the same text on both interfaces.
        item = shown.answers[f"graphql item {kind.label}"][kind.graphql_item]
        rest = shown.answers[f"rest item {kind.label}"]["item"]
        assert item["firstSeen"] == rest["first_seen"]
        assert item["lastSeen"] == rest["last_seen"]


def test_reports_show_times_alike_on_rest_graphql_and_the_cli(shown: Shown) -> None:
    assert all(r["rowsCountedAt"] for r in shown.answers["graphql reports"])
    assert all(r["rows_counted_at"] for r in shown.answers["rest reports"])
    for name in ("stale-nodes", "failing-collections", "unused-images"):
        assert shown.found[f"rest report {name}"], f"{name} showed no time"
        assert shown.found[f"graphql report {name}"] == shown.found[f"rest report {name}"]
    ran = shown.cli["cli report"]
    assert ran.returncode == 0, ran.stderr
    assert shown.found["cli report"] == shown.found["rest report stale-nodes"]


def test_task_records_show_times_alike_on_rest_and_the_cli(shown: Shown) -> None:
    records = shown.answers["rest tasks"]["items"]
    shown_at = {key for r in records for key in r if key.endswith("_at") and r[key]}
    assert shown_at >= {"created_at", "updated_at", "started_at", "finished_at"}
    show = shown.cli["cli task show"]
    assert show.returncode == 0, show.stderr
    assert shown.answers["cli task show"] == shown.answers["rest task"]


def test_schedules_show_times_alike_on_rest_and_the_cli(shown: Shown) -> None:
    listed_cli = shown.cli["cli schedules"]
    assert listed_cli.returncode == 0, listed_cli.stderr
    assert len(shown.found["rest schedules"]) == len(shown.found["cli schedules"]) == 2


OLD = """
CREATE (i1:AWSInstance {uid: 'i-old-1', account_id: 'a', region: 'r',
  first_seen: datetime('2026-12-06T04:26:25.763Z[UTC]'),
  last_seen: '2026-12-06T04:26:25.763Z[UTC]',
  launch_time: '2026-12-06T05:26:09+01:00'}),
(i2:AWSInstance {uid: 'i-old-2', account_id: 'a', region: 'r',
  first_seen: localdatetime('2026-12-06T04:00:00'),
  last_seen: datetime('2026-12-06T06:26:25.5+02:00'),
  launch_time: datetime('2026-12-06T03:59:00Z')}),
(i3:AWSInstance {uid: 'i-old-3', account_id: 'a', region: 'r',
  first_seen: '2026-12-06T04:26:25.763456+00:00', last_seen: datetime('2026-12-06T04:27:00Z'),
  launch_time: '2026-12-06T03:00:00Z'}),
(:AWSImage {uid: 'ami-old', region: 'r', creation_date: '2026-12-01T10:00:00.000Z',
  first_seen: datetime('2026-12-06T04:26:25+01:00[Europe/Paris]'), last_seen: datetime()}),
(:InventoryCollection {uid: 'c-old', last_success: datetime('2026-12-06T04:26:25.763Z[UTC]'),
  last_failure: '2026-12-06T04:20:00Z', last_success_seen_at: '2026-12-06T04:25:00Z[UTC]',
  first_seen: datetime('2026-12-01T00:00:00Z')}),
(s:AWSSubnet {uid: 'subnet-old', account_id: 'a', region: 'r',
  first_seen: datetime(), last_seen: datetime()}),
(s)-[:HAS_INSTANCE {first_seen: datetime('2026-12-06T04:26:25.763Z[UTC]'),
                    last_seen: '2026-12-06T04:26:25.763Z[UTC]'}]->(i1)
"""
# What each value means, as an instant.
EXPECTED = {
    ("AWSInstance", "i-old-1"): {
        "first_seen": "2026-12-06T04:26:25.763Z",
        "last_seen": "2026-12-06T04:26:25.763Z",
        "launch_time": "2026-12-06T04:26:09.000Z",
    },
    ("AWSInstance", "i-old-2"): {
        "first_seen": "2026-12-06T04:00:00.000Z",  # no zone: taken as UTC
        "last_seen": "2026-12-06T04:26:25.500Z",
        "launch_time": "2026-12-06T03:59:00.000Z",
    },
    ("AWSInstance", "i-old-3"): {
        "first_seen": "2026-12-06T04:26:25.763Z",
        "last_seen": "2026-12-06T04:27:00.000Z",
        "launch_time": "2026-12-06T03:00:00.000Z",
    },
    ("AWSImage", "ami-old"): {
        "creation_date": "2026-12-01T10:00:00.000Z",
        "first_seen": "2026-12-06T03:26:25.000Z",
    },
    ("InventoryCollection", "c-old"): {
        "last_success": "2026-12-06T04:26:25.763Z",
        "last_failure": "2026-12-06T04:20:00.000Z",
        "last_success_seen_at": "2026-12-06T04:25:00.000Z",
        "first_seen": "2026-12-01T00:00:00.000Z",
    },
}


def stored_forms(rt: Runtime) -> dict[tuple[str, str], dict[str, tuple[str, str | None, Any]]]:
    """Per planted node, each time property's type, zone and instant (as RFC 3339)."""
    records, _, _ = rt.driver.execute_query(
        "MATCH (n) WHERE n.uid IN $uids "
        "RETURN labels(n)[0] AS label, n.uid AS uid, "
        "[k IN $keys WHERE n[k] IS NOT NULL | [k, valueType(n[k]), n[k].timezone, n[k]]] AS times",
        uids=[uid for _, uid in EXPECTED],
        keys=sorted({k for v in EXPECTED.values() for k in v}),
    )
    return {
        (r["label"], r["uid"]): {k: (t, zone, value) for k, t, zone, value in r["times"]}
        for r in records
    }


def test_migrate_converts_times_older_versions_stored_in_batches_once(
    clean_graph: Runtime, config_path: Path, tmp_path: Path
) -> None:
    rt = clean_graph
    rt.driver.execute_query(OLD)
    # With batches of two, through the command itself.
    neo4j = {**yaml.safe_load(config_path.read_text())["neo4j"], "batch_size": 2}
    config = config_with(config_path, tmp_path / "c.yaml", neo4j=neo4j)
    first = cli("db", "migrate", config=config)
    assert first.returncode == 0, first.stderr
    assert "times converted to UTC: " in first.stdout
    said = dict(
        (name, int(n)) for n, name in re.findall(r"(\d+) (\w+)", first.stdout.splitlines()[-1])
    )
    assert said == {"AWSInstance": 3, "AWSImage": 1, "InventoryCollection": 1, "HAS_INSTANCE": 1}

    forms = stored_forms(rt)
    for key, expected in EXPECTED.items():
        for prop, text in expected.items():
            kind, zone, value = forms[key][prop]
            assert (kind, zone) == ("ZONED DATETIME NOT NULL", "Z"), (key, prop, kind, zone)
            assert value.to_native().isoformat(timespec="milliseconds") == text.replace(
                "Z", "+00:00"
            ), (key, prop)
    records, _, _ = rt.driver.execute_query(
        "MATCH ()-[r:HAS_INSTANCE]->() "
        "RETURN valueType(r.last_seen) AS t, r.last_seen.timezone AS z"
    )
    assert [(r["t"], r["z"]) for r in records] == [("ZONED DATETIME NOT NULL", "Z")]

    # Cypher now compares them as times: text would put '05:26:09+01:00' after 04:00Z.
    records, _, _ = rt.driver.execute_query(
        "MATCH (n:AWSInstance) WHERE n.launch_time < datetime('2026-12-06T04:00:00Z') "
        "RETURN n.uid AS uid ORDER BY uid"
    )
    assert [r["uid"] for r in records] == ["i-old-2", "i-old-3"]

    again = cli("db", "migrate", config=config)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "times converted to UTC: none needed"
    assert stored_forms(rt) == forms
    wipe(rt)
