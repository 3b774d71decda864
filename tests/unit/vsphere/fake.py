"""Recorded vCenter records played back to the vSphere collectors: no server, no SDK.

``recorded/<type>.json`` holds the records a session gave for a vSphere type (as
``VSphereSession.objects`` makes them: references already uids); ``recorded/tree.json``
the types of folders, datacenters and compute resources; ``recorded/about.json`` the
vCenter's ``about``.  ``record.py`` makes them from vcsim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from collectors.base import Session
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


def rows(collector: Any, session: FakeVSphereSession) -> list[dict[str, Any]]:
    kind = collector.kind
    return [kind.check(kind.row(record)) for page in collector.collect(session) for record in page]
