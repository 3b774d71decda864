"""The service's own catalog: every provider's kinds fit together and follow the contract."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

from collectors import CATALOG, PROVIDERS
from graph import schema

# DESIGN §4: labels and relationships that checks outside the project rely on.
CONTRACT_LINKS = {
    ("AWSAccount", "HAS_REGION", "AWSRegion"),
    ("AWSRegion", "HAS_ZONE", "AWSAvailabilityZone"),
    ("AWSRegion", "HAS_VPC", "AWSVPC"),
    ("AWSVPC", "HAS_SUBNET", "AWSSubnet"),
    ("AWSSubnet", "IN_ZONE", "AWSAvailabilityZone"),
    ("AWSSubnet", "HAS_INSTANCE", "AWSInstance"),
    ("AWSInstance", "USES_IMAGE", "AWSImage"),
    ("AWSRegion", "HAS_IMAGE", "AWSImage"),
    ("AWSInstance", "HAS_INTERFACE", "AWSNetworkInterface"),
    ("AWSNetworkInterface", "IN_SUBNET", "AWSSubnet"),
    ("AWSVPC", "HAS_SECURITY_GROUP", "AWSSecurityGroup"),
    ("AWSInstance", "IN_SECURITY_GROUP", "AWSSecurityGroup"),
    ("AWSVPC", "HAS_LOAD_BALANCER", "AWSLoadBalancer"),
    ("AWSLoadBalancer", "ROUTES_TO", "AWSInstance"),
    ("AWSRegion", "HAS_BUCKET", "AWSBucket"),
    ("AWSInstance", "HAS_VOLUME", "AWSVolume"),
    ("AWSElasticIP", "ASSIGNED_TO", "AWSInstance"),
    ("AWSElasticIP", "ASSIGNED_TO", "AWSNetworkInterface"),
    ("AWSRegion", "HAS_ADDRESS", "AWSElasticIP"),
    ("AWSVolume", "HAS_SNAPSHOT", "AWSSnapshot"),
    ("AWSRegion", "HAS_SNAPSHOT", "AWSSnapshot"),
    ("AWSSubnet", "HAS_NAT_GATEWAY", "AWSNatGateway"),
    ("AWSNatGateway", "USES_ADDRESS", "AWSElasticIP"),
    ("VSphereVCenter", "HAS_DATACENTER", "VSphereDatacenter"),
    ("VSphereDatacenter", "HAS_CLUSTER", "VSphereCluster"),
    ("VSphereCluster", "HAS_HOST", "VSphereHost"),
    ("VSphereDatacenter", "HAS_HOST", "VSphereHost"),
    ("VSphereHost", "RUNS", "VSphereVM"),
    ("VSphereVM", "USES_DATASTORE", "VSphereDatastore"),
    ("VSphereVM", "CONNECTED_TO", "VSphereNetwork"),
    ("VSphereHost", "MOUNTS", "VSphereDatastore"),
    ("VSphereDatacenter", "HAS_DATASTORE", "VSphereDatastore"),
    ("VSphereDatacenter", "HAS_NETWORK", "VSphereNetwork"),
}
CONTRACT_PROPERTIES = {
    "AWSAccount": {"account_id", "name"},
    "AWSRegion": {"name", "opt_in_status"},
    "AWSAvailabilityZone": {"name", "zone_id", "state"},
    "AWSVPC": {"vpc_id", "cidr_block", "state", "is_default"},
    "AWSSubnet": {"subnet_id", "vpc_id", "availability_zone", "cidr_block", "available_ip_count"},
    "AWSInstance": {
        "instance_id", "instance_type", "state", "image_id", "vpc_id", "subnet_id",
        "private_ip", "public_ip", "launch_time", "architecture", "platform",
    },
    "AWSImage": {"image_id", "name", "owner_id", "state", "creation_date", "architecture"},
    "AWSNetworkInterface": {
        "eni_id", "subnet_id", "vpc_id", "instance_id", "private_ip", "status", "interface_type",
    },
    "AWSSecurityGroup": {"group_id", "group_name", "vpc_id", "description"},
    "AWSLoadBalancer": {"arn", "name", "dns_name", "type", "scheme", "state", "vpc_id"},
    "AWSBucket": {"name", "region", "creation_date"},
    "AWSVolume": {
        "volume_id", "size_gib", "volume_type", "state", "iops", "encrypted", "create_time",
        "availability_zone", "tags", "name",
    },
    "AWSElasticIP": {
        "allocation_id", "public_ip", "domain", "instance_id", "eni_id", "association_id",
    },
    "AWSSnapshot": {
        "snapshot_id", "volume_id", "volume_size_gib", "state", "start_time", "encrypted",
        "description",
    },
    "AWSNatGateway": {
        "nat_gateway_id", "vpc_id", "subnet_id", "state", "connectivity_type", "create_time",
    },
    "VSphereVCenter": {"name", "host", "version", "api_version"},
    "VSphereDatacenter": {"moref", "name"},
    "VSphereCluster": {"moref", "name", "num_hosts", "total_cpu_mhz", "total_memory_bytes"},
    "VSphereHost": {
        "moref", "name", "connection_state", "power_state", "num_cpu_cores", "memory_bytes",
        "maintenance_mode",
    },
    "VSphereVM": {
        "moref", "name", "uuid", "instance_uuid", "power_state", "guest_os", "ip_address",
        "num_cpu", "memory_mb", "template",
    },
    "VSphereDatastore": {"moref", "name", "type", "capacity_bytes", "free_bytes"},
    "VSphereNetwork": {"moref", "name", "type"},
}  # fmt: skip


def test_every_contract_label_property_and_relationship_is_declared() -> None:
    for label, props in CONTRACT_PROPERTIES.items():
        declared = {f.name for f in CATALOG.by_label[label].all_fields}
        assert props <= declared, f"{label} lacks {props - declared}"
    declared_links = {(lk.source, lk.type, lk.target) for lk in CATALOG.links}
    assert declared_links >= CONTRACT_LINKS


def test_every_kind_has_uid_times_and_its_scope_and_a_typed_filter_set() -> None:
    for kind in CATALOG.kinds:
        names = {f.name: f.type for f in kind.all_fields}
        assert names["uid"] is str and names["last_seen"] is datetime
        assert set(kind.scope) <= set(names)
        assert kind.provider != "vsphere" or kind.scope == ("vcenter",)
        assert kind.label.lower().startswith(kind.provider)
        # DESIGN §6: lists filter on the scope; a filter is an exact match, which a time
        # or a list (tags have their own filter) cannot be.
        filters = {f.name: f.type for f in kind.filters}
        assert set(kind.scope) <= set(filters), f"{kind.label}: scope not all filters"
        odd = {n: t.__name__ for n, t in filters.items() if t not in (str, int, bool)}
        assert not odd, f"{kind.label}: filters that cannot be exact matches: {odd}"


def test_the_fields_users_filter_by_most_are_filters() -> None:
    expected = {
        "AWSInstance": {"state", "instance_type", "vpc_id", "subnet_id", "image_id", "name"},
        "AWSVolume": {"state", "volume_type", "availability_zone"},
        "VSphereVM": {"power_state", "template", "host_uid", "name"},
        "VSphereHost": {"connection_state", "maintenance_mode", "cluster_uid"},
    }
    for label, wanted in expected.items():
        filters = {f.name for f in CATALOG.by_label[label].filters}
        assert wanted <= filters, f"{label} does not filter by {sorted(wanted - filters)}"


def test_every_stored_field_says_where_its_value_comes_from() -> None:
    for kind in CATALOG.kinds:
        missing = [f.name for f in kind.stored if f.path is None]
        assert not missing, f"{kind.label}: {missing} have no source"


def test_the_contract_names_of_tasks_paths_and_graphql_fields() -> None:
    by_label = CATALOG.by_label
    assert by_label["VSphereVM"].task == "vsphere:collect-vms"
    assert by_label["VSphereVM"].path == "/api/v1/vsphere/vms"
    assert by_label["VSphereVM"].graphql_list == "vsphereVms"
    assert by_label["AWSInstance"].graphql_list == "awsInstances"
    assert by_label["AWSVPC"].graphql_list == "awsVpcs"


def test_each_provider_owns_its_kinds_and_a_link_scope_covering_their_scopes() -> None:
    for name, provider in PROVIDERS.items():
        assert {k.provider for k in provider.kinds} == {name}
        # So that a link task for a whole link scope can refresh every link itself.
        assert all(set(k.scope) <= set(provider.link_scope) for k in provider.kinds)
        assert CATALOG.provider_kinds(name) == list(provider.kinds)


def test_the_schema_has_a_uid_constraint_per_label_and_is_stable() -> None:
    statements = schema.statements(CATALOG)
    assert statements == schema.statements(CATALOG)
    for kind in CATALOG.kinds:
        assert any(f"FOR (n:{kind.label}) REQUIRE n.uid IS UNIQUE" in s for s in statements)


def _imported(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(out)


def test_the_api_application_loads_no_provider_sdk() -> None:
    modules = _imported("import api.app; api.app.create_app")
    assert not {m for m in modules if m.split(".")[0] in ("boto3", "botocore", "pyVmomi")}


def test_the_model_and_graph_import_nothing_of_app_workers_or_providers() -> None:
    modules = _imported("import model, graph.writer, graph.links, graph.reads, graph.schema")
    roots = {m.split(".")[0] for m in modules}
    assert not roots & {"app", "worker", "collectors", "api", "dev", "boto3", "pyVmomi"}
    model_only = {m.split(".")[0] for m in _imported("import model")}
    assert not model_only & {"pydantic", "neo4j", "graph", "app", "collectors"}


# Untracked fields links join on, each following from tracked ones (see their comments):
# a change of theirs comes with a change recorded, which is what has links refreshed.
DERIVED_JOINS = {
    ("AWSDNSRecord", "targets"),
    ("AWSElasticIP", "assigned_eni_id"),
}


def test_links_join_on_what_a_change_is_recorded_for() -> None:
    """A collection that records no change asks for no links (worker.jobs): that holds
    only if every property a link joins on is the node's identity or scope, or a tracked
    field, or follows from tracked ones."""
    untracked = set()
    for link in CATALOG.derived:
        for label, props in (
            (link.source, [s for s, _ in link.on]),
            (link.target, [t for _, t in link.on]),
        ):
            kind = CATALOG.by_label[label]
            for prop in props:
                if prop != "uid" and prop not in kind.scope and prop not in kind.tracked:
                    untracked.add((label, prop))
    assert untracked == DERIVED_JOINS
