"""RDS DB instances, Lambda functions and Auto Scaling groups, collected from moto by real
workers through the fault proxy: their properties are moto's, the demo plants what their
reports find (and the near misses they must not), what goes from AWS goes from the graph
with its relationships, throttling of the three services is ridden out by botocore, and a
function whose tags cannot be read keeps the ones known, with a warning.

Counts and relationships against moto are in tests/test_aws_kinds.py (dev/demo/aws_truth.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dev.demo import aws as demo
from tests.faultproxy import Call, FaultProxy
from tests.helpers import collect
from worker.runtime import Runtime

SCOPE = {"account": "demo-main", "region": "us-east-1"}
SHOP_SCOPE = {"account": "demo-shop", "region": "eu-west-1"}  # through an assumed role
PLACES = [
    (account, role, owner, region)
    for account, role, owner in (
        (demo.MAIN_ACCOUNT, None, "main"),
        (demo.SHOP_ACCOUNT, demo.ROLE, "shop"),
    )
    for region in demo.REGIONS
]


@pytest.fixture(scope="module")
def graph(collected: Runtime) -> Runtime:
    return collected


def nodes(rt: Runtime, label: str) -> dict[str, dict[str, Any]]:
    records, _, _ = rt.driver.execute_query(f"MATCH (n:{label}) RETURN n {{.*}} AS n")
    return {r["n"]["uid"]: r["n"] for r in records}


def pairs(rt: Runtime, pattern: str, **params: Any) -> set[tuple[str, str]]:
    records, _, _ = rt.driver.execute_query(
        f"MATCH {pattern} RETURN a.uid AS a, b.uid AS b", params
    )
    return {(r["a"], r["b"]) for r in records}


def clients(moto_url: str, service: str) -> Iterator[tuple[str, str, Any]]:
    for account, role, _, region in PLACES:
        s = demo.session(moto_url, role)
        yield account, region, s.client(service, region_name=region, endpoint_url=moto_url)


def main_client(moto_url: str, service: str) -> Any:
    return demo.session(moto_url).client(
        service, region_name=SCOPE["region"], endpoint_url=moto_url
    )


def records_of(rt: Runtime, out: str) -> list[dict[str, Any]]:
    root = next(line.split()[-1] for line in out.splitlines() if line.startswith("enqueued"))
    return rt.records.tree(root)


def the_collection(rt: Runtime, out: str, task: str) -> dict[str, Any]:
    (record,) = [r for r in records_of(rt, out) if r["task"] == task]
    return record


def test_db_instances_are_as_moto_describes_them(graph: Runtime, moto_url: str) -> None:
    got = nodes(graph, "AWSDBInstance")
    want = {}
    for account, region, rds in clients(moto_url, "rds"):
        for d in rds.describe_db_instances()["DBInstances"]:
            want[d["DBInstanceArn"]] = {
                "account_id": account,
                "region": region,
                "db_instance_id": d["DBInstanceIdentifier"],
                "status": d["DBInstanceStatus"],
                "engine": d["Engine"],
                "publicly_accessible": d["PubliclyAccessible"],
                "storage_gib": d["AllocatedStorage"],
                "vpc_id": d["DBSubnetGroup"]["VpcId"],
            }
    assert {uid: {k: n.get(k) for k in want[uid]} for uid, n in got.items()} == want
    # The shop account's, collected through its assumed role, are its own.
    shop = [n for n in got.values() if n["account_id"] == demo.SHOP_ACCOUNT]
    assert len(shop) == 6 and all(f":{demo.SHOP_ACCOUNT}:" in n["uid"] for n in shop)


def test_lambda_functions_and_scaling_groups_are_as_moto_describes_them(
    graph: Runtime, moto_url: str
) -> None:
    functions, want = nodes(graph, "AWSLambdaFunction"), {}
    for account, _, lam in clients(moto_url, "lambda"):
        for f in lam.list_functions()["Functions"]:
            tags = lam.list_tags(Resource=f["FunctionArn"])["Tags"]
            want[f["FunctionArn"]] = (
                account,
                f["Runtime"],
                f["MemorySize"],
                sorted((f.get("VpcConfig") or {}).get("SubnetIds", [])),
                sorted(f"{k}={v}" for k, v in tags.items()),
            )
    got = {
        uid: (n["account_id"], n["runtime"], n["memory_mb"], n["subnet_ids"], n["tags"])
        for uid, n in functions.items()
    }
    assert got == want and len(got) == 8
    groups, want = nodes(graph, "AWSAutoScalingGroup"), {}
    for _, _, autoscaling in clients(moto_url, "autoscaling"):
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]:
            members = sorted(i["InstanceId"] for i in g["Instances"])
            want[g["AutoScalingGroupARN"]] = (g["DesiredCapacity"], g["MaxSize"], members)
    got = {uid: (n["desired"], n["max_size"], n["instance_ids"]) for uid, n in groups.items()}
    assert got == want and len(got) == 8


# What the demo plants per account and region for each report: (column, the one it must
# find, the near misses it must not).
PLANTED = {
    "public-databases": ("db_instance_id", "reports-db", ("orders-db", "archive-db")),
    "stopped-databases": ("db_instance_id", "archive-db", ("orders-db", "reports-db")),
    "deprecated-lambda-runtimes": ("name", "legacy-fn", ("current-fn",)),
    "empty-auto-scaling-groups": ("name", "empty-asg", ("web-asg",)),
    # dev/demo/aws_services.py's too: an address on a running prod instance and the NAT
    # gateways' addresses, a snapshot of the live prod data volume, a NAT gateway in the
    # prod VPC with its running instances.
    "unassociated-elastic-ips": ("name", "spare-ip", ("web-ip", "prod-nat-ip", "idle-nat-ip")),
    "orphaned-snapshots": ("name", "retired-data-backup", ("prod-data-backup",)),
    "idle-nat-gateways": ("name", "idle-nat", ("prod-nat",)),
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_the_demo_plants_what_each_report_finds_and_not_its_near_misses(
    graph: Runtime, client: TestClient, read: dict, name: str
) -> None:
    column, leak, near_misses = PLANTED[name]
    reply = client.get(f"/api/v1/reports/{name}", headers=read)
    assert reply.status_code == 200, reply.text
    got = sorted((r["account_id"], r["region"], r[column]) for r in reply.json()["items"])
    assert got == sorted((a, region, f"{owner}-{leak}") for a, _, owner, region in PLACES)
    assert not any(r[2].endswith(near_misses) for r in got)


def test_the_report_parameters_change_what_the_demo_shows(
    graph: Runtime, client: TestClient, read: dict
) -> None:
    def names(report: str, column: str, **params: str) -> set[str]:
        reply = client.get(f"/api/v1/reports/{report}", headers=read, params=params)
        assert reply.status_code == 200, reply.text
        return {r[column].split("-", 1)[1] for r in reply.json()["items"]}

    # python3.12, the near miss's runtime, is deprecated on 2028-10-31.
    assert names("deprecated-lambda-runtimes", "name", days_ahead="3650") == {
        "legacy-fn",
        "current-fn",
    }
    assert names("stopped-databases", "db_instance_id", min_storage_gib="21") == set()
    assert names("empty-auto-scaling-groups", "name", min_age_days="1") == set()


def _package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return out.getvalue()


def _doomed(moto_url: str) -> dict[str, str]:
    """A DB instance, a function and a group beside the demo's, to be deleted."""
    rds, lam = main_client(moto_url, "rds"), main_client(moto_url, "lambda")
    legacy = lam.get_function(FunctionName="main-legacy-fn")["Configuration"]
    db = rds.create_db_instance(
        DBInstanceIdentifier="main-doomed-db",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        AllocatedStorage=10,
        DBSubnetGroupName="main-prod",
        VpcSecurityGroupIds=legacy["VpcConfig"]["SecurityGroupIds"],
    )["DBInstance"]
    function = lam.create_function(
        FunctionName="main-doomed-fn",
        Runtime="python3.12",
        Role=legacy["Role"],
        Handler="handler.handle",
        Code={"ZipFile": _package()},
        VpcConfig={k: legacy["VpcConfig"][k] for k in ("SubnetIds", "SecurityGroupIds")},
    )
    autoscaling = main_client(moto_url, "autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="main-doomed-asg",
        LaunchTemplate={"LaunchTemplateName": "main-web"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        VPCZoneIdentifier=legacy["VpcConfig"]["SubnetIds"][0],
    )
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["main-doomed-asg"])[
        "AutoScalingGroups"
    ]
    return {
        "db": db["DBInstanceArn"],
        "fn": function["FunctionArn"],
        "asg": group["AutoScalingGroupARN"],
    }


