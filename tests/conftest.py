"""Real servers for the suite: Neo4j, Redis, moto and vcsim on ports of their own, started
once (vcsim only for the tests that ask for vCenters).

Tests that need the task pipeline also get worker processes.  Nothing here is mocked:
unit tests that use fakes say so themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from dev.demo import aws as demo
from dev.demo import vsphere as demo_vsphere
from dev.stack import Ports, Stack
from tests.faultproxy import FaultProxy
from worker.runtime import Runtime, install

# Ports of the suite's own servers; INVENTORY_TEST_PORT_OFFSET shifts them all, so that two
# suites (or a suite and `make run`) never meet.  Give offsets ten thousand apart (10000,
# 20000, 30000): the ports below span five thousand (moto's 25000 to the pools' 29191 on).
_OFFSET = int(os.environ.get("INVENTORY_TEST_PORT_OFFSET", "0"))
TEST_PORTS = Ports(
    **{
        name: port + _OFFSET
        for name, port in dict(
            api=28000,
            bolt=27687,
            http=27474,
            redis=26379,
            moto=25000,
            vcsim=28989,
            metrics=29191,
            prometheus=29090,
        ).items()
    }
)


# The suite's vCenters, each a simulator on a port of its own: two with the same inventory
# (which must stay apart in the graph), one whose VMs the tests change, one whose password
# the config gets wrong, and one that is never there.
VCENTERS = ("vc-a", "vc-b", "vc-change", "vc-locked", "vc-gone")
# A small inventory for the changes: one cluster of two hosts, four VMs.
SMALL = ("-dc", "1", "-cluster", "1", "-host", "2", "-standalone-host", "0", "-pool", "0")
SMALL += ("-vm", "4", "-ds", "1")


def vcsim_port(name: str) -> int:
    return TEST_PORTS.vcsim + VCENTERS.index(name)


def _vcenters_config() -> list[dict]:
    out = [demo_vsphere.vcenters_config(vcsim_port(n), n)[0] for n in VCENTERS]
    out[VCENTERS.index("vc-locked")]["password"] = "not-the-password"
    return out


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    s = Stack.scratch("inventory-test-", TEST_PORTS)
    try:
        s.start(s.redis())
        s.start(s.moto())
        s.start(s.neo4j())
        yield s
    finally:
        if os.environ.get("INVENTORY_KEEP_TEST_HOME"):
            s.stop_all()
        else:
            s.discard()


@pytest.fixture(scope="session")
def moto_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.ports.moto}"


@pytest.fixture(scope="session")
def estate(moto_url: str) -> dict[str, int]:
    """The demo estate, seeded once: instances per account id."""
    return demo.seed(moto_url)


@pytest.fixture(scope="session")
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    """The way in to moto for the collectors, so that a test can deny a region."""
    p = FaultProxy(moto_url)
    yield p
    p.stop()


@pytest.fixture(scope="session")
def config_path(stack: Stack, proxy: FaultProxy) -> Path:
    path = stack.write_config(
        {
            "aws": {"accounts": demo.accounts_config(proxy.url)},
            "vsphere": {"vcenters": _vcenters_config()},
            "tasks": {"min_backoff_ms": 200, "max_backoff_ms": 1000, "max_retries": 2},
        }
    )
    os.environ["INVENTORY_CONFIG"] = str(path)
    return path


@pytest.fixture(scope="session")
def vcenters(stack: Stack) -> dict[str, dict[str, int]]:
    """The simulators of VCENTERS but vc-gone, started and shaped: what each was given."""
    login = ("-username", demo_vsphere.USER, "-password", demo_vsphere.PASSWORD)
    shaped = {}
    for name in VCENTERS[:-1]:
        flags = SMALL if name in ("vc-change", "vc-locked") else demo_vsphere.FLAGS
        stack.start(stack.vcsim(name, vcsim_port(name), (*flags, *login)))
        shaped[name] = demo_vsphere.shape(vcsim_port(name)) if name in ("vc-a", "vc-b") else {}
    return shaped


@pytest.fixture(scope="session")
def settings(config_path: Path) -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    install(rt)
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def migrated(runtime: Runtime) -> Runtime:
    from graph import schema

    schema.migrate(runtime.driver, runtime.catalog, runtime.settings.neo4j.database)
    return runtime


@pytest.fixture(scope="session")
def workers(stack: Stack, config_path: Path, migrated: Runtime) -> Stack:
    stack.start(stack.worker("worker"))
    return stack


def wipe(rt: Runtime) -> Runtime:
    with rt.driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS").consume()
    return rt


@pytest.fixture
def clean_graph(migrated: Runtime) -> Runtime:
    return wipe(migrated)


@pytest.fixture(scope="module")
def collected(
    workers: Stack, estate: dict[str, int], migrated: Runtime, config_path: Path
) -> Runtime:
    """A graph emptied, then filled by one real ``aws:collect-all`` (once per module)."""
    from tests.helpers import collect_all

    wipe(migrated)
    code, out = collect_all(config_path)
    assert code == 0, out
    return migrated


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The graph reads the API makes meanwhile, as their Cypher (its one question whether
    the server has APOC aside)."""
    from graph.reads import Reader

    calls: list[str] = []
    original = Reader.run

    async def counting(self: Reader, statement: str, **params: object) -> list:
        if "SHOW FUNCTIONS" not in statement:
            calls.append(statement)
        return await original(self, statement, **params)

    monkeypatch.setattr(Reader, "run", counting)
    return calls


# The API over the collected demo, and the tokens to ask it with; a module that needs
# another graph under its API defines its own ``client``.
@pytest.fixture(scope="module")
def client(collected: Runtime, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def read(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.secrets.read_token}"}


@pytest.fixture(scope="module")
def admin(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.secrets.admin_token}"}
