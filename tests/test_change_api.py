"""Changes asked for over REST, GraphQL and the CLI (issue 22, items 3-4), on real Neo4j and
Redis: first on a history the graph layer writes at known times (every filter, page and
rebuilt state can be told exactly), then on real collections of moto's instances changed
between them (an instance's type changed, another terminated).  The second part empties
the graph the first wrote: the module's tests run in their order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from collectors import CATALOG
from dev.demo import aws as demo
from graph import links
from model.times import rfc3339
from tests.conftest import wipe
from tests.helpers import cli, collect, launch
from worker.runtime import Runtime

INSTANCE = CATALOG.by_label["AWSInstance"]
SUBNET = CATALOG.by_label["AWSSubnet"]
EU = {"account_id": "111111111111", "region": "eu-west-1"}
IN_SUBNET = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")
INSTANCES = "/api/v1/aws/instances"


def instance(uid: str, subnet: str, kind: str = "t3.micro") -> dict[str, Any]:
    return {"uid": uid, "instance_id": uid, "subnet_id": subnet, "instance_type": kind}


@pytest.fixture(scope="module")
def times(migrated: Runtime) -> dict[str, datetime]:
    """A history written at three times, half an hour, twenty and ten minutes ago:
    t1: subnets a and b and instances i-1 (t3.micro) and i-2 in a, i-3 in b, linked;
    t2: i-1 resized to t3.large;
    t3: i-1 moved to subnet b (relinked), i-3 gone (deleted, its relationship unlinked).
    Fourteen changes: eight at t1, one at t2, five at t3."""
    rt = wipe(migrated)
    now = rt.writer.now()
    t = {f"t{n}": now - timedelta(minutes=40 - 10 * n) for n in (1, 2, 3)}
    rt.writer.write(SUBNET, [{"uid": "subnet-a"}, {"uid": "subnet-b"}], EU, t["t1"])
    first = [instance("i-1", "subnet-a"), instance("i-2", "subnet-a"), instance("i-3", "subnet-b")]
    rt.writer.write(INSTANCE, first, EU, t["t1"])
    links.refresh(rt.driver, CATALOG, IN_SUBNET, EU, t["t1"], "neo4j")
    resized = [instance("i-1", "subnet-a", "t3.large"), *first[1:]]
    rt.writer.write(INSTANCE, resized, EU, t["t2"])
    rt.writer.write(INSTANCE, [instance("i-1", "subnet-b", "t3.large"), first[1]], EU, t["t3"])
    assert rt.writer.remove_stale(INSTANCE, EU, t["t3"]) == 1
    links.refresh(rt.driver, CATALOG, IN_SUBNET, EU, t["t3"], "neo4j")
    return t


@pytest.fixture(scope="module")
def api(times: dict[str, datetime], settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def every(api: TestClient, headers: dict, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every change a paged route gives, page after page."""
    found: list[dict[str, Any]] = []
    while True:
        reply = api.get(path, params=params, headers=headers)
        assert reply.status_code == 200, reply.text
        found += reply.json()["items"]
        if not (cursor := reply.json()["next_cursor"]):
            return found
        params = {**params, "cursor": cursor}


def summary(changes: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(c["change"], c["uid"], c.get("target_uid")) for c in changes]


def by_time(changes: list[dict[str, Any]]) -> list[set[tuple[str, str, str | None]]]:
    """The changes' summaries, a set per time, in the order the times come."""
    out: list[set[tuple[str, str, str | None]]] = []
    for i, c in enumerate(changes):
        if i == 0 or c["at"] != changes[i - 1]["at"]:
            out.append(set())
        out[-1].add(summary([c])[0])
    return out


