"""The model: fields read their values from provider records, rows are checked against
the declared types, and kinds and catalogs refuse what would break the graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from model import Catalog, Field, Kind, Link, RowError, read

THING = Kind(
    provider="test",
    name="things",
    label="TestThing",
    scope=("account_id",),
    uid="Id",
    fields=(
        Field("size", int, path="Spec.Size"),
        Field("ratio", float, path="Ratio"),
        Field("on", bool, path="On"),
        Field("born", datetime, path="Born"),
        Field("labels", list, path=lambda r: sorted(r.get("Labels", []))),
        Field("name", path="Name"),
        Field("parent_id"),  # not read from the record
    ),
)


def test_a_path_reads_nested_keys_and_stops_at_a_missing_step() -> None:
    record = {"State": {"Name": "running"}, "Placement": None}
    assert read(record, "State.Name") == "running"
    assert read(record, "Placement.AvailabilityZone") is None
    assert read(record, "Nowhere.At.All") is None


def test_a_key_holding_the_whole_dotted_path_is_read_as_is() -> None:
    # Property collectors name values by their whole path.
    assert read({"summary.runtime.powerState": "poweredOn"}, "summary.runtime.powerState") == (
        "poweredOn"
    )


def test_a_path_reads_attributes_of_objects() -> None:
    class Runtime:
        powerState = "poweredOff"

    class VM:
        runtime = Runtime()

    assert read(VM(), "runtime.powerState") == "poweredOff"


def test_a_row_holds_the_uid_and_every_sourced_field() -> None:
    born = datetime(2024, 5, 1, tzinfo=UTC)
    row = THING.row(
        {
            "Id": "t-1",
            "Spec": {"Size": 3},
            "Ratio": 1,
            "On": True,
            "Born": born,
            "Labels": ["b", "a"],
        }
    )
    assert row == {
        "uid": "t-1",
        "size": 3,
        "ratio": 1,
        "on": True,
        "born": born,
        "labels": ["a", "b"],
        "name": None,
    }
    checked = THING.check(row)
    assert checked["ratio"] == 1.0 and isinstance(checked["ratio"], float)
    assert checked["parent_id"] is None  # declared, so written (as absent)


def test_a_record_without_a_uid_is_refused() -> None:
    with pytest.raises(RowError, match="TestThing: no uid"):
        THING.row({"Name": "x"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size", "3"),
        ("size", True),
        ("ratio", "1.5"),
        ("on", "yes"),
        ("born", "yesterday"),
        ("born", 1714521600),
        ("labels", ["a", 1]),
        ("labels", "a"),
        ("name", 7),
    ],
)
def test_a_value_of_the_wrong_type_names_kind_field_and_value(field: str, value: object) -> None:
    with pytest.raises(RowError) as caught:
        THING.check({"uid": "t-1", field: value})
    message = str(caught.value)
    assert f"TestThing.{field} of t-1" in message
    assert repr(value)[:20] in message


def test_a_time_field_keeps_provider_text_and_other_zones_as_a_utc_datetime() -> None:
    paris = timezone(timedelta(hours=2))
    for given in ("2024-05-01T12:00:00.000Z", datetime(2024, 5, 1, 14, tzinfo=paris)):
        born = THING.check({"uid": "t-1", "born": given})["born"]
        assert born == datetime(2024, 5, 1, 12, tzinfo=UTC) and born.tzinfo is UTC


def test_an_undeclared_key_is_refused_rather_than_dropped() -> None:
    with pytest.raises(RowError, match=r"undeclared field\(s\) \['sise'\]"):
        THING.check({"uid": "t-1", "sise": 3})


def test_fields_refuse_unknown_types_and_bad_names() -> None:
    with pytest.raises(ValueError, match="not one of"):
        Field("size", dict)
    with pytest.raises(ValueError, match="not a valid graph identifier"):
        Field("size-gib")


def test_a_kind_refuses_a_field_declared_twice_or_one_the_writer_owns() -> None:
    with pytest.raises(ValueError, match="more than once"):
        Kind("test", "xs", "TestX", (), "Id", (Field("a"), Field("a")))
    with pytest.raises(ValueError, match="set by the writer"):
        Kind("test", "xs", "TestX", (), "Id", (Field("last_seen", datetime),))


def test_an_owner_view_names_a_field_of_a_shared_kind() -> None:
    member = Link("HAS_X", "TestScope", "TestX", (("uid", "scope"),), "xs", "scopes")
    with pytest.raises(ValueError, match="shared between scopes"):
        Kind("test", "xs", "TestX", (), "Id", (Field("owner"),), owner_view=("owner", "id"))
    with pytest.raises(ValueError, match="names no field"):
        Kind("test", "xs", "TestX", (), "Id", (), member_of=member, owner_view=("owner", "id"))
    kind = Kind("test", "xs", "TestX", (), "Id", (Field("owner"),), member_of=member,
                owner_view=("owner", "id"))  # fmt: skip
    assert kind.owner_view == ("owner", "id")


def test_a_label_starts_with_its_providers_name() -> None:
    with pytest.raises(ValueError, match="label Instance must start with its provider's name"):
        Kind("aws", "instances", "Instance", (), "Id", ())
    assert Kind("vsphere", "vms", "VSphereVM", (), "uid", ()).label == "VSphereVM"


def test_names_follow_from_the_kind() -> None:
    kind = Kind("aws", "load-balancers", "AWSLoadBalancer", (), "Arn", ())
    assert kind.task == "aws:collect-load-balancers"
    assert Kind("vsphere", "vms", "VSphereVM", (), "uid", ()).task == "vsphere:collect-vms"
    assert kind.path == "/api/v1/aws/load-balancers"
    assert (kind.graphql_list, kind.graphql_item) == ("awsLoadBalancers", "awsLoadBalancer")


def _kind(label: str, name: str, links: tuple[Link, ...] = (), **fields: type) -> Kind:
    return Kind("test", name, label, (), "Id", tuple(Field(n, t) for n, t in fields.items()), links)


def test_a_catalog_refuses_links_to_unknown_labels_and_clashing_field_names() -> None:
    parent = _kind("TestParent", "parents")
    orphan = Link("HAS", "TestNobody", "TestChild", (("uid", "parent_id"),), "children", "parent")
    with pytest.raises(ValueError, match="unknown label TestNobody"):
        Catalog([parent, _kind("TestChild", "children", (orphan,), parent_id=str)])
    clash = Link("HAS", "TestParent", "TestChild", (("uid", "parent_id"),), "children", "parent")
    with pytest.raises(ValueError, match=r"TestChild has more than one field named \['parent'\]"):
        Catalog([parent, _kind("TestChild", "children", (clash,), parent_id=str, parent=str)])
    with pytest.raises(ValueError, match="declared twice"):
        Catalog([parent, _kind("TestParent", "others")])


def test_a_link_names_the_side_holding_a_list() -> None:
    with pytest.raises(ValueError, match="in_list"):
        Link("HAS", "A", "B", (("uid", "ids"),), "bs", "a", in_list="both")
