"""Change records on a real Neo4j: what the graph layer's writes, cleanups, link runs and
housekeeping record of what they did (graph.changes), in the statements that do it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors import CATALOG
from graph import links
from graph.changes import ChangeLog
from model import UNKNOWN
from worker import jobs
from worker.runtime import Runtime

INSTANCE = CATALOG.by_label["AWSInstance"]
SUBNET = CATALOG.by_label["AWSSubnet"]
IMAGE = CATALOG.by_label["AWSImage"]
REGION = CATALOG.by_label["AWSRegion"]
EU = {"account_id": "111111111111", "region": "eu-west-1"}
IN_SUBNET = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")


def changes(rt: Runtime, **where: Any) -> list[dict[str, Any]]:
    """The change records whose properties equal ``where``, oldest first."""
    test = " AND ".join(f"c.{k} = ${k}" for k in where) or "true"
    records, _, _ = rt.driver.execute_query(
        f"MATCH (c:InventoryChange) WHERE {test} RETURN c ORDER BY c.at, c.change, c.uid", where
    )
    return [dict(r["c"]) for r in records]


def instance(uid: str, **props: Any) -> dict[str, Any]:
    return {"uid": uid, "instance_id": uid, "subnet_id": "subnet-a", **props}


def wait_for(check: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    """``check()`` once it is true, polled on the database's own round trips."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_s)
    while datetime.now(UTC) < deadline:
        if found := check():
            return found
    raise AssertionError(f"not within {timeout_s}s: {what}")


def test_new_and_changed_nodes_are_recorded_with_before_and_after(clean_graph: Runtime) -> None:
    rt = clean_graph
    t1 = rt.writer.now()
    first = ChangeLog("task-1")
    rows = [instance("i-1", instance_type="t3.micro", tags=["env=dev"]), instance("i-2")]
    rt.writer.write(INSTANCE, rows, EU, t1, log=first)
    created = changes(rt, change="created")
    assert [c["uid"] for c in created] == ["i-1", "i-2"]
    one = created[0]
    assert one["task_id"] == "task-1" and one["at"].to_native() == t1
    assert (one["label"], one["provider"], one["scope"]) == (
        "AWSInstance",
        "aws",
        "111111111111/eu-west-1",
    )
    assert (one["account_id"], one["region"]) == (EU["account_id"], EU["region"])
    # Created: every tracked field with a value, after only.
    assert set(one["fields"]) == {"instance_id", "subnet_id", "instance_type", "tags"}
    assert (one["after_instance_type"], one["after_tags"]) == ("t3.micro", ["env=dev"])
    assert not [k for k in one if k.startswith("before_")]
    assert first.counts == {("AWSInstance", "created"): 2}

    # The same rows again: nothing changed, nothing recorded.
    again = ChangeLog("task-2")
    rt.writer.write(INSTANCE, rows, EU, t1 + timedelta(seconds=1), log=again)
    assert not again.counts and len(changes(rt)) == 2

    # A type and tags changed; a list and a null compared as such; a field unknown this
    # time is no change (the node keeps its value).
    t3 = t1 + timedelta(seconds=2)
    changed = [
        instance("i-1", instance_type="t3.large", tags=["env=prod"], key_name=UNKNOWN),
        instance("i-2", public_ip="1.2.3.4"),
    ]
    third = ChangeLog("task-3")
    rt.writer.write(INSTANCE, changed, EU, t3, log=third)
    updated = {c["uid"]: c for c in changes(rt, change="updated")}
    assert sorted(updated["i-1"]["fields"]) == ["instance_type", "tags"]
    assert updated["i-1"]["before_instance_type"] == "t3.micro"
    assert updated["i-1"]["after_instance_type"] == "t3.large"
    assert (updated["i-1"]["before_tags"], updated["i-1"]["after_tags"]) == (
        ["env=dev"],
        ["env=prod"],
    )
    assert updated["i-2"]["fields"] == ["public_ip"]
    assert "before_public_ip" not in updated["i-2"]  # it was null
    assert updated["i-2"]["after_public_ip"] == "1.2.3.4"
    assert third.counts == {("AWSInstance", "updated"): 2}

    # Back to null is a change too.
    rt.writer.write(INSTANCE, [instance("i-2")], EU, t3 + timedelta(seconds=1))
    last = changes(rt, change="updated", uid="i-2")[-1]
    assert last["fields"] == ["public_ip"] and last["before_public_ip"] == "1.2.3.4"
    assert "after_public_ip" not in last