def test_changes_come_newest_first_page_by_page(api: TestClient, read: dict) -> None:
    whole = api.get("/api/v1/changes", headers=read).json()
    assert whole["next_cursor"] is None and len(whole["items"]) == 14
    paged = every(api, read, "/api/v1/changes", limit=3)
    assert paged == whole["items"]  # no change twice or left out
    assert len({c["id"] for c in paged}) == 14
    ats = [c["at"] for c in paged]
    assert ats == sorted(ats, reverse=True)
    newest = {c["change"]: c for c in paged[:5]}  # t3's
    assert set(newest) == {"deleted", "unlinked", "updated", "linked"}
    assert newest["deleted"]["uid"] == "i-3" and newest["deleted"]["scope"] == (
        "111111111111/eu-west-1"
    )
    resized = paged[5]
    assert (resized["change"], resized["uid"], resized["label"]) == (
        "updated",
        "i-1",
        "AWSInstance",
    )
    assert resized["fields"] == [
        {"field": "instance_type", "before": "t3.micro", "after": "t3.large"}
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"change": "deleted"}, 1),
        ({"change": ["linked", "unlinked"]}, 6),
        ({"label": "AWSSubnet"}, 8),  # its own and those of relationships it is an end of
        ({"uid": "i-1"}, 6),
        ({"uid": "i-1", "change": "updated"}, 2),
        ({"scope": "111111111111"}, 14),
        ({"scope": "111111111111/eu-west-1"}, 14),
        ({"scope": "111111111111/us-east-1"}, 0),
        ({"scope": "11111111111"}, 0),  # a leading part of the text is not a scope
        ({"since": "t2"}, 6),
        ({"until": "t1"}, 8),
        ({"since": "t2", "until": "t2"}, 1),
        ({"since": "t3", "until": "t1"}, 0),
        ({"since": "15m"}, 5),
        ({"since": "1h"}, 14),
        ({"until": "1h"}, 0),
    ],
)
def test_changes_filter(
    api: TestClient, read: dict, times: dict[str, datetime], params: dict, expected: int
) -> None:
    given = {k: rfc3339(times[v]) if str(v) in times else v for k, v in params.items()}
    found = every(api, read, "/api/v1/changes", limit=4, **given)
    assert len(found) == expected, summary(found)
    for c in found:
        if "uid" in params:
            assert params["uid"] in (c["uid"], c["target_uid"])
        if "label" in params:
            assert params["label"] in (c["label"], c["target_label"])


@pytest.mark.parametrize(
    ("params", "name", "says"),
    [
        ({"since": "yesterday"}, "since", "not a time: 'yesterday'"),
        ({"until": "2026-02-30T00:00:00Z"}, "until", "not a date"),
        ({"since": "2026-01-01"}, "since", "RFC 3339"),
        ({"since": "1y"}, "since", "90m, 1h, 7d"),
        ({"change": "moved"}, "change", "'created'"),
        ({"label": "Nope"}, "label", "'AWSInstance'"),
        ({"cursor": "not-a-cursor"}, "cursor", "pattern"),
    ],
)
def test_bad_change_parameters_are_422_naming_them(
    api: TestClient, read: dict, params: dict, name: str, says: str
) -> None:
    reply = api.get("/api/v1/changes", params=params, headers=read)
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["errors"][0]["loc"][:2] == ["query", name]
    assert problem["detail"].startswith(name) and says in problem["detail"]


def test_an_unknown_parameter_or_a_cursor_not_given_is_400(api: TestClient, read: dict) -> None:
    reply = api.get("/api/v1/changes?label_id=x", headers=read)
    assert reply.status_code == 400 and "label_id" in reply.json()["detail"]
    # Of the cursor's form, but of no page: a position still (a time and an id).
    cursor = "A" * 32
    assert api.get(f"/api/v1/changes?cursor={cursor}", headers=read).status_code == 200


