"""deploy/prometheus/rules.yaml: valid rules (promtool check rules) whose unit tests pass
(promtool test rules on rules.test.yaml), each alert shown firing and not firing, labelled
and annotated for the person paged, its opt-in report names real reports.

promtool comes with Debian's prometheus package (`make install`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "rules.test.yaml"
REPORTS = ROOT / "cypher" / "reports"


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    path = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(path).is_file():
        pytest.fail("promtool is not installed: run `make install` (Debian: prometheus)")
    return subprocess.run(
        [path, *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def alerts() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for g in groups for rule in g["rules"] if "alert" in rule}


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_rules_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_wrong_expectation_fails_the_unit_tests(tmp_path: Path) -> None:
    # The harness can fail: the dead-letter case expecting 3 dead letters where there are 2.
    tests = yaml.safe_load(RULE_TESTS.read_text())
    tests["rule_files"] = [str(RULES)]
    case = next(t for t in tests["tests"] if t["name"].startswith("dead letters"))
    firing = next(e for e in case["alert_rule_test"] if e["exp_alerts"])
    firing["exp_alerts"][0]["exp_annotations"]["summary"] = "3 dead letters in inventory.default"
    tests["tests"] = [case]
    broken = tmp_path / "broken.test.yaml"
    broken.write_text(yaml.safe_dump(tests))
    result = promtool("test", "rules", str(broken))
    assert result.returncode != 0
    assert "2 dead letters in inventory.default" in result.stdout + result.stderr


def test_the_asked_alerts_exist() -> None:
    assert set(alerts()) >= {
        "InventoryCollectionFailing",  # a scope whose collection keeps failing
        "InventoryCollectionStale",  # no successful collection of a kind for N hours
        "InventoryDeadLetters",
        "InventoryQueueBacklogGrowing",
        "InventorySchedulerNoLeader",
        "InventoryWorkerPoolDown",
        "InventoryLeakReportRows",
    }


@pytest.mark.parametrize("name", sorted(alerts()))
def test_every_alert_has_a_severity_a_summary_and_a_description(name: str) -> None:
    rule = alerts()[name]
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert set(rule["annotations"]) == {"summary", "description"}
    assert all(text.strip() for text in rule["annotations"].values())


@pytest.mark.parametrize("name", sorted(alerts()))
def test_every_alert_is_unit_tested_firing_and_not_firing(name: str) -> None:
    evaluations = [
        e
        for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for e in case.get("alert_rule_test", [])
        if e["alertname"] == name
    ]
    assert any(e["exp_alerts"] for e in evaluations), f"{name} is never shown firing"
    assert any(not e["exp_alerts"] for e in evaluations), f"{name} is never shown quiet"
    for e in evaluations:
        for alert in e["exp_alerts"]:
            assert alert["exp_labels"]["severity"] == alerts()[name]["labels"]["severity"]
            assert set(alert["exp_annotations"]) == {"summary", "description"}


def test_the_opted_in_leak_reports_are_reports_of_the_project() -> None:
    expr = alerts()["InventoryLeakReportRows"]["expr"]
    match = re.search(r'report=~"([^"]+)"', expr)
    assert match, expr
    names = match.group(1).split("|")
    assert "unattached-volumes" in names
    missing = [n for n in names if not (REPORTS / f"{n}.cypher").is_file()]
    assert missing == [], f"no such report in cypher/reports/: {missing}"


def test_worker_pool_alert_covers_the_pools_of_the_project() -> None:
    expr = alerts()["InventoryWorkerPoolDown"]["expr"]
    pools = set(re.findall(r'absent\(up\{job="inventory-worker", pool="(\w+)"\}\)', expr))
    assert pools == {"high", "default", "low"}
