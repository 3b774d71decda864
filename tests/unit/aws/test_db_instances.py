"""Row mapping of RDS DB instances from a DescribeDBInstances answer recorded from moto."""

from __future__ import annotations

from datetime import datetime

import pytest

from collectors.aws import db_instances
from model import RowError
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def _recorded() -> list[dict]:
    return recording("rds", "describe_db_instances")[0]["response"]["DBInstances"]


def _rows(answer: dict | None = None) -> dict[str, dict]:
    answers = {"rds.describe_db_instances": [{"params": {}, "response": answer}]} if answer else {}
    session = FakeSession(ACCOUNT, REGION, answers=answers)
    return {r["db_instance_id"]: r for r in rows(db_instances.COLLECTOR, session)}


def test_db_instances_keep_engine_status_exposure_and_where_they_sit() -> None:
    got = _rows()
    recorded = {d["DBInstanceIdentifier"]: d for d in _recorded()}
    assert set(got) == set(recorded) == {"main-reports-db", "main-orders-db", "main-archive-db"}
    reports = got["main-reports-db"]
    group = recorded["main-reports-db"]["DBSubnetGroup"]
    assert reports["uid"] == reports["arn"] == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:main-reports-db"
    assert (reports["engine"], reports["status"], reports["publicly_accessible"]) == (
        "postgres",
        "available",
        True,
    )
    assert reports["storage_gib"] == 20 and reports["multi_az"] is False
    assert isinstance(reports["create_time"], datetime) and reports["create_time"].tzinfo
    # Every subnet of its DB subnet group, and its VPC security groups.
    assert reports["subnet_ids"] == sorted(s["SubnetIdentifier"] for s in group["Subnets"])
    assert len(reports["subnet_ids"]) == 2 and reports["vpc_id"] == group["VpcId"]
    assert reports["security_group_ids"] == [
        recorded["main-reports-db"]["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    ]
    assert (reports["tags"], reports["name"]) == (["owner=main"], None)
    assert got["main-orders-db"]["publicly_accessible"] is False
    assert got["main-archive-db"]["status"] == "stopped"


def test_an_exposure_the_answer_leaves_out_is_unknown_not_private() -> None:
    # moto omits PubliclyAccessible unless it was set; the row says it does not know.
    silent = {k: v for k, v in _recorded()[0].items() if k != "PubliclyAccessible"}
    (row,) = _rows({"DBInstances": [silent]}).values()
    assert row["publicly_accessible"] is None


def test_a_storage_size_that_is_not_a_number_is_refused_with_the_instance_named() -> None:
    odd = {**_recorded()[0], "AllocatedStorage": "20"}
    with pytest.raises(RowError, match=r"AWSDBInstance.storage_gib of arn:aws:rds:.*:db:main-"):
        _rows({"DBInstances": [odd]})


def test_a_db_instance_outside_a_vpc_sits_in_no_subnet() -> None:
    classic = {k: v for k, v in _recorded()[0].items() if k != "DBSubnetGroup"}
    (row,) = _rows({"DBInstances": [classic]}).values()
    assert (row["subnet_ids"], row["vpc_id"]) == ([], None)


def test_db_instances_are_listed_a_hundred_a_page() -> None:
    session = FakeSession(ACCOUNT, REGION)
    list(db_instances.COLLECTOR.collect(session))
    assert session.clients["rds"].page_sizes == {"describe_db_instances": 100}


def test_the_links_are_from_each_subnet_of_the_group_and_to_each_security_group() -> None:
    in_subnet, in_group = db_instances.KIND.links
    assert (in_subnet.source, in_subnet.type, in_subnet.target) == (
        "AWSSubnet",
        "HAS_DB_INSTANCE",
        "AWSDBInstance",
    )
    assert in_subnet.in_list == "target" and in_subnet.scoped == "target"
    assert (in_group.source, in_group.type, in_group.target) == (
        "AWSDBInstance",
        "IN_SECURITY_GROUP",
        "AWSSecurityGroup",
    )
    assert in_group.in_list == "source" and in_group.scoped == "source"
