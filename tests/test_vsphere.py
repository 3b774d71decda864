"""vSphere from real simulators: every kind and relationship as pyVmomi reads them
directly, two identical vCenters kept apart, changes followed, and failures that delete
nothing."""

from __future__ import annotations

import pytest

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