def test_a_write_that_leaves_a_field_out_drops_the_digest(clean_graph: Runtime) -> None:
    """The digest on a node stands for all its tracked values: a write that leaves one out
    (unknown this time) removes it, so the write after compares field by field and sees a
    value going back to what the digest once stood for."""
    rt = clean_graph
    t1 = rt.writer.now()
    first = [instance("i-1", instance_type="t3.micro", tags=["env=dev"])]
    rt.writer.write(INSTANCE, first, EU, t1)
    digest, _, _ = rt.driver.execute_query("MATCH (n:AWSInstance) RETURN n.change_digest AS d")
    assert digest[0]["d"]
    partial = [instance("i-1", instance_type="t3.large", tags=UNKNOWN)]
    rt.writer.write(INSTANCE, partial, EU, t1 + timedelta(seconds=1))
    rt.writer.write(INSTANCE, first, EU, t1 + timedelta(seconds=2))
    updates = changes(rt, change="updated")
    assert [(c["before_instance_type"], c["after_instance_type"]) for c in updates] == [
        ("t3.micro", "t3.large"),
        ("t3.large", "t3.micro"),
    ]
    assert all(c["fields"] == ["instance_type"] for c in updates)


def test_untracked_fields_are_written_but_not_recorded(clean_graph: Runtime) -> None:
    rt = clean_graph
    assert "available_ip_count" not in SUBNET.tracked
    t1 = rt.writer.now()
    rt.writer.write(SUBNET, [{"uid": "subnet-a", "available_ip_count": 250}], EU, t1)
    log = ChangeLog()
    later = t1 + timedelta(seconds=1)
    rt.writer.write(SUBNET, [{"uid": "subnet-a", "available_ip_count": 249}], EU, later, log=log)
    assert not log.counts and not changes(rt, change="updated")
    records, _, _ = rt.driver.execute_query("MATCH (s:AWSSubnet) RETURN s.available_ip_count")
    assert records[0][0] == 249
    # An unchanged row writes its untracked values only, those it has: one it leaves out
    # (unknown this time) stays as it was, one it has as null goes.
    unknown = {"uid": "subnet-a", "available_ip_count": UNKNOWN}
    rt.writer.write(SUBNET, [unknown], EU, later + timedelta(seconds=1))
    records, _, _ = rt.driver.execute_query("MATCH (s:AWSSubnet) RETURN s.available_ip_count")
    assert records[0][0] == 249
    rt.writer.write(SUBNET, [{"uid": "subnet-a"}], EU, later + timedelta(seconds=2))
    records, _, _ = rt.driver.execute_query("MATCH (s:AWSSubnet) RETURN s.available_ip_count")
    assert records[0][0] is None


def test_links_added_removed_and_deleted_nodes_are_recorded(clean_graph: Runtime) -> None:
    rt = clean_graph
    t1 = rt.writer.now()
    rt.writer.write(SUBNET, [{"uid": "subnet-a"}, {"uid": "subnet-b"}], EU, t1)
    rt.writer.write(INSTANCE, [instance("i-1"), instance("i-2")], EU, t1)
    log = ChangeLog("link-1")
    links.refresh(rt.driver, CATALOG, IN_SUBNET, EU, t1, "neo4j", log=log)
    linked = changes(rt, change="linked")
    assert {(c["uid"], c["type"], c["target_uid"]) for c in linked} == {
        ("subnet-a", "HAS_INSTANCE", "i-1"),
        ("subnet-a", "HAS_INSTANCE", "i-2"),
    }
    assert {(c["label"], c["target_label"], c["task_id"]) for c in linked} == {
        ("AWSSubnet", "AWSInstance", "link-1")
    }
    assert log.counts == {("HAS_INSTANCE", "linked"): 2}
    # Held still: nothing recorded.
    t2 = t1 + timedelta(seconds=1)
    assert links.refresh(rt.driver, CATALOG, IN_SUBNET, EU, t2, "neo4j").added == 0

    # i-1 moves to subnet-b; i-2 is gone: deleted, and its relationship with it.
    t3 = t1 + timedelta(seconds=2)
    rt.writer.write(INSTANCE, [instance("i-1", subnet_id="subnet-b")], EU, t3)
    gone = ChangeLog("collect-3")
    assert rt.writer.remove_stale(INSTANCE, EU, t3, log=gone) == 1
    deleted = changes(rt, change="deleted")
    assert [(c["uid"], c["task_id"], c["scope"]) for c in deleted] == [
        ("i-2", "collect-3", "111111111111/eu-west-1")
    ]
    assert deleted[0]["before_subnet_id"] == "subnet-a" and deleted[0]["at"].to_native() == t3
    unlinked = changes(rt, change="unlinked")
    assert [(c["uid"], c["target_uid"], c["task_id"]) for c in unlinked] == [
        ("subnet-a", "i-2", "collect-3")
    ]
    assert gone.counts == {("AWSInstance", "deleted"): 1, ("HAS_INSTANCE", "unlinked"): 1}
    moved = ChangeLog("link-3")
    links.refresh(rt.driver, CATALOG, IN_SUBNET, EU, t3, "neo4j", log=moved)
    assert moved.counts == {("HAS_INSTANCE", "linked"): 1, ("HAS_INSTANCE", "unlinked"): 1}
    last = {c["change"]: c for c in changes(rt, task_id="link-3")}
    assert (last["unlinked"]["uid"], last["unlinked"]["target_uid"]) == ("subnet-a", "i-1")
    assert (last["linked"]["uid"], last["linked"]["target_uid"]) == ("subnet-b", "i-1")


