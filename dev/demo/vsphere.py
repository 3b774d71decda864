"""A demo vSphere estate: a vcsim shaped with pyVmomi for ``make run`` and the tests.

Two datacenters, each with two clusters of two hosts and a standalone host, two
datastores and a distributed port group besides the standard "VM Network"; 96 VMs, of
which some are powered off, some are templates, and the running ones mostly report a
guest IP.  For the reports: a VM snapshot taken long ago (with a recent one after it) and
a VM with only a recent snapshot; a virtual disk left on a datastore that no VM uses (and
one another VM took); and vSphere tags (``env``, ``owner`` on VMs, ``rack`` on
hosts, ``tier`` on a datastore) through the vAPI tagging service.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from collectors.vsphere import tagging
from collectors.vsphere.config import VCenterConfig
from collectors.vsphere.session import VCenter

USER, PASSWORD = "demo", "demo-password"
# vcsim: -vm is per resource pool and per standalone host: 2 x (16 + 2 x 16) = 96 VMs.
FLAGS = (
    "-dc", "2", "-cluster", "2", "-host", "2", "-standalone-host", "1", "-pool", "1",
    "-vm", "16", "-ds", "2", "-pg", "1",
)  # fmt: skip
# The snapshots planted, each VM's in the order taken (a later one is the earlier's child):
# (VM index, name, age in days).  old-vm-snapshots (30 days by default) finds the first.
SNAPSHOTS = ((0, "before-upgrade", 120), (0, "after-upgrade", 2), (1, "nightly", 3))


def vcenters_config(port: int, name: str = "demo-vcenter") -> list[dict[str, Any]]:
    """The ``vsphere.vcenters`` config that reaches the demo simulator."""
    return [
        {
            "name": name,
            "host": "127.0.0.1",
            "port": port,
            "user": USER,
            "password": PASSWORD,
            # vcsim's certificate is its own, made up at start: nothing to verify it with.
            "verify_tls": False,
        }
    ]


@contextmanager
def connect(port: int, host: str = "127.0.0.1") -> Iterator[Any]:
    si = SmartConnect(host=host, port=port, user=USER, pwd=PASSWORD, disableSslCertValidation=True)
    try:
        yield si.RetrieveContent()
    finally:
        Disconnect(si)


def wait(task: Any, timeout: float = 60) -> Any:
    """The task's result, polling its state (the simulator finishes tasks in ms)."""
    deadline = time.monotonic() + timeout
    while True:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise info.error
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task._moId} did not finish in {timeout}s")
        time.sleep(0.05)


def every(content: Any, vim_type: type) -> list[Any]:
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim_type], True)
    try:
        return sorted(view.view, key=lambda o: o._moId)
    finally:
        view.Destroy()


def set_guest_ip(vm: Any, ip: str) -> None:
    option = vim.option.OptionValue(key="SET.guest.ipAddress", value=ip)
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=[option])))


def attach(vm: Any, name: str, capacity_kb: int, unit: int, create: bool = True) -> None:
    """Give ``vm`` a thin disk ``name`` in its folder on its first datastore: a new file, or
    (``create`` false) one that is there already."""
    ds = vm.datastore[0]
    controller = next(
        d.key
        for d in vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualSCSIController | vim.vm.device.VirtualIDEController)
    )
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=controller,
        unitNumber=unit,
        capacityInKB=capacity_kb,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent", thinProvisioned=True, fileName=name, datastore=ds
        ),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", device=disk)
    if create:
        change.fileOperation = "create"
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def detach(vm: Any, name: str) -> None:
    """Take the disk backed by ``name`` off ``vm``, leaving its file on the datastore."""
    disk = next(
        d
        for d in vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualDisk) and d.backing.fileName == name
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="remove", device=disk)
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def fill(vm: Any, share: float = 0.95) -> None:
    """Give ``vm`` a thin disk as large as ``share`` of its datastore's free space: the
    simulator counts it as used, so the datastore looks that full (and no real disk is)."""
    ds = vm.datastore[0]
    capacity_kb = int(ds.summary.freeSpace * share) // 1024
    attach(vm, f"[{ds.name}] {vm.name}/filler.vmdk", capacity_kb, unit=3)


def leave_disks(vms: list[Any]) -> int:
    """Detach two disks from ``vms[2]``, leaving their files: ``old-data.vmdk``, which no VM
    uses then (orphaned-virtual-disks finds it), and ``moved.vmdk``, which ``vms[3]`` takes
    (the near miss: a disk in another VM's folder, in use); how many are orphaned."""
    owner, taker = vms[2], vms[3]
    folder = f"[{owner.datastore[0].name}] {owner.name}"
    for n, name in enumerate(("old-data.vmdk", "moved.vmdk")):
        attach(owner, f"{folder}/{name}", 1024 * 1024, unit=4 + n)
        detach(owner, f"{folder}/{name}")
    attach(taker, f"{folder}/moved.vmdk", 1024 * 1024, unit=4, create=False)
    return 1


