"""vSphere tags from the vAPI tagging service's answers recorded from vcsim (the demo's:
env and owner on VMs, rack on hosts, tier on a datastore), kept as ``category=tag`` like
AWS's ``key=value``, and a tagging service that fails."""

from __future__ import annotations

from typing import Any

from collectors.vsphere import datastores, hosts, tagging, vms
from collectors.vsphere.common import properties
from graph import tags as graph_tags
from tests.unit.vsphere.fake import NAME, FakeVSphereSession, rows


def test_vms_hosts_and_datastores_carry_their_tags_as_category_equals_tag() -> None:
    session = FakeVSphereSession()
    got = {r["name"]: r["tags"] for r in rows(vms.COLLECTOR, session)}
    # The demo tags every third VM env=prod (and every sixth owner=platform too), the next
    # env=test, and leaves the third untagged.
    assert got["DC0_H0_VM0"] == ["env=prod", "owner=platform"]
    assert got["DC0_H0_VM1"] == ["env=test"]
    assert got["DC0_H0_VM2"] == []
    assert {r["name"]: r["tags"] for r in rows(hosts.COLLECTOR, session)}["DC0_H0"] == ["rack=r1"]
    stores = {r["uid"]: r["tags"] for r in rows(datastores.COLLECTOR, session)}
    assert stores[f"{NAME}:datastore-147"] == ["tier=gold"]
    assert sorted(stores.values())[0] == []
    # Tags are not a property path: nothing asks the property collector for them.
    assert "tags" not in session.asked["VirtualMachine"]
    assert session.asked["VirtualMachine"] == properties(vms.KIND)


def test_the_kinds_with_tags_get_the_tag_filter() -> None:
    for kind in (vms.KIND, hosts.KIND, datastores.KIND):
        assert graph_tags.tagged(kind), kind.label


class TaggingDown(FakeVSphereSession):
    @property
    def tags(self) -> dict[str, list[str]]:
        raise tagging.TaggingError("vAPI GET /com/vmware/cis/tagging/tag: HTTP 403 Forbidden")


def test_a_failing_tagging_service_keeps_the_tags_known_and_warns_once() -> None:
    session = TaggingDown()
    got = rows(vms.COLLECTOR, session)
    assert got and all("tags" not in r for r in got)  # left out: the graph keeps its own
    assert all(r["power_state"] for r in got)  # the rest is written
    assert len(session.warnings) == 1 and "HTTP 403" in session.warnings[0]


def test_a_refusal_is_not_retried_and_an_outage_is() -> None:
    session = FakeVSphereSession()
    assert not session.transient(tagging.TaggingError("HTTP 401"))
    assert session.transient(tagging.TaggingUnavailable("HTTP 503"))


def test_objects_of_many_tags_are_asked_in_batches() -> None:
    asked: list[Any] = []
    ids = [f"t{n}" for n in range(tagging.BATCH + 5)]

    def call(method: str, path: str, body: Any = None) -> Any:
        asked.append((method, path))
        if path == tagging.TAG:
            return ids
        if path.startswith(tagging.TAG + "/"):
            return {"name": path.rsplit(":", 1)[1], "category_id": "c"}
        if path.startswith(tagging.CATEGORY):
            return {"name": "team"}
        vm = {"type": "VirtualMachine", "id": "vm-1"}
        return [{"tag_id": t, "object_ids": [vm]} for t in body["tag_ids"]]

    found = tagging.read(call)
    assert found["vm-1"] == sorted(f"team=t{n}" for n in range(tagging.BATCH + 5))
    assert sum(1 for _, p in asked if p.startswith(tagging.ASSOCIATION)) == 2
    assert sum(1 for _, p in asked if p.startswith(tagging.CATEGORY)) == 1  # once per category
