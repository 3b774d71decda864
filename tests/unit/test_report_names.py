"""Every name a report's Cypher uses is one the graph holds.

Report tests build their own graphs, so a renamed field would empty a report while every
test passed.  Here each report's labels, relationship types, hops (which label links to
which, which way) and properties, each property read on the labels bound to its variable,
are checked against the catalog's kinds, fields and links and what the graph layer writes
of its own: its collection records and the times on every link, read from the statements
it runs (see ``tests/unit/cypher_names.py`` for how the Cypher is read).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from collectors import CATALOG, PROVIDERS
from graph import changes, links, reports, status
from graph.writer import Writer
from model import Catalog, Kind
from tests.unit.cypher_names import NODE, Binding, CypherError, Schema, read


class _Recorder:
    """A driver that keeps each statement run with its parameters and answers zeros."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def execute_query(
        self, query: str, parameters_: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[list[dict[str, int]], None, None]:
        params = {k: v for k, v in kwargs.items() if not k.endswith("_")}
        self.statements.append((query, {**(parameters_ or {}), **params}))
        zeros = {"linked": 0, "removed": 0, "added": 0, "created": 0, "updated": 0}
        zeros["owner_created"] = 0
        return [{**zeros, "unlinked": []}], None, None


def graph_writes(catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """The statements the graph layer runs to write every kind, link and collection record."""
    driver: Any = _Recorder()
    now = datetime.now(UTC)
    for kind in catalog.kinds:
        payload = dict.fromkeys(PROVIDERS[kind.provider].payload.model_fields, "x")
        scope = dict.fromkeys(kind.scope, "x")
        status.succeeded(driver, "db", kind, payload, scope, now, "task", 0)
        status.failed(driver, "db", kind, payload, "error", "task")
        owner = {"uid": "owner", "props": {}} if kind.member_of else None
        Writer(driver, "db").write(kind, [{"uid": "u"}], scope, now, owner)
    for link in catalog.derived:
        links.refresh(driver, catalog, link, {}, now, "db")
    return driver.statements


def schema_of(catalog: Catalog) -> Schema:
    """What the graph holds: the catalog's kinds and links, and what the graph layer writes."""
    nodes = {k.label: {f.name for f in k.all_fields} for k in catalog.kinds}
    # graph.changes sets the values' properties by name (rec['before_' + f]).
    nodes[changes.LABEL] = {p for k in catalog.kinds for p in changes.value_properties(k)}
    rels: dict[str, set[str]] = {lk.type: set() for lk in catalog.links}
    for statement, params in graph_writes(catalog):
        for on, prop in read(statement, params).writes:
            for name in on.names:
                (nodes if on.what == NODE else rels).setdefault(name, set()).add(prop)
    return Schema(
        nodes={label: frozenset(props) for label, props in nodes.items()},
        rels={type_: frozenset(props) for type_, props in rels.items()},
        links=frozenset((lk.source, lk.type, lk.target) for lk in catalog.links),
    )


def report_problems(catalog: Catalog) -> list[str]:
    """Each name a report uses that the graph ``catalog`` describes lacks, report first."""
    schema = schema_of(catalog)
    out = []
    for name, report in reports.catalog().items():
        out += [f"{name}: {problem}" for problem in schema.problems(read(report.query))]
        for label, prop in report.indexes:
            if prop not in schema.nodes.get(label, ()):
                out.append(f"{name}: index: {label}({prop}): no such property")
    return out


def test_every_report_names_only_what_the_graph_holds() -> None:
    problems = report_problems(CATALOG)
    assert not problems, "\n".join(problems)


def test_what_the_graph_layer_writes_of_its_own_is_known() -> None:
    schema = schema_of(CATALOG)
    collection = schema.nodes[status.LABEL]
    # graph.status: its MERGE key, SET items and the keys of its $props (the task's payload
    # and the scope's properties).
    assert {"uid", "label", "provider", "task", "last_success", "last_failure"} <= collection
    assert {"last_error", "failures_since_success", "account", "region", "vcenter"} <= collection
    assert schema.rels["HAS_SUBNET"] == {"first_seen"}  # graph.links: made, never rewritten
    assert schema.rels["HAS_IMAGE"] == {"first_seen", "last_seen"}  # a membership (writer)
    # graph.changes: what every write records, with its scope and tracked fields' values.
    change = schema.nodes["InventoryChange"]
    assert {"id", "at", "task_id", "change", "uid", "label", "provider", "scope"} <= change
    assert {"fields", "type", "target_uid", "target_label", "account_id", "vcenter"} <= change
    assert {"before_instance_type", "after_instance_type"} <= change


def _renamed_field(catalog: Catalog, label: str, old: str, new: str) -> Catalog:
    def rename(kind: Kind) -> Kind:
        if kind.label != label:
            return kind
        fields = [dataclasses.replace(f, name=new) if f.name == old else f for f in kind.fields]
        assert [f.name for f in fields] != [f.name for f in kind.fields], f"{label} has no {old}"
        return dataclasses.replace(kind, fields=tuple(fields))

    return Catalog(rename(kind) for kind in catalog.kinds)


def test_a_renamed_field_fails_each_report_that_reads_it() -> None:
    renamed = _renamed_field(CATALOG, "AWSVolume", "size_gib", "size_gb")
    assert report_problems(renamed) == [
        "stopped-instances: line 13: v.size_gib: AWSVolume has no property 'size_gib'",
        "unattached-volumes: line 15: v.size_gib: AWSVolume has no property 'size_gib'",
    ]
    # A field other kinds have under that name is still missing from this one.
    renamed = _renamed_field(CATALOG, "AWSSecurityGroup", "vpc_id", "group_vpc_id")
    assert report_problems(renamed) == [
        "security-group-changes: line 49: g.vpc_id: AWSSecurityGroup has no property 'vpc_id'",
        "unused-security-groups: line 15: g.vpc_id: AWSSecurityGroup has no property 'vpc_id'",
        "unused-security-groups: line 18: g.vpc_id: AWSSecurityGroup has no property 'vpc_id'",
        "unused-security-groups: line 21: g.vpc_id: AWSSecurityGroup has no property 'vpc_id'",
    ]
    # A report's index: lines name properties too.
    renamed = _renamed_field(CATALOG, "AWSLoadBalancer", "vpc_id", "lb_vpc_id")
    assert report_problems(renamed) == [
        "unused-security-groups: line 18: lb.vpc_id: AWSLoadBalancer has no property 'vpc_id'",
        "unused-security-groups: index: AWSLoadBalancer(vpc_id): no such property",
    ]


def test_a_renamed_relationship_fails_each_report_that_follows_it() -> None:
    lb = CATALOG.by_label["AWSLoadBalancer"]
    moved = [
        dataclasses.replace(lk, type="TARGETS") if lk.type == "ROUTES_TO" else lk for lk in lb.links
    ]
    kinds = [dataclasses.replace(k, links=tuple(moved)) if k is lb else k for k in CATALOG.kinds]
    assert report_problems(Catalog(kinds)) == [
        "idle-load-balancers: line 13: no relationship type ROUTES_TO",
    ]


# The checker itself, against a small schema of its own.
SCHEMA = Schema(
    nodes={
        "Instance": frozenset({"uid", "state", "name"}),
        "Volume": frozenset({"uid", "size_gib", "name"}),
        "Host": frozenset({"uid", "name"}),
        "VM": frozenset({"uid", "name", "power_state"}),
    },
    rels={"HAS_VOLUME": frozenset({"first_seen"}), "RUNS": frozenset()},
    links=frozenset({("Instance", "HAS_VOLUME", "Volume"), ("Host", "RUNS", "VM")}),
)
CASES = {
    "strings, comments and backticks are not names": (
        """MATCH (v:Volume) // v.nope (x:Nope)
        WHERE v.name = 'v.nope (:Nope)' AND v.name <> "[:NOPE]" /* v.nope */
        RETURN v.`size_gib` AS `v.nope`""",
        [],
    ),
    "a property is read on the label bound to its variable": (
        "MATCH (i:Instance)-[:HAS_VOLUME]->(v:Volume) RETURN i.size_gib, v.state, v.uid",
        [
            "line 1: i.size_gib: Instance has no property 'size_gib'",
            "line 1: v.state: Volume has no property 'state'",
        ],
    ),
    "function maps, namespaced functions, parameters and values are no properties": (
        """WITH duration({days: $min_age}) AS d, $scope.nope AS p
        MATCH (v:Volume) WHERE v.name IS :: STRING
        RETURN duration.inDays(v.uid, d).days, {nope: 1}, v.name.nope, d.nope, p.nope""",
        [],
    ),
    "WITH carries and renames variables; names it drops can be bound anew": (
        """MATCH (v:VM) WITH v AS vm, v.name AS name
        MATCH (v:Volume) RETURN vm.power_state, v.size_gib, vm.size_gib, name""",
        ["line 2: vm.size_gib: VM has no property 'size_gib'"],
    ),
    "subqueries see the outer scope, keep theirs, and CALL returns into it": (
        """MATCH (v:Volume)
        WHERE EXISTS { MATCH (v)<-[:HAS_VOLUME]-(i:Instance) WHERE i.state = 'stopped' }
          AND COUNT { (:Host)-[:RUNS]->(:VM) } > 0
        CALL (v) { MATCH (i:Host) RETURN i }
        RETURN v.size_gib, i.state""",
        ["line 5: i.state: Host has no property 'state'"],
    ),
    "unknown labels and types, and links the wrong way round": (
        """MATCH (v:Volume)-[:HAS_VOLUME]->(i:Instance), (d:Disk), (i)-[:HAS_DISK]->(v)
        WHERE v:Nope RETURN d.size""",
        [
            "line 1: no label Disk",
            "line 1: no relationship type HAS_DISK",
            "line 2: no label Nope",
            "line 1: no link (Volume)-[:HAS_VOLUME]->(Instance) in the catalog",
        ],
    ),
    "an unlabelled node has what any label has": (
        "MATCH (n) WHERE n.power_state = 'on' OR n.size_gib > 1 RETURN n.nope, labels(n)[0]",
        ["line 1: n.nope: no label has 'nope'"],
    ),
    "pattern maps, map projections and relationship properties": (
        """MATCH (v:Volume {size_gb: 1})<-[r:HAS_VOLUME {since: 1}]-(:Instance)
        RETURN v {.name, .size_gb, total: v.size_gib}, r.first_seen, {size_gb: 2} AS m""",
        [
            "line 1: v.size_gb: Volume has no property 'size_gb'",
            "line 1: r.since: HAS_VOLUME has no property 'since'",
            "line 2: v.size_gb: Volume has no property 'size_gb'",
        ],
    ),
    "comprehensions bind their own values": (
        "MATCH (v:Volume) RETURN [x IN v.attachments WHERE x.a | x.b], any(y IN [1] WHERE y.c)",
        ["line 1: v.attachments: Volume has no property 'attachments'"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_checker(case: str) -> None:
    query, expected = CASES[case]
    assert SCHEMA.problems(read(query)) == expected


def test_the_checker_refuses_what_it_cannot_read() -> None:
    with pytest.raises(CypherError, match="line 2"):
        read("MATCH (v:Volume)\nWHERE v.name = 'open")
    with pytest.raises(CypherError, match="unclosed"):
        read("MATCH (v:Volume RETURN v")


def test_writes_are_set_items_merge_keys_and_the_keys_of_a_map_parameter() -> None:
    names = read(
        "MERGE (c:Record {uid: $uid}) ON CREATE SET c.first = 1 SET c += $props, c.at = 2",
        {"props": {"a": 1, "b": 2}},
    )
    record = Binding(NODE, frozenset({"Record"}))
    assert sorted(names.writes, key=str) == [
        (record, "a"),
        (record, "at"),
        (record, "b"),
        (record, "first"),
        (record, "uid"),
    ]
