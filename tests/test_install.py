"""The production install: the wheel, installed into a fresh virtualenv the way the image
installs it (scripts/install-app.sh, without the dev extras and without the dev tooling),
runs every role against the suite's servers: `db migrate`, the API (ready, dashboard
served), a worker that runs a collection, and a scheduler that takes the lease."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from dev.stack import ROOT, Service, Stack, free_port, port_open, wait_until
from tests.helpers import config_with


def _ignored() -> list[str]:
    """The image's build context leaves out what .dockerignore names: so does the wheel."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().removeprefix("**/") for line in lines if line.strip()[:1] not in "#"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel installed as the image installs it: its bin folder."""
    work = tmp_path_factory.mktemp("install")
    context = work / "context"
    patterns = _ignored()
    shutil.copytree(
        ROOT,
        context,
        ignore=lambda _, names: [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)],
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", context],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("inventory-*.whl")
    venv = work / "venv"
    # The base interpreter, not the suite's virtualenv: nothing of the dev install leaks in.
    base = Path(sys.base_prefix) / "bin" / "python3"
    made = subprocess.run([base, "-m", "venv", venv], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    installed = subprocess.run(
        ["bash", ROOT / "scripts" / "install-app.sh", venv, str(wheel), "-q"],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=work,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv / "bin"


@pytest.fixture(scope="module")
def config(fresh: Path, stack: Stack, config_path: Path, migrated, estate) -> Path:
    """The suite's config on a Redis database of its own: only this install's worker and
    scheduler take its messages."""
    data = yaml.safe_load(config_path.read_text())
    redis = data["redis"]["url"].rsplit("/", 1)[0] + "/7"
    return config_with(
        config_path,
        stack.home / "install.yaml",
        redis={"url": redis},
        api={**data["api"], "port": free_port()},
        vsphere={"vcenters": []},
    )


def _run(bin_: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [bin_ / "inventory", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "INVENTORY_CONFIG": str(config), "HOME": str(Path.home())},
        cwd=config.parent,
    )


@pytest.fixture(scope="module")
def roles(fresh: Path, config: Path, stack: Stack) -> Iterator[dict[str, int]]:
    """The API, a worker pool and a scheduler of the fresh install, running: their ports."""
    api = yaml.safe_load(config.read_text())["api"]["port"]
    ports = {"api": api, "worker": free_port(), "scheduler": free_port()}
    env = {"INVENTORY_CONFIG": str(config), "PATH": f"{fresh}:/usr/bin:/bin"}
    inventory = str(fresh / "inventory")
    services = [
        Service("install-api", [inventory, "api"], lambda: port_open(api), env, 60, api),
        Service(
            "install-worker",
            [inventory, "worker", "--pool", "low", "--metrics-port", str(ports["worker"])],
            lambda: port_open(ports["worker"]),
            env,
            60,
        ),
        Service(
            "install-scheduler",
            [inventory, "scheduler", "--metrics-port", str(ports["scheduler"])],
            lambda: port_open(ports["scheduler"]),
            env,
            60,
        ),
    ]
    try:
        for service in services:
            stack.start(service)
        yield ports
    finally:
        for service in services:
            stack.stop(service.name)


def test_the_install_has_no_dev_extras_and_no_dev_tooling(fresh: Path) -> None:
    modules = ("pytest", "moto", "dev", "tests", "bench")
    probe = f"import importlib.util as u; print([m for m in {modules} if u.find_spec(m)])"
    # Run from the virtualenv's folder: the current folder is on the path of `python -c`.
    found = subprocess.run(
        [fresh / "python", "-c", probe], capture_output=True, text=True, cwd=fresh
    )
    assert found.returncode == 0 and found.stdout.strip() == "[]", found.stdout + found.stderr
    where = subprocess.run(
        [fresh / "python", "-c", "import api; print(api.__file__)"],
        capture_output=True,
        text=True,
        cwd=fresh,
    )
    assert where.stdout.startswith(str(fresh.parent)), where.stdout  # not the checkout's


def test_db_migrate_runs_from_the_install(fresh: Path, config: Path) -> None:
    result = _run(fresh, config, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert "schema up to date" in result.stdout


def test_the_api_of_the_install_is_ready_and_serves_the_dashboard(
    roles: dict[str, int], settings
) -> None:
    base = f"http://127.0.0.1:{roles['api']}"
    assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
    admin = next(t for t in settings.api.tokens if t.access == "admin").token.get_secret_value()
    page = httpx.get(f"{base}/dashboard/", headers={"Authorization": f"Bearer {admin}"}, timeout=30)
    assert page.status_code == 200 and "inventory.high" in page.text


def test_a_collection_runs_through_the_worker_of_the_install(
    fresh: Path, config: Path, roles: dict[str, int]
) -> None:
    result = _run(fresh, config, "collect", "aws:collect-vpcs", "--wait", "--timeout", "300")
    assert result.returncode == 0, result.stdout + result.stderr
    task_id = result.stdout.split()[3]  # "enqueued aws:collect-vpcs as <id>"
    record = json.loads(_run(fresh, config, "task", "show", task_id).stdout)
    assert record["state"] == "succeeded", record
    text = httpx.get(f"http://127.0.0.1:{roles['worker']}/metrics", timeout=30).text
    written = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "inventory_nodes_written_total" and s.labels["label"] == "AWSVPC"
    ]
    assert written and written[0] > 0  # this pool wrote them


def test_the_scheduler_of_the_install_takes_the_lease(roles: dict[str, int]) -> None:
    def leads() -> bool:
        text = httpx.get(f"http://127.0.0.1:{roles['scheduler']}/metrics", timeout=10).text
        return "inventory_scheduler_leader 1.0" in text

    wait_until(leads, 60, "the scheduler to take the lease")
