"""What the session puts in each record besides the properties asked for is what the kinds
take as synthesized (``collectors.vsphere.synthesized``), and never ask vCenter for."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from collectors.vsphere import vms
from collectors.vsphere.common import SYNTHESIZED, properties
from collectors.vsphere.session import VSphereSession


def mo(moref: str, wsdl_type: str = "Folder") -> Any:
    return SimpleNamespace(_moId=moref, _wsdlName=wsdl_type)


def test_a_record_holds_the_paths_asked_and_the_synthesized_keys_only() -> None:
    page = [(mo("vm-7", "VirtualMachine"), {"name": "web", "parent": mo("group-v3")})]
    vcenter = SimpleNamespace(
        config=SimpleNamespace(name="vc"), retrieve=lambda vim_type, paths: iter([page])
    )
    session = VSphereSession(vcenter)  # type: ignore[arg-type]
    session.tree = {"group-v3": ("Folder", "datacenter-2"), "datacenter-2": ("Datacenter", None)}
    [[record]] = session.objects("VirtualMachine", ["name"])
    assert set(record) == {"name"} | SYNTHESIZED
    assert record == {
        "name": "web",
        "uid": "vc:vm-7",
        "moref": "vm-7",
        "wsdl_type": "VirtualMachine",
        "datacenter": "vc:datacenter-2",
    }
    assert not SYNTHESIZED & set(properties(vms.KIND))