KINDS = ("db-instances", "lambda-functions", "auto-scaling-groups")
WRITTEN = {"db-instances": 3, "lambda-functions": 2, "auto-scaling-groups": 2}  # a region's


def _collect_kinds(config_path: Path) -> None:
    for kind in KINDS:
        code, out = collect(config_path, f"aws:collect-{kind}", SCOPE)
        assert code == 0, out


def test_what_goes_from_aws_goes_from_the_graph_and_links_that_no_longer_hold_too(
    graph: Runtime, moto_url: str, config_path: Path
) -> None:
    doomed = _doomed(moto_url)
    _collect_kinds(config_path)
    linked = "(a)-[:HAS_DB_INSTANCE|IN_SECURITY_GROUP|IN_SUBNET|HAS_INSTANCE]-(b) WHERE a.uid IN $d"
    # The DB instance in two subnets and a group, the function too, the group in a subnet.
    assert len(pairs(graph, linked, d=list(doomed.values()))) == 3 + 3 + 1
    lam, autoscaling = main_client(moto_url, "lambda"), main_client(moto_url, "autoscaling")
    legacy = lam.get_function(FunctionName="main-legacy-fn")["Configuration"]
    subnets, groups = legacy["VpcConfig"]["SubnetIds"], legacy["VpcConfig"]["SecurityGroupIds"]
    (web,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["main-web-asg"])[
        "AutoScalingGroups"
    ]
    member = web["Instances"][0]["InstanceId"]

    main_client(moto_url, "rds").delete_db_instance(
        DBInstanceIdentifier="main-doomed-db", SkipFinalSnapshot=True
    )
    lam.delete_function(FunctionName="main-doomed-fn")
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName="main-doomed-asg", ForceDelete=True)
    try:
        # The legacy function leaves one of its subnets; the web group lets its instance
        # go.  (moto fails an update naming the subnets without the security groups.)
        lam.update_function_configuration(
            FunctionName="main-legacy-fn",
            VpcConfig={"SubnetIds": subnets[:1], "SecurityGroupIds": groups},
        )
        autoscaling.detach_instances(
            AutoScalingGroupName="main-web-asg",
            InstanceIds=[member],
            ShouldDecrementDesiredCapacity=True,
        )
        _collect_kinds(config_path)
        labels = "AWSDBInstance|AWSLambdaFunction|AWSAutoScalingGroup"
        gone = f"MATCH (n:{labels}) WHERE n.uid IN $d RETURN count(n) AS n"
        assert graph.driver.execute_query(gone, d=list(doomed.values()))[0][0]["n"] == 0
        assert pairs(
            graph, "(a:AWSLambdaFunction {uid: $f})-[:IN_SUBNET]->(b)", f=legacy["FunctionArn"]
        ) == {(legacy["FunctionArn"], subnets[0])}
        assert (
            pairs(graph, "(a:AWSAutoScalingGroup)-[:HAS_INSTANCE]->(b {uid: $i})", i=member)
            == set()
        )
        assert nodes(graph, "AWSAutoScalingGroup")[web["AutoScalingGroupARN"]]["desired"] == 0
    finally:  # the estate as the other tests know it
        lam.update_function_configuration(
            FunctionName="main-legacy-fn",
            VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": groups},
        )
        autoscaling.attach_instances(AutoScalingGroupName="main-web-asg", InstanceIds=[member])


