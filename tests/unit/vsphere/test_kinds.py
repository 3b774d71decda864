"""Row mapping of every vSphere kind from records recorded from vcsim, and the property
paths each collector asks for (only what it stores)."""

from __future__ import annotations

import json

from collectors.vsphere import (
    clusters,
    datacenters,
    datastores,
    hosts,
    networks,
    vcenters,
    vms,
)
from collectors.vsphere.common import properties
from tests.unit.vsphere.fake import NAME, RECORDED, FakeVSphereSession, rows


def recorded(vim_type: str) -> list[dict]:
    return json.loads((RECORDED / f"{vim_type}.json").read_text())["records"]


def test_the_vcenter_is_its_configured_name_with_what_about_says() -> None:
    (row,) = rows(vcenters.COLLECTOR, FakeVSphereSession())
    assert row["uid"] == row["name"] == NAME
    assert row["host"] == "vcenter.example.com"
    assert (row["version"], row["api_version"]) == ("6.5.0", "6.5")


def test_vms_keep_power_template_guest_and_their_references_as_uids() -> None:
    session = FakeVSphereSession()
    got = {r["uid"]: r for r in rows(vms.COLLECTOR, session)}
    for record in recorded("VirtualMachine"):
        row = got[record["uid"]]
        assert row["uid"] == f"{NAME}:{row['moref']}"
        assert row["power_state"] == record["runtime.powerState"]
        assert row["template"] is record["config.template"]
        assert row["ip_address"] == record["guest.ipAddress"]
        assert row["host_uid"] == record["runtime.host"]
        assert row["host_uid"].startswith(f"{NAME}:host-")
        assert all(u.startswith(f"{NAME}:datastore-") for u in row["datastore_uids"])
        assert isinstance(row["memory_mb"], int) and isinstance(row["num_cpu"], int)
    assert any(r["template"] for r in got.values())
    assert any(r["ip_address"] for r in got.values())
    # Only the stored properties are asked for, by their paths.
    assert session.asked["VirtualMachine"] == properties(vms.KIND)
    assert "runtime.powerState" in session.asked["VirtualMachine"]
    assert not {"uid", "moref", "datacenter"} & set(session.asked["VirtualMachine"])


def test_hosts_are_in_a_cluster_or_standalone_in_their_datacenter() -> None:
    got = rows(hosts.COLLECTOR, FakeVSphereSession())
    standalone = [r for r in got if r["cluster_uid"] is None]
    clustered = [r for r in got if r["cluster_uid"] is not None]
    assert standalone and clustered
    for r in standalone:
        assert r["standalone_datacenter_uid"] == r["datacenter_uid"] is not None
    for r in clustered:
        assert r["standalone_datacenter_uid"] is None
        assert r["cluster_uid"].startswith(f"{NAME}:domain-c")
    assert all(isinstance(r["memory_bytes"], int) and r["datastore_uids"] for r in got)


def test_networks_say_whether_they_are_standard_or_distributed() -> None:
    got = {r["name"]: r["type"] for r in rows(networks.COLLECTOR, FakeVSphereSession())}
    assert got["VM Network"] == "standard"
    assert got["DC0_DVPG0"] == "distributed"


def test_datacenters_clusters_and_datastores_map_their_summaries() -> None:
    session = FakeVSphereSession()
    assert {r["name"] for r in rows(datacenters.COLLECTOR, session)} >= {"DC0"}
    for row, record in zip(
        rows(clusters.COLLECTOR, session), recorded("ClusterComputeResource"), strict=True
    ):
        assert row["num_hosts"] == record["summary.numHosts"]
        assert row["total_memory_bytes"] == record["summary.totalMemory"]
        assert row["datacenter_uid"] == record["datacenter"]
    for row, record in zip(rows(datastores.COLLECTOR, session), recorded("Datastore"), strict=True):
        assert (row["capacity_bytes"], row["free_bytes"]) == (
            record["summary.capacity"],
            record["summary.freeSpace"],
        )
        assert row["capacity_bytes"] >= row["free_bytes"] > 0