def test_a_shared_kind_records_its_nodes_and_memberships(clean_graph: Runtime) -> None:
    rt = clean_graph
    a = {"uid": "111111111111:eu-west-1", "props": {"account_id": "111111111111"}}
    region = {"region": "eu-west-1"}
    t1 = rt.writer.now()
    log = ChangeLog("images-1")
    rt.writer.write(IMAGE, [{"uid": "ami-1", "name": "base"}], region, t1, a, log)
    assert log.counts == {
        ("AWSImage", "created"): 1,
        ("HAS_IMAGE", "linked"): 1,
        ("AWSRegion", "created"): 1,  # the owner, made here (see the test below)
    }
    linked = changes(rt, change="linked")
    assert [(c["uid"], c["target_uid"], c["scope"]) for c in linked] == [
        (a["uid"], "ami-1", "eu-west-1")
    ]
    again = ChangeLog()
    rt.writer.write(IMAGE, [{"uid": "ami-1", "name": "base"}], region, t1, a, again)
    assert not again.counts
    t2 = t1 + timedelta(seconds=1)
    rt.writer.write(IMAGE, [], region, t2, a)
    gone = ChangeLog("images-2")
    assert rt.writer.remove_stale(IMAGE, region, t2, a, gone) == 1
    assert gone.counts == {("HAS_IMAGE", "unlinked"): 1, ("AWSImage", "deleted"): 1}
    deleted = changes(rt, change="deleted")
    assert [(c["uid"], c["before_name"], c["region"]) for c in deleted] == [
        ("ami-1", "base", "eu-west-1")
    ]


def _region_owner(region: str) -> dict[str, Any]:
    """A scope's own node as an AWS session gives it (AwsSession.owner)."""
    props = {"account_id": EU["account_id"], "region": region, "name": region}
    scope = {"account_id": EU["account_id"]}
    return {"uid": f"{EU['account_id']}:{region}", "props": props, "scope": scope}


def test_an_owner_made_by_a_membership_is_created_then_filled_by_its_own_collection(
    clean_graph: Runtime,
) -> None:
    """A region the images' collection needs before the regions' own ran: created then, by
    that task, with what it was made with; its own collection's first write is an update
    of only what it adds.  A region its own collection made first is created by it alone."""
    rt = clean_graph
    owner = _region_owner("eu-west-1")
    t1 = rt.writer.now()
    log = ChangeLog("images-1")
    rt.writer.write(IMAGE, [{"uid": "ami-1"}], {"region": "eu-west-1"}, t1, owner, log)
    assert log.counts == {
        ("AWSImage", "created"): 1,
        ("HAS_IMAGE", "linked"): 1,
        ("AWSRegion", "created"): 1,
    }
    [made] = changes(rt, label="AWSRegion", change="created")
    assert (made["change"], made["uid"], made["task_id"]) == ("created", owner["uid"], "images-1")
    assert (made["scope"], made["account_id"], made["provider"]) == (EU["account_id"],) * 2 + (
        "aws",
    )
    assert sorted(made["fields"]) == ["name", "region"] and made["after_region"] == "eu-west-1"
    assert made["at"].to_native() == t1

    # The next batch, or the next collection, of images finds the region there.
    again = ChangeLog("images-2")
    later = t1 + timedelta(seconds=1)
    rt.writer.write(IMAGE, [{"uid": "ami-2"}], {"region": "eu-west-1"}, later, owner, again)
    assert ("AWSRegion", "created") not in again.counts

    # Its own collection fills in what the images' did not know.
    filled = ChangeLog("regions-1")
    row = {**owner["props"], "uid": owner["uid"], "opt_in_status": "opted-in"}
    del row["account_id"]  # the scope's, which the writer sets
    rt.writer.write(REGION, [row], owner["scope"], later, log=filled)
    assert filled.counts == {("AWSRegion", "updated"): 1}
    [update] = changes(rt, label="AWSRegion", change="updated")
    assert update["fields"] == ["opt_in_status"] and update["after_opt_in_status"] == "opted-in"
    assert not [k for k in update if k.startswith("before_")]
    assert len(changes(rt, label="AWSRegion", change="created")) == 1

    # The other way round: the regions' collection first.
    other = _region_owner("eu-west-2")
    row = {**other["props"], "uid": other["uid"], "opt_in_status": "opted-in"}
    del row["account_id"]
    rt.writer.write(REGION, [row], other["scope"], later, log=ChangeLog("regions-2"))
    images = ChangeLog("images-3")
    rt.writer.write(IMAGE, [{"uid": "ami-3"}], {"region": "eu-west-2"}, later, other, images)
    assert ("AWSRegion", "created") not in images.counts
    created = changes(rt, label="AWSRegion", uid=other["uid"], change="created")
    assert [c["task_id"] for c in created] == ["regions-2"]


