"""Issue 21's vSphere kinds at scale, for ``bench/collect_vsphere.py``: hundreds of resource
pools (vcsim's own ``-pool``, made at its start), snapshots on hundreds of VMs, hundreds
of tags attached through the vAPI tagging REST service, and hundreds of virtual disk files
no VM uses; then a check that the graph holds exactly what was seeded.

Snapshots are taken as ``dev/demo/vsphere.py`` takes them (CreateSnapshot_Task), one
task a snapshot.  The disks no VM uses are made with the VirtualDiskManager
(CreateVirtualDisk_Task, one task a file) in a folder of a datastore no VM is on, rather
than attached and detached as the demo leaves its one (two reconfigurations a file): the
collector sees the same thing, a ``.vmdk`` on a datastore that no VM's disk names.  Tags
go in with the tagging service's ``attach-tag-to-multiple-objects`` (one call a tag, not
one an object).
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim, vmodl

from dev.demo import vsphere as demo

CATEGORIES = 10  # the tags are spread over this many categories
ORPHANS = "bench-orphans"  # the folder the disks no VM uses are made in


@dataclass
class Seeded:
    """What the estate holds of the new kinds, as read from vcsim or made by the seeding."""

    pools: int = 0
    pool_vms: int = 0  # HAS_VM links: every VM is in one pool
    cluster_pools: int = 0  # HAS_RESOURCE_POOL links
    snapshots: int = 0
    child_snapshots: int = 0  # taken after another (parent_uid set)
    snapshot_vms: int = 0
    vm_disks: int = 0  # .vmdk descriptors the VMs use (read from vcsim's datastore folders)
    orphan_disks: int = 0
    tags: int = 0  # distinct category=tag
    attachments: int = 0
    tagged: Counter[str] = field(default_factory=Counter)  # tagged objects by vSphere type
    by_object: dict[str, list[str]] = field(default_factory=dict)  # moref -> category=tag


def wait_all(content: Any, tasks: list[Any], timeout: float = 900) -> None:
    """Wait for every task, reading the states of all in one call a round (``demo.wait``
    reads a task's whole info, which pyVmomi cannot parse for vcsim's VirtualDiskManager
    tasks: their entity is not a managed entity)."""
    if not tasks:
        return
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(
        objectSet=[pc.ObjectSpec(obj=t) for t in tasks],
        propSet=[pc.PropertySpec(type=vim.Task, pathSet=["info.state", "info.error"])],
    )
    deadline = time.monotonic() + timeout
    while True:
        states = {}
        for found in content.propertyCollector.RetrieveContents([spec]):
            props = {p.name: p.val for p in found.propSet}
            states[found.obj._moId] = props.get("info.state")
            if props.get("info.error") is not None:
                raise props["info.error"]
        if all(state == vim.TaskInfo.State.success for state in states.values()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(tasks)} tasks did not finish in {timeout}s")
        time.sleep(0.2)


def spread(items: list[Any], n: int) -> list[Any]:
    """``n`` of ``items`` (all if fewer), evenly apart."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def snapshots(content: Any, vms: list[Any], count: int, seeded: Seeded) -> None:
    """A snapshot on each of ``count`` VMs; every third of them a second one, taken after
    the first (its child).  All the tasks are started, then waited for."""
    chosen = spread(vms, count)
    for round_ in (1, 2):
        batch = chosen if round_ == 1 else chosen[::3]
        tasks = [
            vm.CreateSnapshot_Task(
                name=f"bench-{round_}", description="bench", memory=False, quiesce=False
            )
            for vm in batch
        ]
        wait_all(content, tasks)
        seeded.snapshots += len(batch)
        seeded.child_snapshots += len(batch) if round_ == 2 else 0
    seeded.snapshot_vms = len(chosen)


