"""vSphere from real simulators: every kind and relationship as pyVmomi reads them
directly, two identical vCenters kept apart, changes followed, and failures that delete
nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.config import Settings
from collectors import CATALOG
from dev.demo import vsphere_truth
from model import Link
from tests.conftest import vcsim_port, wipe
from tests.helpers import collect
from worker.runtime import Runtime

SAME = ("vc-a", "vc-b")  # two simulators with one inventory
VSPHERE_KINDS = CATALOG.provider_kinds("vsphere")
VSPHERE_LINKS = [lk for lk in CATALOG.links if CATALOG.by_label[lk.source].provider == "vsphere"]


def rows(rt: Runtime, query: str, **params: object) -> list[dict]:
    records, _, _ = rt.driver.execute_query(query, params)
    return [r.data() for r in records]


@pytest.fixture(scope="module")
def graph(workers, vcenters, migrated: Runtime, config_path) -> Runtime:
    wipe(migrated)
    for name in SAME:
        code, out = collect(config_path, "vsphere:collect-all", {"vcenter": name})
        assert code == 0, out
    return migrated


@pytest.fixture(scope="module")
def truth(vcenters) -> vsphere_truth.Truth:
    """Both simulators' truth in one."""
    out = vsphere_truth.Truth()
    for name in SAME:
        one = vsphere_truth.read(vcsim_port(name), name)
        for label, nodes in one.nodes.items():
            out.nodes.setdefault(label, {}).update(nodes)
        for key, pairs in one.links.items():
            out.links.setdefault(key, set()).update(pairs)
    return out


@pytest.mark.parametrize("label", [k.label for k in VSPHERE_KINDS])
def test_every_node_and_its_properties_as_pyvmomi_reads_them(
    graph: Runtime, truth: vsphere_truth.Truth, label: str
) -> None:
    want = truth.nodes[label]
    got = {r["n"]["uid"]: r["n"] for r in rows(graph, f"MATCH (n:{label}) RETURN n")}
    assert want and set(got) == set(want)
    for uid, props in want.items():
        assert {k: got[uid].get(k) for k in props} == props, uid


@pytest.mark.parametrize(
    "link", VSPHERE_LINKS, ids=[f"{lk.source}-{lk.type}-{lk.target}" for lk in VSPHERE_LINKS]
)
def test_every_relationship_as_pyvmomi_reads_it(
    graph: Runtime, truth: vsphere_truth.Truth, link: Link
) -> None:
    want = truth.links[(link.source, link.type, link.target)]
    query = (
        f"MATCH (a:{link.source})-[:{link.type}]->(b:{link.target}) RETURN a.uid AS a, b.uid AS b"
    )
    got = {(r["a"], r["b"]) for r in rows(graph, query)}
    assert want and got == want


def test_two_vcenters_with_one_inventory_stay_apart(graph: Runtime) -> None:
    counts = rows(
        graph,
        "MATCH (n) WHERE n.vcenter IN $names RETURN n.vcenter AS vc, labels(n)[0] AS label, "
        "count(*) AS n ORDER BY label, vc",
        names=list(SAME),
    )
    per = {(r["vc"], r["label"]): r["n"] for r in counts}
    for kind in VSPHERE_KINDS:
        assert per[("vc-a", kind.label)] == per[("vc-b", kind.label)] > 0
    crossing = rows(
        graph,
        "MATCH (a)-[r]->(b) WHERE a.vcenter IS NOT NULL AND b.vcenter IS NOT NULL "
        "AND a.vcenter <> b.vcenter RETURN count(r) AS n",
    )
    assert crossing[0]["n"] == 0
    # Same names and morefs in both, told apart by the vCenter in the uid.
    a = {r["u"] for r in rows(graph, "MATCH (v:VSphereVM {vcenter: 'vc-a'}) RETURN v.moref AS u")}
    b = {r["u"] for r in rows(graph, "MATCH (v:VSphereVM {vcenter: 'vc-b'}) RETURN v.moref AS u")}
    assert a == b