def test_changes_carry_an_etag_unless_asked_back_from_now(api: TestClient, read: dict) -> None:
    first = api.get("/api/v1/changes?limit=2", headers=read)
    again = api.get(
        "/api/v1/changes?limit=2", headers={**read, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    # "The last hour" moves with the clock: no tag, never kept.
    moving = api.get("/api/v1/changes?since=1h", headers=read)
    assert moving.status_code == 200 and "etag" not in moving.headers
    assert "etag" not in api.get(f"{INSTANCES}/i-1?at=25m", headers=read).headers


def test_history_of_a_live_and_of_a_deleted_node(api: TestClient, read: dict) -> None:
    live = every(api, read, f"{INSTANCES}/i-1/history", limit=2)
    # Newest first; the changes of one write (or link run) share its time.
    assert by_time(live) == [
        {("linked", "subnet-b", "i-1"), ("unlinked", "subnet-a", "i-1"), ("updated", "i-1", None)},
        {("updated", "i-1", None)},
        {("linked", "subnet-a", "i-1"), ("created", "i-1", None)},
    ]
    assert api.get(f"{INSTANCES}/i-3", headers=read).status_code == 404
    gone = every(api, read, f"{INSTANCES}/i-3/history")
    assert sorted(summary(gone)) == [
        ("created", "i-3", None),
        ("deleted", "i-3", None),
        ("linked", "subnet-b", "i-3"),
        ("unlinked", "subnet-b", "i-3"),
    ]
    deleted = next(c for c in gone if c["change"] == "deleted")
    assert {"field": "instance_type", "before": "t3.micro", "after": None} in deleted["fields"]
    subnet = every(api, read, "/api/v1/aws/subnets/subnet-b/history", change="linked")
    assert sorted(summary(subnet)) == [("linked", "subnet-b", "i-1"), ("linked", "subnet-b", "i-3")]
    # Nothing known: of no instance, and of no subnet with an instance's uid.
    for path in (f"{INSTANCES}/i-9/history", "/api/v1/aws/subnets/i-1/history"):
        reply = api.get(path, headers=read)
        assert reply.status_code == 404 and "nothing is known" in reply.json()["detail"]


def _at(api: TestClient, read: dict, uid: str, at: str) -> Any:
    return api.get(f"{INSTANCES}/{uid}", params={"at": at}, headers=read)


def _subnets(answer: dict[str, Any]) -> list[str]:
    return [r["uid"] for r in answer["relationships"] if r["type"] == "HAS_INSTANCE"]


def test_an_instance_as_it_was(api: TestClient, read: dict, times: dict[str, datetime]) -> None:
    t1, t2, t3 = (rfc3339(times[t]) for t in ("t1", "t2", "t3"))
    then = _at(api, read, "i-1", t1)
    assert then.status_code == 200, then.text
    item = then.json()
    assert (item["item"]["instance_type"], item["item"]["subnet_id"]) == ("t3.micro", "subnet-a")
    assert _subnets(item) == ["subnet-a"]
    assert item["relationships"][0]["path"] == "/api/v1/aws/subnets/subnet-a"
    how = item["reconstruction"]
    assert (how["at"], how["start"], how["changes_undone"]) == (t1, "present", 4)
    assert {"first_seen", "last_seen"} <= set(how["untracked"])
    assert item["item"]["first_seen"] is None and item["item"]["uid"] == "i-1"
    assert item["item"]["account_id"] == "111111111111"
    resized = _at(api, read, "i-1", "25m").json()  # between t1 and t2, back from now
    assert resized["item"]["instance_type"] == "t3.micro"
    at_t2 = _at(api, read, "i-1", t2).json()
    assert (at_t2["item"]["instance_type"], _subnets(at_t2)) == ("t3.large", ["subnet-a"])
    now = _at(api, read, "i-1", "0s").json()
    present = api.get(f"{INSTANCES}/i-1", headers=read).json()
    assert "reconstruction" not in present
    assert now["item"]["instance_type"] == present["item"]["instance_type"] == "t3.large"
    assert _subnets(now) == _subnets(present) == ["subnet-b"]
    # Before it was created: not there.
    before = _at(api, read, "i-1", rfc3339(times["t1"] - timedelta(seconds=1)))
    assert before.status_code == 404 and "at " in before.json()["detail"]
    # Deleted at t3: there before, as its deletion record and the unlinking tell.
    gone = _at(api, read, "i-3", t2)
    assert gone.status_code == 200, gone.text
    assert gone.json()["reconstruction"]["start"] == "deleted"
    assert (gone.json()["item"]["instance_type"], _subnets(gone.json())) == (
        "t3.micro",
        ["subnet-b"],
    )
    assert _at(api, read, "i-3", t3).status_code == 404


@pytest.mark.parametrize("at", ["yesterday", "2026-12-06", "2026-12-06T25:00:00Z", "1 h"])
def test_a_bad_at_is_422(api: TestClient, read: dict, at: str) -> None:
    reply = _at(api, read, "i-1", at)
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["loc"] == ["query", "at"]


def graphql(api: TestClient, read: dict, query: str) -> dict[str, Any]:
    reply = api.post("/graphql", json={"query": query}, headers=read)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_graphql_pages_and_filters_changes(api: TestClient, read: dict) -> None:
    query = """{ changes(first: 3, label: ["AWSSubnet"], after: %s) {
      items { id at change uid label targetUid fields { field before after } cursor }
      nextCursor } }"""
    found, after = [], "null"
    while True:
        page = graphql(api, read, query % after)["data"]["changes"]
        found += page["items"]
        if page["nextCursor"] is None:
            break
        assert page["nextCursor"] == page["items"][-1]["cursor"]
        after = json.dumps(page["nextCursor"])
    rest = every(api, read, "/api/v1/changes", label="AWSSubnet")
    assert [c["id"] for c in found] == [c["id"] for c in rest] and len(found) == 8
    # From any change's cursor: the ones after it.
    rest_of = graphql(api, read, query % json.dumps(found[1]["cursor"]))["data"]["changes"]
    assert [c["id"] for c in rest_of["items"]] == [c["id"] for c in found[2:5]]
    bad = graphql(api, read, '{ changes(since: "yesterday") { nextCursor } }')
    assert bad["data"] is None and bad["errors"][0]["message"].startswith("since: not a time")
    bad = graphql(api, read, '{ changes(label: ["Nope"]) { nextCursor } }')
    assert "label" in bad["errors"][0]["message"]


def test_graphql_history_and_an_instance_as_it_was(
    api: TestClient, read: dict, times: dict[str, datetime], reads: list[str]
) -> None:
    t1, t2 = rfc3339(times["t1"]), rfc3339(times["t2"])
    query = """{ awsInstance(uid: "%s", at: "%s") { uid instanceType firstSeen
      subnet { uid } reconstruction { at start changesUndone untracked } } }"""
    then = graphql(api, read, query % ("i-1", t1))["data"]["awsInstance"]
    assert (then["instanceType"], then["subnet"]["uid"], then["firstSeen"]) == (
        "t3.micro",
        "subnet-a",
        None,
    )
    assert then["reconstruction"]["at"] == t1 and then["reconstruction"]["changesUndone"] == 4
    gone = graphql(api, read, query % ("i-3", t2))["data"]["awsInstance"]
    assert gone["subnet"] == {"uid": "subnet-b"} and gone["reconstruction"]["start"] == "deleted"
    assert graphql(api, read, query % ("i-3", rfc3339(times["t3"])))["data"]["awsInstance"] is None
    bad = graphql(api, read, query % ("i-1", "yesterday"))
    assert bad["errors"][0]["message"].startswith("at: not a time")
    # History on a list: one read for the level, whatever the rows.
    reads.clear()
    found = graphql(
        api, read, "{ awsInstances { uid reconstruction { start } history(first: 2) { change } } }"
    )["data"]["awsInstances"]
    history = {i["uid"]: {c["change"] for c in i["history"]} for i in found}
    assert history["i-2"] == {"linked", "created"}  # its two, of one time
    assert len(found[0]["history"]) == 2 and history["i-1"] <= {"linked", "unlinked", "updated"}
    assert all(i["reconstruction"] is None for i in found)
    assert len(reads) == 2  # the list, then the history of every instance in it


def test_the_cli_lists_changes(api: TestClient, read: dict, config_path: Path) -> None:
    shown = cli("changes", "--since", "1h", "--label", "AWSSubnet", "--json", config=config_path)
    assert shown.returncode == 0, shown.stderr
    rest = every(api, read, "/api/v1/changes", label="AWSSubnet")
    assert json.loads(shown.stdout) == rest
    table = cli("changes", "--uid", "i-1", "--change", "updated", config=config_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[-1] == "(2 changes)"
    assert "instance_type: t3.micro -> t3.large" in lines[1]
    assert "subnet_id: subnet-a -> subnet-b" in lines[0]
    assert cli("changes", "--limit", "3", config=config_path).stdout.splitlines()[-1] == (
        "(3 changes)"
    )
    for args, says in (
        (("--since", "yesterday"), "--since: not a time"),
        (("--label", "Nope"), "--label Nope: no such label"),
    ):
        bad = cli("changes", *args, config=config_path)
        assert bad.returncode == 2 and bad.stderr.startswith(f"error: {says}"), bad.stderr


# -- real collections ----------------------------------------------------------------------

MAIN = {"account": "demo-main", "region": "us-east-1"}


@pytest.fixture(scope="module")
def recollected(
    workers: Any, estate: dict, migrated: Runtime, config_path: Path, moto_url: str
) -> Iterator[dict[str, Any]]:
    """A graph emptied, then one scope of the demo collected with two instances of this
    module's own (t3.micro); then one stopped and made t3.large, the other terminated, and
    the scope collected again.  The time between the collections is ``before``."""
    rt = wipe(migrated)
    ec2 = demo.session(moto_url).client("ec2", region_name="us-east-1", endpoint_url=moto_url)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    resized, terminated = launch(ec2, subnet, 2)
    code, out = collect(config_path, "aws:collect-all", MAIN)
    assert code == 0, out
    before = rt.writer.now()
    ec2.stop_instances(InstanceIds=[resized])
    ec2.modify_instance_attribute(InstanceId=resized, InstanceType={"Value": "t3.large"})
    ec2.terminate_instances(InstanceIds=[terminated])
    code, out = collect(config_path, "aws:collect-all", MAIN)
    assert code == 0, out
    yield {"resized": resized, "terminated": terminated, "subnet": subnet, "before": before}
    ec2.terminate_instances(InstanceIds=[resized])


@pytest.fixture(scope="module")
def api2(recollected: dict[str, Any], settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_collected_instance_as_it_was_before_its_type_changed(
    api2: TestClient, read: dict, recollected: dict[str, Any]
) -> None:
    uid, before = recollected["resized"], rfc3339(recollected["before"])
    now = api2.get(f"{INSTANCES}/{uid}", headers=read).json()["item"]
    assert (now["instance_type"], now["state"]) == ("t3.large", "stopped")
    then = api2.get(f"{INSTANCES}/{uid}", params={"at": before}, headers=read)
    assert then.status_code == 200, then.text
    assert (then.json()["item"]["instance_type"], then.json()["item"]["state"]) == (
        "t3.micro",
        "running",
    )
    assert recollected["subnet"] in _subnets(then.json())
    [updated] = every(api2, read, f"{INSTANCES}/{uid}/history", change="updated")
    values = {f["field"]: (f["before"], f["after"]) for f in updated["fields"]}
    assert values["instance_type"] == ("t3.micro", "t3.large")
    assert values["state"] == ("running", "stopped")
    query = '{ awsInstance(uid: "%s", at: "%s") { instanceType state reconstruction { start } } }'
    found = graphql(api2, read, query % (uid, before))["data"]["awsInstance"]
    assert found == {
        "instanceType": "t3.micro",
        "state": "running",
        "reconstruction": {"start": "present"},
    }


def test_a_terminated_instance_keeps_its_history(
    api2: TestClient, read: dict, recollected: dict[str, Any], config_path: Path
) -> None:
    uid, before = recollected["terminated"], rfc3339(recollected["before"])
    assert api2.get(f"{INSTANCES}/{uid}", headers=read).status_code == 404
    history = every(api2, read, f"{INSTANCES}/{uid}/history")
    kinds = {c["change"] for c in history}
    assert {"created", "deleted", "linked", "unlinked"} <= kinds, summary(history)
    unlinked = {(c["type"], c["uid"]) for c in history if c["change"] == "unlinked"}
    assert ("HAS_INSTANCE", recollected["subnet"]) in unlinked
    then = api2.get(f"{INSTANCES}/{uid}", params={"at": before}, headers=read).json()
    assert then["reconstruction"]["start"] == "deleted"
    assert then["item"]["state"] == "running" and recollected["subnet"] in _subnets(then)
    # Over the CLI and GraphQL, as over REST.
    shown = cli("changes", "--uid", uid, "--since", before, "--json", config=config_path)
    assert shown.returncode == 0, shown.stderr
    rest = every(api2, read, "/api/v1/changes", uid=uid, since=before)
    assert json.loads(shown.stdout) == rest and {c["change"] for c in rest} == {
        "deleted",
        "unlinked",
    }
    query = '{ changes(uid: "%s", since: "%s", change: [deleted]) { items { uid label } } }'
    found = graphql(api2, read, query % (uid, before))["data"]["changes"]["items"]
    assert found == [{"uid": uid, "label": "AWSInstance"}]
