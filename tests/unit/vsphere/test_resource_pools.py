"""Resource pools from records recorded from vcsim: root pools of clusters and standalone
hosts, a nested pool, the VMs each holds."""

from __future__ import annotations

import json

from collectors.vsphere import resource_pools
from collectors.vsphere.common import properties
from tests.unit.vsphere.fake import NAME, RECORDED, FakeVSphereSession, rows


def test_pools_know_their_cluster_parent_pool_datacenter_and_vms() -> None:
    session = FakeVSphereSession()
    got = {r["uid"]: r for r in rows(resource_pools.COLLECTOR, session)}
    records = json.loads((RECORDED / "ResourcePool.json").read_text())["records"]
    assert set(got) == {r["uid"] for r in records}
    nested = [r for r in got.values() if r["parent_pool_uid"] is not None]
    roots = [r for r in got.values() if r["parent_pool_uid"] is None]
    assert nested and roots
    for pool in nested:
        parent = got[pool["parent_pool_uid"]]
        assert pool["cluster_uid"] == parent["cluster_uid"] is not None
        # Its datacenter through its owner, though its parent is no folder or host.
        assert pool["datacenter_uid"] == parent["datacenter_uid"] == f"{NAME}:datacenter-1"
        assert pool["vm_uids"] and all(u.startswith(f"{NAME}:vm-") for u in pool["vm_uids"])
        assert (pool["cpu_limit_mhz"], pool["memory_limit_mb"]) == (-1, -1)  # no limit
    standalone = [r for r in roots if r["cluster_uid"] is None]
    clustered = [r for r in roots if r["cluster_uid"] is not None]
    assert standalone and clustered
    assert all(r["cluster_uid"].startswith(f"{NAME}:domain-c") for r in clustered)
    for record in records:
        row = got[record["uid"]]
        assert row["vm_uids"] == record["vm"]
        assert row["cpu_reservation_mhz"] == record["config.cpuAllocation.reservation"]
        assert row["type"] == "pool" and row["name"] == record["name"]
    assert session.asked["ResourcePool"] == properties(
        resource_pools.KIND, extra=("owner", "parent"), own=("cluster", "parent_pool")
    )