def backdate(vm: Any, ages: dict[str, int]) -> None:
    """Make ``vm``'s snapshots named in ``ages`` that many days old.  The simulator stamps a
    snapshot with the time it is taken and offers no call to change it, but it sets any
    property given as ``SET.<path>`` in a reconfiguration's extraConfig: the tree is written
    back with the older times (the snapshots themselves are untouched)."""
    trees, now = list(vm.snapshot.rootSnapshotList), datetime.now(UTC)
    todo = list(trees)
    while todo:
        tree = todo.pop()
        if tree.name in ages:
            tree.createTime = now - timedelta(days=ages[tree.name])
        todo += list(tree.childSnapshotList)
    value = vim.vm.SnapshotTree.Array(trees)
    option = vim.option.OptionValue(key="SET.snapshot.rootSnapshotList", value=value)
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=[option])))


def snapshot(vms: list[Any]) -> int:
    """Take the ``SNAPSHOTS``, then give them their ages; how many."""
    ages: dict[int, dict[str, int]] = {}
    for index, name, age in SNAPSHOTS:
        vm = vms[index]
        wait(vm.CreateSnapshot_Task(name=name, description="demo", memory=False, quiesce=False))
        ages.setdefault(index, {})[name] = age
    for index, named in ages.items():
        backdate(vms[index], named)
    return len(SNAPSHOTS)


def tag(port: int, host: str, tags: dict[tuple[str, str], list[tuple[str, str]]]) -> int:
    """Attach ``tags`` ((category, tag) -> [(object type, moref)]) through the vAPI tagging
    service, making the categories and tags; how many attachments."""
    config = VCenterConfig.model_validate({**vcenters_config(port)[0], "host": host})
    categories: dict[str, str] = {}
    attached = 0
    with tagging.rest(config, VCenter(config).context()) as call:
        for (category, name), objects in sorted(tags.items()):
            if category not in categories:
                spec = {"name": category, "description": "demo", "cardinality": "MULTIPLE",
                        "associable_types": []}  # fmt: skip
                categories[category] = call("POST", tagging.CATEGORY, {"create_spec": spec})
            spec = {"name": name, "description": "demo", "category_id": categories[category]}
            tag_id = call("POST", tagging.TAG, {"create_spec": spec})
            # One call a tag, however many objects (the bench attaches thousands).
            body = {"object_ids": [{"type": t, "id": moref} for t, moref in objects]}
            path = f"{tagging.ASSOCIATION}/id:{tag_id}?~action=attach-tag-to-multiple-objects"
            call("POST", path, body)
            attached += len(objects)
    return attached


def shape(port: int, host: str = "127.0.0.1") -> dict[str, int]:
    """Power off every fifth VM, make every eighth a template, give guest IPs to two
    thirds of the running ones, fill the first VM's datastore to 95%, take the
    ``SNAPSHOTS``, leave a disk no VM uses, and tag VMs, hosts and a datastore; how many of
    each."""
    made = {"vms": 0, "powered_off": 0, "templates": 0, "with_ip": 0}
    with connect(port, host) as content:
        fill(every(content, vim.VirtualMachine)[0])
        for n, vm in enumerate(every(content, vim.VirtualMachine)):
            made["vms"] += 1
            template, off = n % 8 == 7, n % 5 == 4
            if (template or off) and vm.runtime.powerState == "poweredOn":
                wait(vm.PowerOffVM_Task())
            if template:
                vm.MarkAsTemplate()
                made["templates"] += 1
            elif off:
                made["powered_off"] += 1
            elif n % 3:
                set_guest_ip(vm, f"10.{n // 250}.{n % 250}.{10 + n % 7}")
                made["with_ip"] += 1
        vms = every(content, vim.VirtualMachine)
        made["snapshots"] = snapshot(vms)
        made["orphaned_disks"] = leave_disks(vms)
        hosts, datastores = every(content, vim.HostSystem), every(content, vim.Datastore)
        made["tags"] = tag(port, host, demo_tags(vms, hosts, datastores))
    return made


def demo_tags(
    vms: list[Any], hosts: list[Any], datastores: list[Any]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(category, tag) -> the objects that carry it: env=prod on every third VM, env=test
    on the next, owner=platform on every sixth too; rack=r1 or r2 on the hosts; tier=gold
    on the first datastore."""
    tags: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for n, vm in enumerate(vms):
        if n % 3 < 2:
            tags.setdefault(("env", "prod" if n % 3 == 0 else "test"), []).append(
                ("VirtualMachine", vm._moId)
            )
        if n % 6 == 0:
            tags.setdefault(("owner", "platform"), []).append(("VirtualMachine", vm._moId))
    for n, h in enumerate(hosts):
        tags.setdefault(("rack", f"r{1 + n % 2}"), []).append(("HostSystem", h._moId))
    tags[("tier", "gold")] = [("Datastore", datastores[0]._moId)]
    return tags
