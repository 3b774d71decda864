"""The graph layer on a real Neo4j: batched writes, scoped cleanup, links and migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors import CATALOG
from graph import links, schema, status
from worker.runtime import Runtime

VPC = CATALOG.by_label["AWSVPC"]
SUBNET = CATALOG.by_label["AWSSubnet"]
INSTANCE = CATALOG.by_label["AWSInstance"]
EU = {"account_id": "111111111111", "region": "eu-west-1"}
US = {"account_id": "111111111111", "region": "us-east-1"}


def count(rt: Runtime, query: str, **params) -> int:
    records, _, _ = rt.driver.execute_query(query, params)
    return records[0][0]


def node(rt: Runtime, label: str, uid: str) -> dict:
    records, _, _ = rt.driver.execute_query(f"MATCH (n:{label} {{uid: $uid}}) RETURN n", uid=uid)
    return dict(records[0]["n"]) if records else {}


def instances(n: int, subnet: str, prefix: str = "i-") -> list[dict]:
    return [
        {"uid": f"{prefix}{i}", "instance_id": f"{prefix}{i}", "subnet_id": subnet}
        for i in range(n)
    ]


def test_migrate_is_idempotent_and_covers_every_label(migrated: Runtime) -> None:
    def indexes() -> list[str]:
        records, _, _ = migrated.driver.execute_query("SHOW INDEXES YIELD name RETURN name")
        return sorted(r["name"] for r in records)

    before = indexes()
    schema.migrate(migrated.driver, CATALOG, "neo4j")  # a second run
    assert indexes() == before  # creates nothing new, and fails on nothing
    records, _, _ = migrated.driver.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties WHERE properties = ['uid'] "
        "RETURN collect(labelsOrTypes[0]) AS labels"
    )
    assert set(records[0]["labels"]) >= {k.label for k in CATALOG.kinds}
    assert len(before) >= len(schema.statements(CATALOG))  # every statement made an index


def test_uid_constraint_rejects_duplicates(migrated: Runtime, clean_graph: Runtime) -> None:
    from neo4j.exceptions import ConstraintError

    migrated.driver.execute_query("CREATE (:AWSVPC {uid: 'vpc-dup'})")
    with pytest.raises(ConstraintError):
        migrated.driver.execute_query("CREATE (:AWSVPC {uid: 'vpc-dup'})")


def test_writer_batches_and_keeps_first_seen(clean_graph: Runtime) -> None:
    rt = clean_graph
    rt.writer.batch_size = 7
    t1 = rt.writer.now()
    assert rt.writer.write(INSTANCE, instances(50, "subnet-a"), EU, t1) == 50
    first = node(rt, "AWSInstance", "i-3")
    t2 = t1 + timedelta(seconds=5)
    rt.writer.write(INSTANCE, instances(50, "subnet-a"), EU, t2)
    again = node(rt, "AWSInstance", "i-3")
    assert count(rt, "MATCH (n:AWSInstance) RETURN count(n)") == 50
    assert again["first_seen"] == first["first_seen"]
    assert again["last_seen"].to_native() == t2
    assert again["account_id"] == EU["account_id"] and again["region"] == "eu-west-1"


def test_writer_removes_properties_the_provider_no_longer_reports(clean_graph: Runtime) -> None:
    rt = clean_graph
    t = rt.writer.now()
    rt.writer.write(INSTANCE, [{"uid": "i-x", "public_ip": "1.2.3.4"}], EU, t)
    rt.writer.write(INSTANCE, [{"uid": "i-x"}], EU, t)
    assert "public_ip" not in node(rt, "AWSInstance", "i-x")


def test_last_seen_never_moves_back(clean_graph: Runtime) -> None:
    rt = clean_graph
    late = rt.writer.now()
    rt.writer.write(VPC, [{"uid": "vpc-1"}], EU, late)
    rt.writer.write(VPC, [{"uid": "vpc-1"}], EU, late - timedelta(minutes=1))
    assert node(rt, "AWSVPC", "vpc-1")["last_seen"].to_native() == late


def test_stale_cleanup_stays_in_its_scope(clean_graph: Runtime) -> None:
    rt = clean_graph
    rt.writer.batch_size = 3
    t1 = rt.writer.now()
    rt.writer.write(INSTANCE, instances(10, "subnet-eu", "i-eu-"), EU, t1)
    rt.writer.write(INSTANCE, instances(4, "subnet-us", "i-us-"), US, t1)
    t2 = t1 + timedelta(seconds=1)
    rt.writer.write(INSTANCE, instances(6, "subnet-eu", "i-eu-"), EU, t2)  # 4 EU ones gone
    assert rt.writer.remove_stale(INSTANCE, EU, t2) == 4
    assert count(rt, "MATCH (n:AWSInstance {region: 'eu-west-1'}) RETURN count(n)") == 6
    assert count(rt, "MATCH (n:AWSInstance {region: 'us-east-1'}) RETURN count(n)") == 4


def test_cleanup_refuses_an_incomplete_scope(clean_graph: Runtime) -> None:
    with pytest.raises(ValueError, match="lacks"):
        clean_graph.writer.remove_stale(INSTANCE, {"account_id": "1"}, datetime.now(UTC))


def test_housekeeper_keeps_what_failing_collections_could_not_see(clean_graph: Runtime) -> None:
    rt = clean_graph
    db = rt.settings.neo4j.database
    old = rt.writer.now() - timedelta(days=10)
    # Three scopes with a node not seen for ten days each: EU has been collected with
    # success since; US was collected with success then, and has only failed since (a
    # permission missing for one call); the third is not collected any more.
    nowhere = {"account_id": "222222222222", "region": "eu-west-1"}
    for scope, uid in ((EU, "vpc-eu-old"), (US, "vpc-us-old"), (nowhere, "vpc-nowhere-old")):
        rt.writer.write(VPC, [{"uid": uid}], scope, old)
    rt.writer.write(VPC, [{"uid": "vpc-eu-new"}], EU, rt.writer.now())
    eu, us = {"account": "a", "region": "eu-west-1"}, {"account": "a", "region": "us-east-1"}
    status.succeeded(rt.driver, db, VPC, eu, EU, rt.writer.now(), "t-1", 0)
    status.succeeded(rt.driver, db, VPC, us, US, old, "t-0", 0)
    status.failed(rt.driver, db, VPC, us, "UnauthorizedOperation", "t-2")

    removed, kept = rt.writer.housekeep(VPC, rt.writer.now() - timedelta(days=7))
    assert removed == 2
    assert not node(rt, "AWSVPC", "vpc-eu-old") and node(rt, "AWSVPC", "vpc-eu-new")
    assert not node(rt, "AWSVPC", "vpc-nowhere-old")
    assert node(rt, "AWSVPC", "vpc-us-old")
    assert kept == [{"account_id": "111111111111", "region": "us-east-1", "kept": 1}]

    # Once US succeeds again without seeing it, it goes.
    status.succeeded(rt.driver, db, VPC, us, US, rt.writer.now(), "t-3", 0)
    removed, kept = rt.writer.housekeep(VPC, rt.writer.now() - timedelta(days=7))
    assert (removed, kept) == (1, [])


def test_links_follow_a_moved_instance(clean_graph: Runtime) -> None:
    rt = clean_graph
    link = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")
    t1 = rt.writer.now()
    rt.writer.write(SUBNET, [{"uid": "subnet-a"}, {"uid": "subnet-b"}], EU, t1)
    rt.writer.write(INSTANCE, instances(5, "subnet-a"), EU, t1)
    first = links.refresh(rt.driver, CATALOG, link, EU, t1, "neo4j")
    assert (first.linked, first.removed) == (5, 0)

    t2 = t1 + timedelta(seconds=1)
    moved = instances(5, "subnet-a")
    moved[0]["subnet_id"] = "subnet-b"
    rt.writer.write(INSTANCE, moved, EU, t2)
    second = links.refresh(rt.driver, CATALOG, link, EU, t2, "neo4j")
    assert (second.linked, second.removed) == (5, 1)
    q = "MATCH (s:AWSSubnet)-[:HAS_INSTANCE]->(:AWSInstance {uid: 'i-0'}) RETURN collect(s.uid)"
    records, _, _ = rt.driver.execute_query(q)
    assert records[0][0] == ["subnet-b"]


def test_link_refresh_leaves_other_scopes_alone(clean_graph: Runtime) -> None:
    rt = clean_graph
    link = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")
    t1 = rt.writer.now()
    for scope, subnet in ((EU, "subnet-eu"), (US, "subnet-us")):
        rt.writer.write(SUBNET, [{"uid": subnet}], scope, t1)
        rt.writer.write(INSTANCE, instances(3, subnet, f"i-{subnet}-"), scope, t1)
        links.refresh(rt.driver, CATALOG, link, scope, t1, "neo4j")
    later = t1 + timedelta(seconds=1)
    links.refresh(rt.driver, CATALOG, link, EU, later, "neo4j")
    assert count(rt, "MATCH ()-[r:HAS_INSTANCE]->({region: 'us-east-1'}) RETURN count(r)") == 3
    assert count(rt, "MATCH ()-[r:HAS_INSTANCE]->() RETURN count(r)") == 6


def test_a_shared_image_lives_while_any_scope_still_sees_it(clean_graph: Runtime) -> None:
    rt = clean_graph
    image = CATALOG.by_label["AWSImage"]
    a = {"uid": "111111111111:eu-west-1", "props": {"account_id": "111111111111"}}
    b = {"uid": "222222222222:eu-west-1", "props": {"account_id": "222222222222"}}
    region = {"region": "eu-west-1"}
    t1 = rt.writer.now()
    for owner in (a, b):
        rt.writer.write(
            image, [{"uid": "ami-shared"}, {"uid": f"ami-{owner['uid'][:3]}"}], region, t1, owner
        )
    assert count(rt, "MATCH (i:AWSImage) RETURN count(i)") == 3
    assert count(rt, "MATCH ()-[r:HAS_IMAGE]->(:AWSImage {uid: 'ami-shared'}) RETURN count(r)") == 2

    t2 = t1 + timedelta(seconds=1)
    rt.writer.write(image, [], region, t2, a)  # scope a no longer sees any image
    assert rt.writer.remove_stale(image, region, t2, a) == 1  # only its own image goes
    assert node(rt, "AWSImage", "ami-shared")  # b still sees it
    assert count(rt, "MATCH ()-[r:HAS_IMAGE]->(:AWSImage {uid: 'ami-shared'}) RETURN count(r)") == 1

    rt.writer.remove_stale(image, region, t2, b)
    assert count(rt, "MATCH (i:AWSImage) RETURN count(i)") == 0


def test_a_shared_image_holds_one_view_its_owners_first(clean_graph: Runtime) -> None:
    """Accounts see one image differently (its tags are its owner's alone; moto copies a
    public image per account): the node holds its owner's view, else the first scope's
    while that scope sees it, so that views taking turns record no change every run."""
    from graph.changes import ChangeLog

    rt = clean_graph
    image = CATALOG.by_label["AWSImage"]
    region = {"region": "eu-west-1"}

    def scope(account: str) -> dict:
        return {"uid": f"{account}:eu-west-1", "props": {"account_id": account}}

    owner, other, third = scope("111111111111"), scope("222222222222"), scope("333333333333")

    def view(tags: list[str], description: str, owner_id: str = "111111111111") -> list:
        return [{"uid": "ami-x", "owner_id": owner_id, "tags": tags, "description": description}]

    def write(who: dict, rows: list, at: datetime) -> ChangeLog:
        log = ChangeLog()
        rt.writer.write(image, rows, region, at, who, log)
        return log

    t1 = rt.writer.now()
    write(other, view([], "seen by 222"), t1)
    assert write(owner, view(["team=x"], "seen by 111"), t1).counts[("AWSImage", "updated")] == 1
    for n, who in enumerate((other, third, owner, other), start=1):
        log = write(who, view([] if who is not owner else ["team=x"], "seen by x"), t1)
        assert log.counts[("AWSImage", "updated")] == (1 if who is owner else 0), n
    # The owner's description changed in its last write; the others' were never taken.
    got = node(rt, "AWSImage", "ami-x")
    assert (got["tags"], got["description"]) == (["team=x"], "seen by x")
    assert got["view_of"] == owner["uid"]

    # An image no scope here owns: the first view holds until its scope no longer sees it.
    public = "ami-public"
    rows = {
        who["uid"]: [{"uid": public, "owner_id": "999", "description": who["uid"]}]
        for who in (other, third)
    }
    t2 = t1 + timedelta(seconds=1)
    write(other, rows[other["uid"]], t2)
    later = t2 + timedelta(milliseconds=500)
    log = write(third, rows[third["uid"]], later)
    assert dict(log.counts) == {("HAS_IMAGE", "linked"): 1}  # its membership, no update
    got = node(rt, "AWSImage", public)
    assert (got["description"], got["last_seen"].to_native()) == (other["uid"], later)
    t3 = t2 + timedelta(seconds=1)
    write(other, [], t3)
    rt.writer.remove_stale(image, region, t3, other)  # 222 no longer sees it
    log = write(third, rows[third["uid"]], t3)
    assert log.counts[("AWSImage", "updated")] == 1
    assert node(rt, "AWSImage", public)["description"] == third["uid"]


def test_referenced_values_are_read_and_those_the_scope_lacks_found(clean_graph: Runtime) -> None:
    """What a collection reads instead of listing another kind again (an instance's
    image_id, subnet_id): the distinct values in one scope; with ``missing_from``, those
    naming no node of that kind in the scope (a shared kind: none its owner links to)."""
    from graph import references

    rt, db = clean_graph, clean_graph.settings.neo4j.database
    instance, subnet, image = (
        CATALOG.by_label[k] for k in ("AWSInstance", "AWSSubnet", "AWSImage")
    )
    here = {"account_id": "111111111111", "region": "eu-west-1"}
    there = {"account_id": "222222222222", "region": "eu-west-1"}
    owner = {"uid": "111111111111:eu-west-1", "props": {"account_id": "111111111111"}}
    other = {"uid": "222222222222:eu-west-1", "props": {"account_id": "222222222222"}}
    at = rt.writer.now()
    mine = [
        {"uid": "i-1", "subnet_id": "subnet-a", "image_id": "ami-1"},
        {"uid": "i-2", "subnet_id": "subnet-a", "image_id": "ami-2"},
        {"uid": "i-3", "subnet_id": "subnet-b"},
    ]
    rt.writer.write(instance, mine, here, at)
    rt.writer.write(instance, [{"uid": "i-9", "subnet_id": "subnet-c"}], there, at)
    rt.writer.write(subnet, [{"uid": "subnet-a"}], here, at)
    rt.writer.write(subnet, [{"uid": "subnet-b"}], there, at)  # another scope's
    rt.writer.write(image, [{"uid": "ami-1"}], {"region": "eu-west-1"}, at, owner)
    rt.writer.write(image, [{"uid": "ami-2"}], {"region": "eu-west-1"}, at, other)

    def read(field: str, **kw: object) -> list:
        return sorted(references.values(rt.driver, db, instance, field, here, **kw))

    assert read("subnet_id") == ["subnet-a", "subnet-b"]
    assert read("image_id") == ["ami-1", "ami-2"]
    assert read("subnet_id", missing_from=subnet) == ["subnet-b"]
    assert read("image_id", missing_from=image, owner=owner) == ["ami-2"]  # 222's only
    with pytest.raises(ValueError, match="shared"):
        read("image_id", missing_from=image)


def test_a_shared_kind_cannot_be_written_without_its_owner(clean_graph: Runtime) -> None:
    image = CATALOG.by_label["AWSImage"]
    with pytest.raises(ValueError, match="shared"):
        clean_graph.writer.write(image, [{"uid": "ami-1"}], {"region": "x"}, datetime.now(UTC))


def test_concurrent_writers_on_shared_nodes_all_succeed(clean_graph: Runtime) -> None:
    """Sixteen collections at once, as a pool per priority runs them: every scope writes
    the same 200 shared images (locks on the same nodes from every writer) and instances
    linked to subnets of one scope, each in batches of 50. Neo4j's lock conflicts between
    them are transient errors the driver retries; none may reach the caller or lose a row."""
    from concurrent.futures import ThreadPoolExecutor

    from graph.writer import Writer

    rt = clean_graph
    image = CATALOG.by_label["AWSImage"]
    link = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")
    writer = Writer(rt.driver, "neo4j", batch_size=50)
    shared = [{"uid": f"ami-{n:03d}"} for n in range(200)]
    t1 = writer.now()
    writer.write(SUBNET, [{"uid": f"subnet-{n}"} for n in range(4)], EU, t1)
    accounts = [f"{300000000000 + n:012d}" for n in range(16)]

    def collect(account: str) -> int:
        scope = {"account_id": account, "region": "eu-west-1"}
        owner = {"uid": f"{account}:eu-west-1", "props": {"account_id": account}}
        writer.write(image, shared, {"region": "eu-west-1"}, t1, owner)
        rows = instances(100, "", f"i-{account}-")
        for n, row in enumerate(rows):
            row["subnet_id"] = f"subnet-{n % 4}"
        writer.write(INSTANCE, rows, scope, t1)
        return links.refresh(rt.driver, CATALOG, link, scope, t1, "neo4j").linked

    with ThreadPoolExecutor(16) as pool:
        linked = list(pool.map(collect, accounts))
    assert linked == [100] * 16
    assert count(rt, "MATCH (i:AWSImage) RETURN count(i)") == 200
    assert count(rt, "MATCH ()-[r:HAS_IMAGE]->(:AWSImage) RETURN count(r)") == 200 * 16
    assert count(rt, "MATCH (:AWSSubnet)-[r:HAS_INSTANCE]->() RETURN count(r)") == 1600