def test_templates_powered_off_vms_and_guest_ips_come_through(graph: Runtime, vcenters) -> None:
    made = vcenters["vc-a"]
    got = rows(
        graph,
        "MATCH (v:VSphereVM {vcenter: 'vc-a'}) RETURN count(*) AS vms, "
        "sum(CASE WHEN v.template THEN 1 ELSE 0 END) AS templates, "
        "sum(CASE WHEN NOT v.template AND v.power_state = 'poweredOff' THEN 1 ELSE 0 END) AS off, "
        "count(v.ip_address) AS with_ip",
    )[0]
    assert got == {
        "vms": made["vms"],
        "templates": made["templates"],
        "off": made["powered_off"],
        "with_ip": made["with_ip"],
    }
    standalone = rows(
        graph,
        "MATCH (:VSphereDatacenter {vcenter: 'vc-a'})-[:HAS_HOST]->(h) RETURN count(h) AS n",
    )
    assert standalone[0]["n"] == 2  # one per datacenter


def _vm(rt: Runtime, vcenter: str, moref: str) -> dict | None:
    found = rows(
        rt,
        "MATCH (v:VSphereVM {uid: $uid}) OPTIONAL MATCH (h)-[:RUNS]->(v) "
        "RETURN v {.*} AS vm, collect(h.uid) AS hosts",
        uid=f"{vcenter}:{moref}",
    )
    return {**found[0]["vm"], "hosts": found[0]["hosts"]} if found else None


def test_a_vm_changed_moved_or_destroyed_shows_so_after_the_next_collection(
    workers, vcenters, migrated: Runtime, config_path
) -> None:
    from pyVmomi import vim

    from dev.demo.vsphere import connect, every, wait

    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    with connect(vcsim_port("vc-change")) as content:
        first, doomed = every(content, vim.VirtualMachine)[:2]
        moved, gone = first._moId, doomed._moId
        before = _vm(migrated, "vc-change", moved)
        assert before is not None and before["power_state"] == "poweredOn"
        other = next(h for h in every(content, vim.HostSystem) if h != first.runtime.host)
        wait(first.PowerOffVM_Task())
        wait(first.Rename_Task(newName="renamed-vm"))
        wait(first.RelocateVM_Task(spec=vim.vm.RelocateSpec(host=other)))
        wait(doomed.PowerOffVM_Task())
        wait(doomed.Destroy_Task())
        new_host = f"vc-change:{other._moId}"
    assert _vm(migrated, "vc-change", gone) is not None
    assert before["hosts"] != [new_host]

    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    after = _vm(migrated, "vc-change", moved)
    assert after is not None
    assert (after["name"], after["power_state"]) == ("renamed-vm", "poweredOff")
    assert after["hosts"] == [new_host]  # the old RUNS is gone, the new one there
    assert _vm(migrated, "vc-change", gone) is None
    left = rows(
        migrated,
        "MATCH ()-[r]-() WHERE endNode(r).uid = $u RETURN count(r) AS n",
        u=f"vc-change:{gone}",
    )
    assert left[0]["n"] == 0


def _plant(rt: Runtime, vcenter: str) -> None:
    """Nodes of ``vcenter`` as an earlier collection would have left them."""
    kind = CATALOG.by_label["VSphereVM"]
    rows_ = [{"uid": f"{vcenter}:vm-{n}", "moref": f"vm-{n}", "name": f"kept-{n}"} for n in (1, 2)]
    rt.writer.write(kind, rows_, {"vcenter": vcenter}, rt.writer.now())


def _kept(rt: Runtime, vcenter: str) -> int:
    return rows(rt, "MATCH (v:VSphereVM {vcenter: $vc}) RETURN count(v) AS n", vc=vcenter)[0]["n"]


