"""The images a region's instances run are read from the graph (``collectors.base.Reads``),
not listed again: an images collection before any instances collection finds only the
owned ones, and the instances collection then fetches those its instances run, so that
either order ends with the same graph."""

from __future__ import annotations

from pathlib import Path

from dev.demo import aws as demo
from tests.helpers import collect
from worker.runtime import Runtime

SHOP = {"account": "demo-shop", "region": "eu-west-1"}
REGION = f"{demo.SHOP_ACCOUNT}:eu-west-1"


def _seen(rt: Runtime) -> set[str]:
    records, _, _ = rt.driver.execute_query(
        "MATCH (:AWSRegion {uid: $uid})-[:HAS_IMAGE]->(i:AWSImage) RETURN i.uid AS id", uid=REGION
    )
    return {r["id"] for r in records}


def _truth(moto_url: str) -> tuple[set[str], set[str]]:
    ec2 = demo.session(moto_url, demo.ROLE).client(
        "ec2", region_name="eu-west-1", endpoint_url=moto_url
    )
    owned = {i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]}
    used = {
        i["ImageId"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    }
    return owned, used


def _task_of_created(rt: Runtime, image: str) -> str:
    records, _, _ = rt.driver.execute_query(
        "MATCH (c:InventoryChange {uid: $uid, change: 'created'}) RETURN c.task_id AS t",
        uid=image,
    )
    (record,) = records
    return rt.records.get(record["t"])["task"]


def test_images_then_instances_end_as_instances_then_images(
    clean_graph: Runtime, workers: object, estate: dict, config_path: Path, moto_url: str
) -> None:
    rt = clean_graph
    owned, used = _truth(moto_url)
    assert owned and used - owned, "the demo's instances run images of other owners"

    code, out = collect(config_path, "aws:collect-images", SHOP)  # no instances in the graph
    assert code == 0, out
    assert _seen(rt) == owned

    code, out = collect(config_path, "aws:collect-instances", SHOP)
    assert code == 0, out
    assert _seen(rt) == owned | used
    for image in used - owned:  # fetched by the instances' collection, which found them missing
        assert _task_of_created(rt, image) == "aws:collect-instances"
    records, _, _ = rt.driver.execute_query(
        "MATCH (n:AWSInstance {account_id: $a, region: 'eu-west-1'}) "
        "RETURN count(n) AS n, sum(count{ (n)-[:USES_IMAGE]->() }) AS linked",
        a=demo.SHOP_ACCOUNT,
    )
    assert records[0]["n"] > 0 and records[0]["linked"] == records[0]["n"]

    # The images' own collection now reads them from the graph: it keeps every one.
    code, out = collect(config_path, "aws:collect-images", SHOP)
    assert code == 0, out
    assert _seen(rt) == owned | used
