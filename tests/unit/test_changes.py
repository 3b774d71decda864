"""The Python side of change records (graph.changes): counts, scope text and which fields
the recording statements name.  The comparison itself is Cypher: tests/test_changes.py."""

from __future__ import annotations

from collectors import CATALOG
from graph import changes
from graph.changes import ChangeLog

SUBNET = CATALOG.by_label["AWSSubnet"]
DATASTORE = CATALOG.by_label["VSphereDatastore"]


def test_a_change_log_counts_per_name_and_change_and_tells_as_it_goes() -> None:
    told: list[tuple[str, str, int]] = []
    log = ChangeLog("t-1", lambda *args: told.append(args))
    log.count("AWSInstance", "created", 2)
    log.count("AWSInstance", "updated", 0)  # nothing to count, nothing told
    log.unlinked(["RUNS", "RUNS", "HAS_VOLUME"])
    assert log.counts == {
        ("AWSInstance", "created"): 2,
        ("RUNS", "unlinked"): 2,
        ("HAS_VOLUME", "unlinked"): 1,
    }
    assert log.summary() == {"created": 2, "unlinked": 3}
    assert told[0] == ("AWSInstance", "created", 2) and len(told) == 4


def test_scope_text_follows_the_kinds_order() -> None:
    scope = {"region": "eu-west-1", "account_id": "111111111111"}
    assert changes.scope_text(scope, SUBNET.scope) == "111111111111/eu-west-1"
    assert changes.scope_text({"vcenter": "vc-a"}, DATASTORE.scope) == "vc-a"


def test_untracked_and_common_fields_are_never_named_by_the_recording() -> None:
    assert "free_bytes" not in DATASTORE.tracked and "capacity_bytes" in DATASTORE.tracked
    for kind in CATALOG.kinds:
        assert not {"uid", "first_seen", "last_seen"} & set(kind.tracked)
    written = "".join(changes.written_record(SUBNET).values())
    deleted = changes.deleted_record(SUBNET)
    assert ".cidr_block" in written and "before_cidr_block" in deleted
    assert "available_ip_count" not in written + deleted
    assert "after_cidr_block" in changes.value_properties(SUBNET)
    assert "after_available_ip_count" not in changes.value_properties(SUBNET)


def test_a_digest_is_of_the_tracked_values_of_a_whole_row() -> None:
    row = SUBNET.check({"uid": "subnet-1", "cidr_block": "10.0.0.0/24", "tags": ["a=b"]})
    digest = changes.with_digest(SUBNET, dict(row))[changes.DIGEST]
    assert digest and changes.with_digest(SUBNET, dict(row))[changes.DIGEST] == digest
    # An untracked value moved: the same digest (the write records nothing).
    moved = {**row, "available_ip_count": 7}
    assert changes.with_digest(SUBNET, moved)[changes.DIGEST] == digest
    for other in ({"cidr_block": "10.0.1.0/24"}, {"tags": ["a=c"]}, {"tags": None}):
        assert changes.with_digest(SUBNET, {**row, **other})[changes.DIGEST] != digest, other
    # A tracked value unknown this time (left out of the row): no digest, so the node's
    # goes too and its next write compares field by field.
    partial = {k: v for k, v in row.items() if k != "tags"}
    assert changes.with_digest(SUBNET, partial)[changes.DIGEST] is None