def _tree(rt: Runtime, out: str) -> list[dict]:
    root = next(line.split()[-1] for line in out.splitlines() if line.startswith("enqueued"))
    return rt.records.tree(root)


def test_a_wrong_password_fails_that_vcenter_at_once_and_deletes_nothing(
    workers, vcenters, migrated: Runtime, config_path
) -> None:
    _plant(migrated, "vc-locked")
    code, out = collect(config_path, "vsphere:collect-vms", {"vcenter": "vc-locked"})
    assert code == 1
    assert "vCenter refused the login" in out
    failed = [r for r in _tree(migrated, out) if r["state"] == "failed"]
    assert failed and all(r["attempts"] == 1 for r in failed)  # no retry could heal it
    assert _kept(migrated, "vc-locked") == 2


def test_an_unreachable_vcenter_fails_its_tasks_and_deletes_nothing(
    workers, migrated: Runtime, config_path
) -> None:
    _plant(migrated, "vc-gone")
    code, out = collect(config_path, "vsphere:collect-vms", {"vcenter": "vc-gone"})
    assert code == 1
    assert "vCenter not reachable" in out
    failed = [r for r in _tree(migrated, out) if r["state"] == "failed"]
    assert failed and all(r["attempts"] == 3 for r in failed)  # retried: it may come back
    assert _kept(migrated, "vc-gone") == 2


def _one(rt: Runtime, query: str, **params: object) -> dict:
    found = rows(rt, query, **params)
    assert len(found) <= 1, found
    return found[0] if found else {}


def _held(rt: Runtime, vm_uid: str) -> dict:
    """The VM's tags, snapshots, and the pool that holds it with that pool's cluster."""
    return _one(
        rt,
        "MATCH (v:VSphereVM {uid: $vm}) "
        "OPTIONAL MATCH (v)-[:HAS_SNAPSHOT]->(s:VSphereSnapshot) "
        "OPTIONAL MATCH (p:VSphereResourcePool)-[:HAS_VM]->(v) "
        "OPTIONAL MATCH (c:VSphereCluster)-[:HAS_RESOURCE_POOL]->(p) "
        "RETURN v.tags AS tags, collect(DISTINCT s.name) AS snapshots, "
        "collect(DISTINCT p.name) AS pools, collect(DISTINCT c.uid) AS clusters",
        vm=vm_uid,
    )