def orphan_disks(content: Any, count: int, seeded: Seeded) -> None:
    """``count`` thin 1 GiB disks, spread over the datacenters, each in a folder of the
    last datastore of its datacenter (where no VM is: vcsim puts its VMs on the first)."""
    datacenters = demo.every(content, vim.Datacenter)
    files, disks = content.fileManager, content.virtualDiskManager
    spec = vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
        diskType="thin", adapterType="lsiLogic", capacityKb=1024 * 1024
    )
    tasks = []
    for d, dc in enumerate(datacenters):
        store = sorted(dc.datastore, key=lambda ds: ds.name)[-1]
        folder = f"[{store.name}] {ORPHANS}"
        files.MakeDirectory(name=folder, datacenter=dc, createParentDirectories=True)
        for i in range(d, count, len(datacenters)):
            name = f"{folder}/orphan-{i:04}.vmdk"
            tasks.append(disks.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec))
    wait_all(content, tasks)
    seeded.orphan_disks = len(tasks)


def plan_tags(
    vms: list[Any], hosts: list[Any], datastores: list[Any], count: int
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(category, tag) -> its objects: ``count`` tags ``t<i>`` in ``CATEGORIES`` categories;
    VM n carries tag n % count and every seventh VM tag (n + 1) % count too; host and
    datastore n carry tag n % count."""
    if count <= 0:
        return {}
    names = [(f"bench-c{i % CATEGORIES}", f"t{i:03}") for i in range(count)]
    plan: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for n, vm in enumerate(vms):
        plan[names[n % count]].append(("VirtualMachine", vm._moId))
        if n % 7 == 0:
            plan[names[(n + 1) % count]].append(("VirtualMachine", vm._moId))
    for vim_type, objects in (("HostSystem", hosts), ("Datastore", datastores)):
        for n, obj in enumerate(objects):
            plan[names[n % count]].append((vim_type, obj._moId))
    return dict(plan)


def attach_tags(
    port: int, plan: dict[tuple[str, str], list[tuple[str, str]]], seeded: Seeded
) -> None:
    """Make the categories and tags of ``plan`` and attach each tag to its objects, through
    the vAPI tagging REST service."""
    demo.tag(port, "127.0.0.1", plan)
    by_object: dict[str, list[str]] = defaultdict(list)
    types: dict[str, str] = {}
    for (category, name), objects in plan.items():
        for vim_type, moref in objects:
            by_object[moref].append(f"{category}={name}")
            types[moref] = vim_type
    seeded.tags = len(plan)
    seeded.attachments = sum(len(objects) for objects in plan.values())
    seeded.tagged = Counter(types.values())
    seeded.by_object = {moref: sorted(values) for moref, values in by_object.items()}


def model(content: Any, seeded: Seeded) -> None:
    """What vcsim made at its start: the pools (and their VMs), and the disks the VMs use,
    read as the demo's truth reads them (a datastore is a local folder: walked)."""
    pools = demo.every(content, vim.ResourcePool)
    seeded.pools = len(pools)
    seeded.cluster_pools = sum(isinstance(p.owner, vim.ClusterComputeResource) for p in pools)
    seeded.pool_vms = sum(len(p.vm) for p in pools)
    disks = 0
    for store in demo.every(content, vim.Datastore):
        for folder, _, names in os.walk(store.summary.url):
            if os.path.basename(folder) == ORPHANS:
                continue
            disks += sum(n.endswith(".vmdk") and not n.endswith("-flat.vmdk") for n in names)
    seeded.vm_disks = disks


def seed(port: int, snapshot_vms: int, tags: int, orphans: int) -> Seeded:
    """The new kinds' estate on the vcsim at ``port`` (already started with its pools)."""
    seeded = Seeded()
    with demo.connect(port) as content:
        model(content, seeded)
        vms = demo.every(content, vim.VirtualMachine)
        snapshots(content, vms, snapshot_vms, seeded)
        orphan_disks(content, orphans, seeded)
        hosts, stores = demo.every(content, vim.HostSystem), demo.every(content, vim.Datastore)
        attach_tags(port, plan_tags(vms, hosts, stores, tags), seeded)
    return seeded


COUNTS = {
    "pools": "MATCH (p:VSphereResourcePool) RETURN count(p) AS n",
    "cluster_pools": "MATCH (:VSphereCluster)-[r:HAS_RESOURCE_POOL]->(:VSphereResourcePool) "
    "RETURN count(r) AS n",
    "pool_vms": "MATCH (:VSphereResourcePool)-[r:HAS_VM]->(:VSphereVM) RETURN count(r) AS n",
    "snapshots": "MATCH (:VSphereVM)-[:HAS_SNAPSHOT]->(s:VSphereSnapshot) RETURN count(s) AS n",
    "child_snapshots": "MATCH (s:VSphereSnapshot) WHERE s.parent_uid IS NOT NULL "
    "RETURN count(s) AS n",
    "snapshot_vms": "MATCH (v:VSphereVM) WHERE (v)-[:HAS_SNAPSHOT]->() RETURN count(v) AS n",
    "vm_disks": "MATCH (:VSphereDatastore)-[:HAS_DISK_FILE]->(d:VSphereDiskFile) "
    "WHERE size(d.vm_uids) > 0 AND (d)<-[:USES_DISK_FILE]-(:VSphereVM) RETURN count(d) AS n",
    "orphan_disks": "MATCH (:VSphereDatastore)-[:HAS_DISK_FILE]->(d:VSphereDiskFile) "
    "WHERE size(d.vm_uids) = 0 AND NOT (d)<-[:USES_DISK_FILE]-() RETURN count(d) AS n",
}
# Every node of the kinds of each label: their count, besides the ones counted above.
LABELS = ("VSphereResourcePool", "VSphereSnapshot", "VSphereDiskFile")
TAGGED = {
    "VSphereVM": "VirtualMachine",
    "VSphereHost": "HostSystem",
    "VSphereDatastore": "Datastore",
}


def check(driver: Any, seeded: Seeded) -> list[tuple[str, int, int]]:
    """(what, seeded, in the graph) for each new kind and its links; SystemExit, with every
    difference, unless the graph holds exactly what was seeded."""

    def one(query: str) -> int:
        return driver.execute_query(query).records[0]["n"]

    rows = [(what, getattr(seeded, what), one(query)) for what, query in COUNTS.items()]
    totals = {label: one(f"MATCH (n:{label}) RETURN count(n) AS n") for label in LABELS}
    rows += [
        ("all resource pools", seeded.pools, totals["VSphereResourcePool"]),
        ("all snapshots", seeded.snapshots, totals["VSphereSnapshot"]),
        ("all disk files", seeded.vm_disks + seeded.orphan_disks, totals["VSphereDiskFile"]),
    ]
    found: dict[str, list[str]] = {}
    tagged: Counter[str] = Counter()
    for label, vim_type in TAGGED.items():
        query = f"MATCH (n:{label}) WHERE size(n.tags) > 0 RETURN n.moref AS m, n.tags AS t"
        for record in driver.execute_query(query).records:
            found[record["m"]] = sorted(record["t"])
            tagged[vim_type] += 1
    rows += [(f"tagged {t}", seeded.tagged[t], tagged[t]) for t in TAGGED.values()]
    rows += [
        ("tag attachments", seeded.attachments, sum(len(t) for t in found.values())),
        ("distinct tags", seeded.tags, len({t for values in found.values() for t in values})),
        ("objects whose tags differ", 0, sum(
            found.get(m) != seeded.by_object.get(m) for m in {*found, *seeded.by_object}
        )),
    ]  # fmt: skip
    wrong = [f"{what}: seeded {s}, graph {g}" for what, s, g in rows if s != g]
    if wrong:
        raise SystemExit("the graph does not hold what was seeded:\n  " + "\n  ".join(wrong))
    return rows
