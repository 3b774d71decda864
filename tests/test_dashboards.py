"""deploy/grafana/*.json against a real Prometheus scraping the suite's stack: every query of
every panel (and every template variable) returns data.

Prometheus (Debian's, started by dev/prometheus.py as `inventory dev up --with-prometheus`
starts it) scrapes the suite's API with a read token, its worker pool and a scheduler of
this module every second, with deploy/prometheus/rules.yaml loaded.  The test makes what the
panels show happen: requests (an error among them) and cache hits, a collection that
succeeds and one that fails (vc-gone, which is never there), housekeeping and report counts
(the scheduler fires aux:reports), then asks Prometheus each panel's query as Grafana would,
its variables substituted.  A rate needs two samples of a series that moved: the series are
made before Prometheus starts and move again after.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dev.prometheus import prometheus
from dev.stack import Stack, StackError, free_port, wait_until
from tests.helpers import collect, config_with
from worker.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
SCOPE = {"account": "demo-main", "region": "eu-west-1"}
SCHEDULER = "dashboards-scheduler"
# Grafana's time variables the dashboards use: the test's span stands for them (window()).
BUILTIN = {"__rate_interval", "__interval", "__range"}
# Time for everything the panels need to reach Prometheus, on a busy machine.
DATA_TIMEOUT_S = 300


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel with queries, rows' nested panels included."""
    out = []
    for panel in board["panels"]:
        out += [panel, *panel.get("panels", [])]
    return [p for p in out if p["type"] != "row"]


def queries() -> dict[tuple[str, str], str]:
    """(dashboard file, "panel title / refId") -> expression, of every panel query."""
    return {
        (path.name, f"{panel['title']} / {target['refId']}"): target["expr"]
        for path in DASHBOARDS
        for panel in panels(load(path))
        for target in panel["targets"]
    }


def variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


def used_variables(expr: str) -> set[str]:
    return set(re.findall(r"\$\{?(\w+)", expr))


# --- the files, without a server --------------------------------------------------------


def test_the_asked_dashboards_exist() -> None:
    titles = {load(p)["title"] for p in DASHBOARDS}
    assert titles == {
        "Inventory / Tasks and queues",
        "Inventory / Collections",
        "Inventory / API",
        "Inventory / Reports",
    }


def test_dashboards_have_unique_uids_and_panel_ids_and_fit_the_grid() -> None:
    uids = [load(p)["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    for path in DASHBOARDS:
        board = load(path)
        assert "inventory" in board["tags"], path.name
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), path.name
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["w"] > 0 and pos["x"] + pos["w"] <= 24, panel["title"]


def test_every_panel_queries_the_chosen_prometheus_and_every_variable_is_defined() -> None:
    for path in DASHBOARDS:
        board = load(path)
        defined = set(variables(board))
        assert variables(board)["datasource"]["type"] == "datasource"
        for panel in panels(board):
            where = f"{path.name}: {panel['title']}"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            assert panel["targets"], where
            refs = [t["refId"] for t in panel["targets"]]
            assert len(set(refs)) == len(refs), where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}", where
                assert used_variables(target["expr"]) <= defined | BUILTIN, where


# --- a real Prometheus --------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(stack: Stack, collected: Runtime) -> Iterator[str]:
    """The API process over the collected graph (left running if another module had it)."""
    started = "api" not in stack.procs
    if started:
        stack.start(stack.api())
    yield f"http://127.0.0.1:{stack.ports.api}"
    if started:
        stack.stop("api")


