"""Recorded vCenter records played back to the vSphere collectors: no server, no SDK.

``recorded/<type>.json`` holds the records a session gave for a vSphere type (as
``VSphereSession.objects`` makes them: references already uids, data objects dicts, times
ISO 8601 text); ``recorded/<type>.details.json`` what ``VSphereSession.details`` gave, by
uid; ``recorded/tree.json`` the types of folders, datacenters and compute resources, and
``recorded/datacenters.json`` the datacenter of each compute resource;
``recorded/about.json`` the vCenter's ``about``; ``recorded/tagging.json`` the vAPI
tagging service's answers (method, path, body, value); ``recorded/disk_files.json`` each
datastore browser's search results.  ``record.py`` makes them from
vcsim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from collectors.base import Session
from collectors.vsphere import tagging
from collectors.vsphere.common import SYNTHESIZED

RECORDED = Path(__file__).parent / "recorded"
NAME = "demo-vcenter"


def _load(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text())


class FakeVSphereSession(Session):
    name = NAME
    scope = {"vcenter": NAME}  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[str, list[str]] = {}
        self.vcenter = SimpleNamespace(config=SimpleNamespace(host="vcenter.example.com"))
        self.about = SimpleNamespace(**_load("about"))

    def objects(self, vim_type: str, paths: list[str]) -> Iterator[list[dict[str, Any]]]:
        self.asked[vim_type] = paths
        recorded = _load(vim_type)
        missing = set(paths) - set(recorded["paths"])
        assert not missing, f"the recording of {vim_type} lacks {missing}: run record.py"
        keep = set(paths) | SYNTHESIZED
        yield [{k: v for k, v in r.items() if k in keep} for r in recorded["records"]]

    def type_of(self, uid: str | None) -> str | None:
        return _load("tree").get(uid) if uid else None

    def datacenter(self, moref: str | None) -> str | None:
        return _load("datacenters").get(f"{NAME}:{moref}") if moref else None

    def details(self, vim_type: str, uids: list[str], paths: list[str]) -> dict[str, Any]:
        self.asked[f"{vim_type}.details"] = paths
        recorded = _load(f"{vim_type}.details")
        missing = set(paths) - set(recorded["paths"])
        assert not missing, f"the recording of {vim_type} details lacks {missing}: run record.py"
        return {u: {p: recorded["records"][u][p] for p in paths} for u in uids}

    def disk_files(self, browser_uid: str, datastore: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = _load("disk_files")[browser_uid]
        return results

    @property
    def tags(self) -> dict[str, list[str]]:
        found = tagging.read(replay(_load("tagging")))
        return {f"{NAME}:{moref}": values for moref, values in found.items()}


def replay(exchanges: list[dict[str, Any]]) -> tagging.Call:
    """A tagging ``Call`` that answers as the recorded exchanges did."""

    def call(method: str, path: str, body: Any = None) -> Any:
        for e in exchanges:
            if (e["method"], e["path"], e["body"]) == (method, path, body):
                return e["value"]
        raise LookupError(f"no recorded tagging answer to {method} {path} {body}")

    return call


def rows(collector: Any, session: FakeVSphereSession) -> list[dict[str, Any]]:
    kind = collector.kind
    return [kind.check(kind.row(record)) for page in collector.collect(session) for record in page]