def _served(settings: object, read: dict, vm_uid: str, pool_uid: str, pooled_uid: str) -> None:
    """The tag filter AWS kinds have, on REST and GraphQL; the new relationships' routes."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(settings)) as client:
        for asked in ("team=batch", "team"):
            reply = client.get("/api/v1/vsphere/vms", headers=read, params={"tag": asked})
            assert [i["uid"] for i in reply.json()["items"]] == [vm_uid], asked
        query = '{ vsphereVms(filter: {tag: ["team=batch"]}) { uid tags snapshots { name } } }'
        body = client.post("/graphql", headers=read, json={"query": query}).json()
        assert body["data"]["vsphereVms"] == [
            {"uid": vm_uid, "tags": ["team=batch"], "snapshots": [{"name": "keep"}]}
        ]
        reply = client.get(f"/api/v1/vsphere/resource-pools/{pool_uid}/vms", headers=read)
        assert [i["uid"] for i in reply.json()["items"]] == [pooled_uid]
        # Sizes in bytes, over GraphQL's 32-bit Int: Long, compiled or through resolvers
        # (history is a resolver's), as REST has them.
        items = client.get("/api/v1/vsphere/datastores", headers=read).json()["items"]
        want = {i["uid"]: [i["capacity_bytes"], i["free_bytes"]] for i in items}
        assert max(c for c, _ in want.values()) > 2**31
        for extra in ("", "history(first: 1) { change }"):
            query = f"{{ vsphereDatastores {{ uid capacityBytes freeBytes {extra} }} }}"
            body = client.post("/graphql", headers=read, json={"query": query}).json()
            assert "errors" not in body, body
            got = {
                d["uid"]: [d["capacityBytes"], d["freeBytes"]]
                for d in body["data"]["vsphereDatastores"]
            }
            assert got == want, extra


def _pool_with_a_vm(vim: Any, content: Any, name: str) -> tuple[Any, Any]:
    """A new pool in the first cluster, with a new VM made in it (vcsim's RelocateVM moves a
    VM without updating the pools' VM lists; a VM made in a pool is listed by it)."""
    from dev.demo.vsphere import every, wait

    def allocation(limit: int) -> Any:
        shares = vim.SharesInfo(level="normal")
        return vim.ResourceAllocationInfo(
            limit=limit, reservation=0, expandableReservation=True, shares=shares
        )

    cluster = every(content, vim.ClusterComputeResource)[0]
    spec = vim.ResourceConfigSpec(cpuAllocation=allocation(2000), memoryAllocation=allocation(-1))
    pool = cluster.resourcePool.CreateResourcePool(name=name, spec=spec)
    files = vim.vm.FileInfo(vmPathName=f"[{cluster.datastore[0].name}]")
    config = vim.vm.ConfigSpec(name=f"{name}-vm", guestId="otherGuest", files=files)
    folder = every(content, vim.Datacenter)[0].vmFolder
    return pool, wait(folder.CreateVM_Task(config=config, pool=pool))


def _untag(port: int, moref: str) -> None:
    from collectors.vsphere import tagging
    from collectors.vsphere.config import VCenterConfig
    from collectors.vsphere.session import VCenter
    from dev.demo.vsphere import vcenters_config

    config = VCenterConfig.model_validate(vcenters_config(port)[0])
    with tagging.rest(config, VCenter(config).context()) as call:
        for tag_id in call("GET", tagging.TAG, None):
            path = f"{tagging.ASSOCIATION}/id:{tag_id}?~action=detach"
            call("POST", path, {"object_id": {"type": "VirtualMachine", "id": moref}})


def _task_state(vim: Any, content: Any, task: Any, timeout: float = 60) -> str:
    """How the task ended, read as ``info.state`` alone: vcsim names the FileManager as a
    file task's entity, which is no ManagedEntity, so pyVmomi cannot read the whole info."""
    from pyVmomi import vmodl

    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(
        objectSet=[pc.ObjectSpec(obj=task)],
        propSet=[pc.PropertySpec(type=vim.Task, pathSet=["info.state"])],
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = content.propertyCollector.RetrieveContents([spec])[0].propSet[0].val
        if state in ("success", "error"):
            return str(state)
        time.sleep(0.05)
    raise TimeoutError(f"task {task._moId} did not end in {timeout}s")


def _gone(rt: Runtime, *uids: str) -> list[str]:
    found = rows(
        rt,
        "MATCH (n:VSphereSnapshot|VSphereResourcePool|VSphereVM) WHERE n.uid IN $uids "
        "RETURN n.uid AS uid",
        uids=list(uids),
    )
    return sorted(set(uids) - {r["uid"] for r in found})


def _plant_on_vc_change(vim: Any, port: int) -> dict[str, Any]:
    """On vc-change: a snapshot of a VM, a disk left behind by it, a pool with a VM of its
    own and a tag on the first VM; their morefs, uids and the disk's path."""
    from dev.demo.vsphere import attach, connect, detach, every, tag, wait

    with connect(port) as content:
        vm = every(content, vim.VirtualMachine)[-1]
        wait(vm.CreateSnapshot_Task(name="keep", description="", memory=False, quiesce=False))
        left = f"[{vm.datastore[0].name}] {vm.name}/left.vmdk"
        attach(vm, left, 1024, unit=5)
        detach(vm, left)
        pool, pooled = _pool_with_a_vm(vim, content, "batch")
        cluster = every(content, vim.ClusterComputeResource)[0]
        planted = {
            "moref": vm._moId,
            "pool_moref": pool._moId,
            "pooled_moref": pooled._moId,
            "left": left,
            "snapshot": f"vc-change:{vm.snapshot.currentSnapshot._moId}",
        }
        for name, o in (("vm", vm), ("pool", pool), ("pooled", pooled), ("cluster", cluster)):
            planted[name] = f"vc-change:{o._moId}"
        planted["root"] = f"vc-change:{cluster.resourcePool._moId}"
    assert tag(port, "127.0.0.1", {("team", "batch"): [("VirtualMachine", planted["moref"])]}) == 1
    return planted


def _check_planted(rt: Runtime, settings: Settings, read: dict, p: dict[str, Any]) -> None:
    held = _held(rt, p["vm"])
    assert (held["tags"], held["snapshots"]) == (["team=batch"], ["keep"])
    assert _held(rt, p["pooled"]) == {
        "tags": [],
        "snapshots": [],
        "pools": ["batch"],
        "clusters": [p["cluster"]],
    }
    pool_row = _one(
        rt,
        "MATCH (p:VSphereResourcePool {uid: $u}) RETURN p.cpu_limit_mhz AS cpu, "
        "p.memory_limit_mb AS memory, p.parent_pool_uid AS parent",
        u=p["pool"],
    )
    assert pool_row == {"cpu": 2000, "memory": -1, "parent": p["root"]}
    _served(settings, read, p["vm"], p["pool"], p["pooled"])
    orphans = rows(
        rt,
        "MATCH (:VSphereDatastore {vcenter: 'vc-change'})-[:HAS_DISK_FILE]->(d:VSphereDiskFile) "
        "WHERE d.vm_uids = [] AND NOT ()-[:USES_DISK_FILE]->(d) RETURN d.path AS path",
    )
    assert orphans == [{"path": p["left"]}]
    used = _one(
        rt,
        "MATCH (d:VSphereDiskFile)<-[:USES_DISK_FILE]-(:VSphereVM {uid: $vm}) RETURN count(d) AS n",
        vm=p["vm"],
    )
    assert used["n"] >= 1


def _remove_planted(vim: Any, port: int, p: dict[str, Any]) -> None:
    """The snapshot removed, the tag detached, the pool's VM and the pool destroyed, the
    left disk deleted."""
    from dev.demo.vsphere import connect, every, wait

    with connect(port) as content:
        vm = next(v for v in every(content, vim.VirtualMachine) if v._moId == p["moref"])
        wait(vm.RemoveAllSnapshots_Task())
        vms = every(content, vim.VirtualMachine)
        wait(next(v for v in vms if v._moId == p["pooled_moref"]).Destroy_Task())
        pools = every(content, vim.ResourcePool)
        wait(next(r for r in pools if r._moId == p["pool_moref"]).Destroy_Task())
        datacenter = every(content, vim.Datacenter)[0]
        task = content.fileManager.DeleteDatastoreFile_Task(name=p["left"], datacenter=datacenter)
        assert _task_state(vim, content, task) == "success"
    _untag(port, p["moref"])


def test_snapshots_pools_and_tags_come_and_go_with_the_vcenter(
    workers, vcenters, migrated: Runtime, config_path, settings, read: dict
) -> None:
    from pyVmomi import vim

    port = vcsim_port("vc-change")
    planted = _plant_on_vc_change(vim, port)
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    _check_planted(migrated, settings, read, planted)

    _remove_planted(vim, port, planted)
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    held = _held(migrated, planted["vm"])
    assert (held["tags"], held["snapshots"]) == ([], [])
    assert (
        rows(migrated, "MATCH (d:VSphereDiskFile {path: $p}) RETURN d.uid", p=planted["left"]) == []
    )
    gone = [planted[k] for k in ("snapshot", "pool", "pooled")]
    assert _gone(migrated, *gone) == sorted(gone)
    assert _gone(migrated, planted["root"], planted["vm"]) == []
