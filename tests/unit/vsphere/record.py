"""Records what the vSphere collectors read from vcsim, for the unit tests to play back.

    .venv/bin/python -m tests.unit.vsphere.record

starts a vcsim of its own (the demo inventory, shaped), runs every vSphere collector with
the session's records kept, and writes ``recorded/``.  A few records of each type are
kept: the first ones, and the most varied (a template, a standalone host, a distributed
port group).
"""

from __future__ import annotations

import json
from typing import Any

from collectors import PROVIDERS
from collectors.vsphere.config import VSphereConfig
from collectors.vsphere.source import VSphereSource
from dev.demo import vsphere as demo
from dev.stack import Ports, Stack, free_port
from tests.unit.vsphere.fake import NAME, RECORDED

KEEP = 4


def _pick(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    varied = [
        r
        for r in records
        if r.get("config.template") or r.get("wsdl_type") == "DistributedVirtualPortgroup"
    ][:1]
    varied += [r for r in records if r.get("parent", "").split(":")[-1].startswith("domain-s")][:1]
    return varied + [r for r in records if r not in varied][: KEEP - len(varied)]


def main() -> None:
    port = free_port()
    stack = Stack.scratch("inventory-record-", Ports(vcsim=port))
    try:
        login = ("-username", demo.USER, "-password", demo.PASSWORD)
        stack.start(stack.vcsim(flags=(*demo.FLAGS, *login)))
        demo.shape(port)
        source = VSphereSource(VSphereConfig(vcenters=demo.vcenters_config(port, NAME)))
        kept: dict[str, Any] = {}
        for collector in PROVIDERS["vsphere"].collectors:
            with source.open(collector.kind, {"vcenter": NAME}) as session:
                objects = session.objects

                def keep(vim_type: str, paths: list[str], objects: Any = objects) -> Any:
                    records = [r for page in objects(vim_type, paths) for r in page]
                    kept[vim_type] = {"paths": sorted(paths), "records": _pick(records)}
                    yield records

                session.objects = keep  # type: ignore[method-assign]
                for _ in collector.collect(session):
                    pass
                if collector.kind.label == "VSphereVCenter":
                    a = session.about
                    kept["about"] = {
                        k: getattr(a, k)
                        for k in ("version", "apiVersion", "build", "fullName", "instanceUuid")
                    }
                if collector.kind.label == "VSphereHost":
                    kept["tree"] = {
                        session.uid(moref): kind for moref, (kind, _) in session.tree.items()
                    }
        RECORDED.mkdir(exist_ok=True)
        for name, data in sorted(kept.items()):
            (RECORDED / f"{name}.json").write_text(
                json.dumps(data, indent=1, sort_keys=True) + "\n"
            )
            print(f"recorded/{name}.json")
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