def test_the_housekeeper_removes_changes_older_than_their_retention(
    clean_graph: Runtime,
) -> None:
    rt = clean_graph
    days = rt.settings.graph.change_retention_days
    assert days == 30  # the default
    now = rt.writer.now()
    for uid, age in (("old", days + 1), ("recent", days - 1)):
        rt.writer.write(INSTANCE, [instance(uid)], EU, now - timedelta(days=age))
    result = jobs.housekeeper(rt, {})
    assert result["changes_removed"] == 1
    left = changes(rt)
    assert [c["uid"] for c in left if c["change"] == "created"] == ["recent"]
    # The node the housekeeper deleted (not seen for the node retention) is recorded so.
    assert result["changes"] == {"deleted": 2}
    assert {c["uid"] for c in left if c["change"] == "deleted"} == {"old", "recent"}


_KILLED_WRITER = """
import sys
from datetime import datetime
from app.config import Settings
from collectors import CATALOG
from graph.changes import ChangeLog
from worker.runtime import Runtime

rt = Runtime(Settings())
kind = CATALOG.by_label["AWSInstance"]
rows = [{"uid": f"i-{n}", "instance_id": f"i-{n}", "instance_type": "m5.large"} for n in range(20)]
scope = {"account_id": "111111111111", "region": "eu-west-1"}
print("writing", flush=True)
rt.writer.write(kind, rows, scope, datetime.fromisoformat(sys.argv[1]), log=ChangeLog("killed"))
print("written", flush=True)
"""


# What the writer's statement holds (a parameter, so this query's own text never does).
_MARK = "CREATE (rec:InventoryChange"


def _blocked(rt: Runtime) -> list[dict[str, Any]]:
    """The writes waiting for a lock, as SHOW TRANSACTIONS tells."""
    records, _, _ = rt.driver.execute_query(
        "SHOW TRANSACTIONS YIELD currentQuery, status "
        "WHERE currentQuery CONTAINS $mark AND status STARTS WITH 'Blocked' "
        "RETURN currentQuery, status",
        mark=_MARK,
    )
    return [r.data() for r in records]


def _writing(rt: Runtime) -> int:
    """The transactions of writes open, whatever they are doing."""
    records, _, _ = rt.driver.execute_query(
        "SHOW TRANSACTIONS YIELD currentQuery, transactionId "
        "WHERE currentQuery CONTAINS $mark RETURN count(*) AS n",
        mark=_MARK,
    )
    return records[0]["n"]


def test_a_writer_killed_mid_write_leaves_no_change_without_its_write(
    clean_graph: Runtime,
) -> None:
    """A process writing a batch is SIGKILLed while its statement has written part of the
    batch and waits for a lock on the rest (held by this test): the transaction goes, and
    with it both the writes and their change records."""
    rt = clean_graph
    t1 = rt.writer.now()
    rows = [instance(f"i-{n}", instance_type="t3.micro") for n in range(20)]
    rt.writer.write(INSTANCE, rows, EU, t1)
    before = len(changes(rt))
    code = textwrap.dedent(_KILLED_WRITER)
    with rt.driver.session() as session, session.begin_transaction() as held:
        held.run("MATCH (n:AWSInstance {uid: 'i-15'}) SET n.held = true").consume()
        seen_at = (t1 + timedelta(seconds=1)).isoformat()
        writer = subprocess.Popen(
            [sys.executable, "-c", code, seen_at],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
            start_new_session=True,
        )
        try:
            wait_for(lambda: _blocked(rt), "the writer's statement waiting for i-15's lock")
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait()
        finally:
            if writer.poll() is None:
                os.killpg(writer.pid, signal.SIGKILL)
        held.rollback()
    assert writer.stdout is not None and "written" not in writer.stdout.read()
    wait_for(lambda: _writing(rt) == 0, "the killed writer's transaction to end")
    assert len(changes(rt)) == before  # no change record of the killed write
    records, _, _ = rt.driver.execute_query(
        "MATCH (n:AWSInstance) WHERE n.instance_type <> 't3.micro' RETURN count(n)"
    )
    assert records[0][0] == 0  # and none of its writes
