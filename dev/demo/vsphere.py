"""A demo vSphere estate: a vcsim shaped with pyVmomi for ``make run`` and the tests.

Two datacenters, each with two clusters of two hosts and a standalone host, two
datastores and a distributed port group besides the standard "VM Network"; 96 VMs, of
which some are powered off, some are templates, and the running ones mostly report a
guest IP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

USER, PASSWORD = "demo", "demo-password"
# vcsim: -vm is per resource pool and per standalone host: 2 x (16 + 2 x 16) = 96 VMs.
FLAGS = (
    "-dc", "2", "-cluster", "2", "-host", "2", "-standalone-host", "1", "-pool", "1",
    "-vm", "16", "-ds", "2", "-pg", "1",
)  # fmt: skip


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


def fill(vm: Any, share: float = 0.95) -> None:
    """Give ``vm`` a thin disk as large as ``share`` of its datastore's free space: the
    simulator counts it as used, so the datastore looks that full (and no real disk is)."""
    ds = vm.datastore[0]
    controller = next(
        d.key
        for d in vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualSCSIController | vim.vm.device.VirtualIDEController)
    )
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=controller,
        unitNumber=3,
        capacityInKB=int(ds.summary.freeSpace * share) // 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent",
            thinProvisioned=True,
            fileName=f"[{ds.name}] {vm.name}/filler.vmdk",
            datastore=ds,
        ),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def shape(port: int, host: str = "127.0.0.1") -> dict[str, int]:
    """Power off every fifth VM, make every eighth a template, give guest IPs to two
    thirds of the running ones, and fill the first VM's datastore to 95%; how many of each."""
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
    return made
