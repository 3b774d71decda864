"""The Python side of reading changes: the times the APIs and the CLI take, the cursors of
their pages, and a node rebuilt from its changes (graph.history.rebuild).  The reads
themselves run on Neo4j: tests/test_change_api.py."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import HTTPException

from api import cursors, times
from collectors import CATALOG
from graph.history import rebuild
from model.times import moment

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
INSTANCE = CATALOG.by_label["AWSInstance"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-06T04:26:25Z", datetime(2026, 12, 6, 4, 26, 25, tzinfo=UTC)),
        ("2026-12-06T05:26:25.5+01:00", datetime(2026, 12, 6, 4, 26, 25, 500000, tzinfo=UTC)),
        ("2026-12-06T04:26:25.123456789Z", datetime(2026, 12, 6, 4, 26, 25, 123456, tzinfo=UTC)),
        ("90m", NOW - timedelta(minutes=90)),
        ("1h", NOW - timedelta(hours=1)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("0s", NOW),
        # Pushed past the years Python has by its offset: that year's bound.
        ("0001-01-01T00:00:00+01:00", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:30:00-01:00", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_a_time_is_rfc_3339_or_a_span_back_from_now(text: str, expected: datetime) -> None:
    assert moment(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-12-06",  # a date alone
        "2026-12-06T04:26:25",  # no offset
        "2026-12-06 04:26:25Z",
        "2026-12-06t04:26:25z",
        "2026-02-30T00:00:00Z",
        "2026-12-06T24:00:00Z",
        "2026-12-06T23:59:60Z",  # leap seconds, as JSON Schema's date-time: refused
        "0000-01-01T00:00:00Z",
        "1y",
        "1 h",
        "-1h",
        "123456d",  # six digits: now minus it would be no time
    ],
)
def test_anything_else_is_refused_saying_what_is_taken(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339 time .* or a span back from now"):
        moment(text, NOW)


def test_only_spans_back_from_now_make_an_answer_move_with_the_clock() -> None:
    assert times.relative(b"since=1h&label=AWSInstance")
    assert times.relative(b"at=7d")
    assert times.relative(b"limit=5&until=30m")
    assert not times.relative(b"since=2026-12-06T04%3A26%3A25Z&until=2026-12-07T00%3A00%3A00Z")
    assert not times.relative(b"uid=1h&scope=2d")  # not a time parameter
    assert not times.relative(b"")


def test_a_position_cursor_goes_and_comes_back_and_any_of_its_form_is_a_position() -> None:
    position = (
        datetime(2026, 12, 6, 4, 26, 25, 123456, tzinfo=UTC),
        "5b8cb7e7-6dfe-42c9-a269-dfaecb1b1330",
    )
    cursor = cursors.encode_position(position)
    assert cursor is not None and len(cursor) == 32
    assert cursors.decode_position(cursor) == position
    assert cursors.encode_position(None) is None and cursors.decode_position(None) is None
    for text in ("A" * 32, "_" * 32, "-" * 32, "z9" * 16):
        at, id_ = cursors.decode_position(text)  # type: ignore[misc]
        assert at.tzinfo is UTC and len(id_) == 36
    # Times past Python's years: their bounds (0x80… is the most negative, 0x7d… past 9999).
    earliest, latest = (cursors.decode_position(t) for t in ("gA" + "A" * 30, "f" * 32))
    assert earliest is not None and earliest[0] == datetime.min.replace(tzinfo=UTC)
    assert latest is not None and latest[0] == datetime.max.replace(tzinfo=UTC)
    short = base64.urlsafe_b64encode(b"x" * 12).decode()
    with pytest.raises(HTTPException, match="invalid cursor"):
        cursors.decode_position(short)


def change(kind: str, at: int, **more: Any) -> dict[str, Any]:
    """A change about i-1 (or a relationship of it), ``at`` minutes after NOW."""
    return {"change": kind, "at": NOW + timedelta(minutes=at), "uid": "i-1",
            "label": "AWSInstance", "fields": [], **more}  # fmt: skip


def field(name: str, before: Any, after: Any) -> dict[str, Any]:
    return {"field": name, "before": before, "after": after}


def link(kind: str, at: int, subnet: str) -> dict[str, Any]:
    return change(kind, at, uid=subnet, label="AWSSubnet", type="HAS_INSTANCE",
                  target_uid="i-1", target_label="AWSInstance")  # fmt: skip


PRESENT = (
    {"uid": "i-1", "instance_type": "t3.large", "subnet_id": "subnet-b",
     "first_seen": "2026-12-06T12:00:00.000Z", "last_seen": "2026-12-06T13:00:00.000Z",
     "account_id": "111111111111", "region": "eu-west-1"},
    [{"type": "HAS_INSTANCE", "direction": "in", "label": "AWSSubnet", "uid": "subnet-b",
      "name": "b"}],
)  # fmt: skip
# Newest first: moved to subnet-b at +30, resized at +20; created at 0.
LATER = [
    link("linked", 30, "subnet-b"),
    link("unlinked", 30, "subnet-a"),
    change("updated", 30, fields=[field("subnet_id", "subnet-a", "subnet-b")]),
    change("updated", 20, fields=[field("instance_type", "t3.micro", "t3.large")]),
]


def test_a_node_is_rebuilt_by_undoing_the_changes_after_the_time() -> None:
    at = NOW + timedelta(minutes=10)
    past = rebuild(INSTANCE, "i-1", at, PRESENT, LATER)
    assert past is not None and (past.start, past.undone) == ("present", 4)
    assert (past.item["instance_type"], past.item["subnet_id"]) == ("t3.micro", "subnet-a")
    assert (past.item["account_id"], past.item["uid"]) == ("111111111111", "i-1")
    assert past.item["first_seen"] is None and past.item["last_seen"] is None
    assert {"first_seen", "last_seen"} <= set(past.untracked)
    assert "instance_type" not in past.untracked
    # The relationship it had then, whose name is not known now.
    assert past.links == [
        {"type": "HAS_INSTANCE", "direction": "in", "label": "AWSSubnet", "uid": "subnet-a",
         "name": None}
    ]  # fmt: skip
    # Nothing after: the node as it is, relationship names and all.
    now = rebuild(INSTANCE, "i-1", NOW + timedelta(hours=2), PRESENT, [])
    assert now is not None and now.links == PRESENT[1] and now.item["instance_type"] == "t3.large"
    # Before its first_seen (its creation no longer recorded): it was not there.
    assert rebuild(INSTANCE, "i-1", NOW - timedelta(minutes=1), PRESENT, LATER) is None


def test_a_deleted_node_is_rebuilt_from_its_deletion_and_a_created_one_was_not_there() -> None:
    scope = {"account_id": "111111111111", "region": "eu-west-1"}
    deleted = change("deleted", 40, fields=[field("instance_type", "t3.large", None)])
    deleted["scope_values"] = scope
    gone = [link("unlinked", 40, "subnet-b"), deleted, *LATER]
    past = rebuild(INSTANCE, "i-1", NOW + timedelta(minutes=35), None, gone[:2])
    assert past is not None and past.start == "deleted"
    assert (past.item["instance_type"], past.item["region"]) == ("t3.large", "eu-west-1")
    assert past.item["subnet_id"] is None  # not among the values it had
    assert [r["uid"] for r in past.links] == ["subnet-b"]
    assert rebuild(INSTANCE, "i-1", NOW + timedelta(minutes=45), None, []) is None
    # Created again at +50 after its deletion at +40: not there between, there before.
    again = [change("created", 50, fields=[field("instance_type", None, "t3.nano")])]
    present = ({**PRESENT[0], "first_seen": "2026-12-06T12:50:00.000Z"}, [])
    assert rebuild(INSTANCE, "i-1", NOW + timedelta(minutes=45), present, again) is None
    before = rebuild(INSTANCE, "i-1", NOW + timedelta(minutes=35), present, again + gone[:2])
    assert before is not None and before.item["instance_type"] == "t3.large"
