"""Row mapping of Lambda functions from ListFunctions and ListTags answers recorded from
moto; a ListTags that fails leaves the function's tags as they were, with a warning."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.aws import lambda_functions
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


def _recorded() -> list[dict]:
    return recording("lambda", "list_functions")[0]["response"]["Functions"]


def _rows(session: FakeSession) -> dict[str, dict]:
    return {r["name"]: r for r in rows(lambda_functions.COLLECTOR, session)}


def test_functions_keep_runtime_size_vpc_and_tags() -> None:
    got = _rows(FakeSession(ACCOUNT, REGION))
    names = {"main-legacy-fn", "main-current-fn"}
    assert set(got) == {f["FunctionName"] for f in _recorded()} == names
    legacy = got["main-legacy-fn"]
    vpc = next(f for f in _recorded() if f["FunctionName"] == "main-legacy-fn")["VpcConfig"]
    assert legacy["uid"] == legacy["arn"] == ARN + "main-legacy-fn"
    assert (legacy["runtime"], legacy["package_type"], legacy["memory_mb"]) == (
        "python3.7",
        "Zip",
        128,
    )
    # moto's LastModified has nine digits of fraction; AWS's three and "+0000".
    assert isinstance(legacy["last_modified"], datetime) and legacy["last_modified"].tzinfo
    assert legacy["subnet_ids"] == sorted(vpc["SubnetIds"]) and len(legacy["subnet_ids"]) == 2
    assert legacy["security_group_ids"] == vpc["SecurityGroupIds"]
    assert legacy["vpc_id"] == vpc["VpcId"]
    assert legacy["tags"] == ["owner=main"]
    current = got["main-current-fn"]
    assert (current["runtime"], current["vpc_id"], current["subnet_ids"]) == (
        "python3.12",
        None,
        [],
    )
    assert current["security_group_ids"] == []


def test_the_time_aws_writes_is_read_too() -> None:
    function = {**_recorded()[1], "LastModified": "2019-08-14T22:53:11.402+0000"}
    answer = {"params": {}, "response": {"Functions": [function]}}
    session = FakeSession(ACCOUNT, REGION, answers={"lambda.list_functions": [answer]})
    (row,) = _rows(session).values()
    assert row["last_modified"] == datetime(2019, 8, 14, 22, 53, 11, 402000, tzinfo=UTC)


def test_tags_that_cannot_be_read_are_left_as_they_were_with_a_warning() -> None:
    denied = {"Code": "AccessDeniedException", "Message": "not allowed: lambda:ListTags"}
    session = FakeSession(
        ACCOUNT,
        REGION,
        answers={
            "lambda.list_tags": [
                {"params": {"Resource": ARN + "main-legacy-fn"}, "error": denied},
                recording("lambda", "list_tags")[1],
            ]
        },
    )
    got = _rows(session)
    assert "tags" not in got["main-legacy-fn"]  # the writer keeps the node's tags
    assert got["main-legacy-fn"]["runtime"] == "python3.7"
    assert got["main-current-fn"]["tags"] == ["owner=main"]
    assert len(session.warnings) == 1
    assert session.warnings[0].startswith(f"tags of {ARN}main-legacy-fn: ")
    assert "AccessDeniedException" in session.warnings[0]


def test_functions_are_listed_fifty_a_page() -> None:
    session = FakeSession(ACCOUNT, REGION)
    list(lambda_functions.COLLECTOR.collect(session))
    assert session.clients["lambda"].page_sizes == {"list_functions": 50}


def test_the_links_go_from_the_function_to_its_subnets_and_groups() -> None:
    links = {lk.type: lk for lk in lambda_functions.KIND.links}
    assert {(lk.source, lk.type, lk.target) for lk in links.values()} == {
        ("AWSLambdaFunction", "IN_SUBNET", "AWSSubnet"),
        ("AWSLambdaFunction", "IN_SECURITY_GROUP", "AWSSecurityGroup"),
    }
    assert all(lk.in_list == "source" and lk.scoped == "source" for lk in links.values())