@pytest.fixture(scope="module")
def scheduler(
    stack: Stack, config_path: Path, workers: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """A scheduler firing aux:reports every 3 s (the report gauges); its metrics port."""
    config = config_with(
        config_path,
        tmp_path_factory.mktemp("dashboards") / "scheduler.yaml",
        schedules=[{"name": "dashboard-reports", "task": "aux:reports", "interval_s": 3}],
        scheduler={"lease_s": 3},
    )
    service = stack.scheduler(SCHEDULER)
    service.env["INVENTORY_CONFIG"] = str(config)
    stack.start(service)
    yield stack.metrics_port(SCHEDULER)
    stack.stop(SCHEDULER)


def traffic(api: str, read: dict[str, str]) -> None:
    """Requests on a few routes, errors among them."""
    with httpx.Client(base_url=api, timeout=60) as client:
        for _ in range(3):
            assert client.get("/api/v1/aws/vpcs", headers=read).status_code == 200
            assert client.get("/api/v1/kinds", headers=read).status_code == 200
            assert client.get("/api/v1/reports", headers=read).status_code == 200
            assert client.get("/api/v1/aws/vpcs/vpc-none", headers=read).status_code == 404
            assert client.get("/api/v1/aws/vpcs").status_code == 401


def api_metric(api: str, read: dict[str, str], name: str, **labels: str) -> float:
    """A sample of the API's own /metrics, 0 when absent."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{api}/metrics", headers=read, timeout=30).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


class Prometheus:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.started = time.time()

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=30)
        body = reply.json()
        assert body["status"] == "success", f"{expr}: {body.get('error')}"
        return body["data"]["result"]

    def label_values(self, label: str, match: str) -> list[str]:
        reply = httpx.get(
            f"{self.url}/api/v1/label/{label}/values", params={"match[]": match}, timeout=30
        )
        return reply.json()["data"]

    def window(self) -> str:
        """The dashboards' time range as the test's span: since Prometheus started."""
        return f"{int(time.time() - self.started) + 5}s"


def substitute(expr: str, board: dict[str, Any], window: str) -> str:
    """The query Grafana sends: its time variables as ``window``, each template variable
    as "All" (its allValue)."""
    values = dict.fromkeys(BUILTIN, window)
    for name, variable in variables(board).items():
        values[name] = variable.get("allValue") or ".*"

    def one(match: re.Match[str]) -> str:
        return values[match.group(1) or match.group(2)]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, expr)


def has_data(result: list[dict[str, Any]]) -> bool:
    """A non-empty answer with at least one number (a quantile of no change is NaN)."""
    return any(math.isfinite(float(item["value"][1])) for item in result)


@pytest.fixture(scope="module")
def read(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.secrets.read_token}"}


@pytest.fixture(scope="module")
def prom(
    stack: Stack, config_path: Path, api: str, scheduler: int, read: dict[str, str]
) -> Iterator[Prometheus]:
    """A Prometheus scraping the API, the worker pool and the scheduler every second, with
    the alert rules loaded, that has watched what the panels show happen."""
    # Series made before the first scrape, so that later requests and tasks move them.
    traffic(api, read)
    code, out = collect(config_path, "aux:housekeeper", {"retention_days": 3000})
    assert code == 0, out

    port = free_port()
    service = prometheus(
        stack,
        port=port,
        api_port=stack.ports.api,
        read_token=stack.secrets.read_token,
        workers={"default": stack.metrics_port("worker")},
        schedulers=[scheduler],
        scrape_interval_s=1,
    )
    stack.start(service)
    try:
        prom = Prometheus(port)
        jobs = {"inventory-api", "inventory-worker", "inventory-scheduler"}

        def scraped_twice() -> bool:
            up = prom.query("min by (job) (count_over_time(up[10m]) >= 2 and up == 1)")
            return {item["metric"]["job"] for item in up} == jobs

        wait_until(scraped_twice, 120, "every target scraped twice by Prometheus")
        what_the_panels_show(api, read, config_path)
        yield prom
    finally:
        stack.stop("prometheus")


def what_the_panels_show(api: str, read: dict[str, str], config_path: Path) -> None:
    """Requests, a collection that succeeds and one that fails, and a cache hit."""
    traffic(api, read)
    code, out = collect(config_path, "aws:collect-vpcs", SCOPE)
    assert code == 0, out
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-gone"})
    assert code != 0, out  # it is never there
    hits = api_metric(api, read, "inventory_api_cache_total", result="hit")

    def cache_hit() -> bool:
        httpx.get(f"{api}/api/v1/aws/subnets", headers=read, timeout=30)
        return api_metric(api, read, "inventory_api_cache_total", result="hit") > hits

    wait_until(cache_hit, 120, "a cache hit")


def test_every_panel_query_returns_data_from_a_real_prometheus(prom: Prometheus) -> None:
    pending = queries()
    boards = {path.name: load(path) for path in DASHBOARDS}
    deadline = time.monotonic() + DATA_TIMEOUT_S
    while pending and time.monotonic() < deadline:
        for (name, title), expr in list(pending.items()):
            if has_data(prom.query(substitute(expr, boards[name], prom.window()))):
                del pending[(name, title)]
        time.sleep(1)
    assert pending == {}, "panels without data: " + json.dumps(
        {f"{n}: {t}": substitute(e, boards[n], prom.window()) for (n, t), e in pending.items()},
        indent=1,
    )


def test_every_template_variable_lists_values_from_a_real_prometheus(prom: Prometheus) -> None:
    selectors = {}  # "file: $name" -> (label, selector)
    for path in DASHBOARDS:
        board = load(path)
        for name, variable in variables(board).items():
            if variable["type"] != "query":
                continue
            found = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
            assert found, f"{path.name}: ${name}: {variable['definition']}"
            selector = substitute(found.group(1), board, prom.window())
            selectors[f"{path.name}: ${name}"] = (found.group(2), selector)
    assert selectors

    def without_values() -> list[str]:
        return [where for where, found in selectors.items() if not prom.label_values(*found)]

    with contextlib.suppress(StackError):  # the assertion below says which
        wait_until(lambda: not without_values(), DATA_TIMEOUT_S, "every variable's values")
    assert without_values() == []


def test_the_alert_rules_evaluate_the_real_series(prom: Prometheus) -> None:
    # vc-gone failed 3 attempts per kind (2 retries), the pools the suite does not run are
    # missing, and the API (read with its token), the worker and the leading scheduler are
    # all there.
    def alerts() -> list[dict[str, Any]]:
        return prom.query('ALERTS{alertname=~"Inventory.+"}')

    def named() -> set[tuple[str, str | None]]:
        return {(a["metric"]["alertname"], a["metric"].get("scope", a["metric"].get("pool")))
                for a in alerts()}  # fmt: skip

    failing = {("InventoryCollectionFailing", "vc-gone"), ("InventoryWorkerPoolDown", "high")}
    with contextlib.suppress(StackError):  # the assertions below say what is missing
        wait_until(lambda: failing <= named(), DATA_TIMEOUT_S, "the failing alerts")
    now = named()
    assert ("InventoryCollectionFailing", "vc-gone") in now, alerts()
    assert ("InventoryWorkerPoolDown", "high") in now, alerts()
    assert ("InventoryWorkerPoolDown", "default") not in now, alerts()
    quiet = 'ALERTS{alertname=~"InventoryAPIDown|InventorySchedulerNoLeader"}'
    wait_until(lambda: prom.query(quiet) == [], 60, "the API and scheduler alerts quiet")
