"""Records what the vSphere collectors read from vcsim, for the unit tests to play back.

    .venv/bin/python -m tests.unit.vsphere.record

starts a vcsim of its own (the demo inventory, shaped: snapshots and tags among it), runs
every vSphere collector with the session's records kept, and writes ``recorded/``.  The
records of a type that several collectors read (VMs: their own and their snapshots) are
merged, each with every path asked.  A few records of each type are kept: the first ones,
and the most varied (a template, a standalone host, a distributed port group, the VMs with
snapshots, a nested resource pool, the demo's detached disks).  The tagging service's
answers and the datastore searches are kept whole.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from collectors import PROVIDERS
from collectors.vsphere import tagging
from collectors.vsphere.config import VSphereConfig
from collectors.vsphere.source import VSphereSource
from dev.demo import vsphere as demo
from dev.stack import Ports, Stack, free_port
from tests.unit.vsphere.fake import NAME, RECORDED

KEEP = 4


# What makes a record worth keeping beside the first ones: one of each.
VARIED = (
    lambda r: r.get("config.template"),
    lambda r: r.get("wsdl_type") == "DistributedVirtualPortgroup",
    lambda r: any(
        t["childSnapshotList"] for t in (r.get("snapshot") or {}).get("rootSnapshotList", ())
    ),
    lambda r: r.get("snapshot"),
    lambda r: r.get("wsdl_type") == "ResourcePool" and r.get("name") != "Resources",
    lambda r: r.get("parent", "").split(":")[-1].startswith("domain-s"),
    # The demo's detached disks: the VM that left them, and the VM that took one.
    lambda r: r.get("name") == "DC0_H0_VM2",
    lambda r: any(
        "moved.vmdk" in str((d.get("backing") or {}).get("fileName"))
        for d in r.get("config.hardware.device") or ()
    ),
)


def _pick(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    varied: list[dict[str, Any]] = []
    for test in VARIED:
        found = next((r for r in records if test(r) and r not in varied), None)
        varied += [found] if found else []
    return varied + [r for r in records if r not in varied][: max(KEEP - len(varied), 1)]


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__}")


class Recorder:
    """Keeps what a session gives, merged by type and uid."""

    def __init__(self) -> None:
        self.kept: dict[str, dict[str, Any]] = {}
        self.searches: dict[str, list[dict[str, Any]]] = {}

    def keep(self, name: str, paths: list[str], records: list[dict[str, Any]]) -> None:
        entry = self.kept.setdefault(name, {"paths": set(), "records": {}})
        entry["paths"].update(paths)
        for r in records:
            entry["records"].setdefault(r["uid"], {}).update(r)

    def watch(self, session: Any) -> None:
        objects, details, disk_files = session.objects, session.details, session.disk_files

        def kept_objects(vim_type: str, paths: list[str]) -> Any:
            records = [r for page in objects(vim_type, paths) for r in page]
            self.keep(vim_type, paths, records)
            yield records

        def kept_details(vim_type: str, uids: list[str], paths: list[str]) -> Any:
            found = details(vim_type, uids, paths)
            self.keep(f"{vim_type}.details", paths, [{"uid": u, **p} for u, p in found.items()])
            return found

        def kept_disk_files(browser: str, datastore: str) -> list[dict[str, Any]]:
            self.searches[browser] = disk_files(browser, datastore)
            return self.searches[browser]

        session.objects, session.details = kept_objects, kept_details
        session.disk_files = kept_disk_files

    def files(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, entry in self.kept.items():
            records = list(entry["records"].values())
            details = name.endswith(".details")
            kept = {r["uid"]: r for r in records} if details else _pick(records)
            out[name] = {"paths": sorted(entry["paths"]), "records": kept}
        return {**out, "disk_files": self.searches}


def exchanges(source: VSphereSource) -> list[dict[str, Any]]:
    """The tagging service's answers to a read of every tag."""
    vcenter = source.connection(NAME)
    out: list[dict[str, Any]] = []
    with tagging.rest(vcenter.config, vcenter.context()) as call:

        def kept(method: str, path: str, body: Any = None) -> Any:
            value = call(method, path, body)
            out.append({"method": method, "path": path, "body": body, "value": value})
            return value

        tagging.read(kept)
    return out


def record(source: VSphereSource) -> dict[str, Any]:
    recorder = Recorder()
    files: dict[str, Any] = {"tagging": exchanges(source)}
    for collector in PROVIDERS["vsphere"].collectors:
        with source.open(collector.kind, {"vcenter": NAME}) as session:
            recorder.watch(session)
            for _ in collector.collect(session):
                pass
            if collector.kind.label == "VSphereVCenter":
                a = session.about
                files["about"] = {
                    k: getattr(a, k)
                    for k in ("version", "apiVersion", "build", "fullName", "instanceUuid")
                }
            if collector.kind.label == "VSphereHost":
                tree = session.tree
                files["tree"] = {session.uid(moref): kind for moref, (kind, _) in tree.items()}
                files["datacenters"] = {
                    session.uid(moref): session.datacenter(moref)
                    for moref, (kind, _) in tree.items()
                    if kind.endswith("ComputeResource")
                }
    return {**recorder.files(), **files}


def main() -> None:
    port = free_port()
    stack = Stack.scratch("inventory-record-", Ports(vcsim=port))
    try:
        login = ("-username", demo.USER, "-password", demo.PASSWORD)
        stack.start(stack.vcsim(flags=(*demo.FLAGS, *login)))
        demo.shape(port)
        source = VSphereSource(VSphereConfig(vcenters=demo.vcenters_config(port, NAME)))
        RECORDED.mkdir(exist_ok=True)
        for name, data in sorted(record(source).items()):
            text = json.dumps(data, indent=1, sort_keys=True, default=_json)
            (RECORDED / f"{name}.json").write_text(text + "\n")
            print(f"recorded/{name}.json")
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