class FirstCalls:
    """Matches the next ``n`` calls of ``service`` (a fault proxy rule)."""

    def __init__(self, service: str, n: int) -> None:
        self.service, self.left = service, n

    def __call__(self, call: Call) -> bool:
        if call.service != self.service or self.left <= 0:
            return False
        self.left -= 1
        return True


LAMBDA_THROTTLED = json.dumps(
    {"__type": "TooManyRequestsException", "message": "Rate exceeded"}
).encode()


@pytest.mark.parametrize("kind", KINDS)
def test_throttling_of_each_service_is_ridden_out_by_botocore_in_an_assumed_role(
    graph: Runtime, proxy: FaultProxy, config_path: Path, kind: str
) -> None:
    # RDS and Auto Scaling speak the query protocol, whose throttling the proxy answers
    # itself; Lambda's REST-JSON throttling is a 429 with its error type in the body.
    rule = FirstCalls("lambda", 3)
    if kind == "lambda-functions":
        proxy.rules.append((rule, 429, LAMBDA_THROTTLED))
    else:
        proxy.throttle = 3
    try:
        code, out = collect(config_path, f"aws:collect-{kind}", SHOP_SCOPE)
    finally:
        proxy.rules.clear()
        left, proxy.throttle = proxy.throttle, 0
    assert code == 0, out
    # Every throttled answer was spent, by botocore: the task ran once.
    assert rule.left == 0 if kind == "lambda-functions" else left <= 0
    record = the_collection(graph, out, f"aws:collect-{kind}")
    assert record["state"] == "succeeded" and record["attempts"] == 1
    assert record["result"]["nodes_written"] == WRITTEN[kind]


def test_tags_a_function_will_not_show_are_kept_as_known_with_a_warning(
    graph: Runtime, proxy: FaultProxy, config_path: Path
) -> None:
    denied = json.dumps(
        {"__type": "AccessDeniedException", "Message": "not authorized: lambda:ListTags"}
    ).encode()
    proxy.rules.append(
        (
            lambda c: c.service == "lambda" and c.has("/tags/") and c.has("main-legacy-fn"),
            403,
            denied,
        )
    )
    try:
        code, out = collect(config_path, "aws:collect-lambda-functions", SCOPE)
    finally:
        proxy.rules.clear()
    assert code == 0, out
    record = the_collection(graph, out, "aws:collect-lambda-functions")
    assert record["state"] == "succeeded" and record["result"]["warnings"] == 1
    (reason,) = record["result"]["warning_reasons"]
    assert "main-legacy-fn" in reason and "AccessDeniedException" in reason
    functions = {n["name"]: n for n in nodes(graph, "AWSLambdaFunction").values()}
    assert functions["main-legacy-fn"]["tags"] == ["owner=main"]  # as the last time
    assert functions["main-current-fn"]["tags"] == ["owner=main"]
