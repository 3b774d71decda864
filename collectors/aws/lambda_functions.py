"""Lambda functions of one account and region, with their tags and, for a function in a
VPC, the subnets and security groups it is in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="lambda-functions",
    label="AWSLambdaFunction",
    scope=REGIONAL,
    uid="FunctionArn",
    fields=(
        Field("arn", path="FunctionArn"),
        Field("name", path="FunctionName", filter=True),
        # None for a function packaged as a container image: its image brings its runtime.
        Field("runtime", path="Runtime", filter=True),
        Field("package_type", path="PackageType", filter=True),
        Field("handler", path="Handler"),
        Field("role", path="Role"),
        Field("last_modified", datetime, path="LastModified"),
        Field("memory_mb", int, path="MemorySize"),
        Field("timeout_s", int, path="Timeout"),
        Field("code_size", int, path="CodeSize"),
        Field("state", path="State", filter=True),
        Field("description", path="Description"),
        Field("vpc_id", path="VpcConfig.VpcId", filter=True),
        Field("subnet_ids", list, path=lambda f: sorted(_vpc(f).get("SubnetIds") or ())),
        Field(
            "security_group_ids",
            list,
            path=lambda f: sorted(_vpc(f).get("SecurityGroupIds") or ()),
        ),
        # ListFunctions gives no tags: ListTags, per function, as "key=value" strings.
        Field("tags", list, path="TagList"),
    ),
    links=(
        Link(
            "IN_SUBNET",
            "AWSLambdaFunction",
            "AWSSubnet",
            on=(("subnet_ids", "uid"),),
            in_list="source",
            forward="subnets",
            backward="lambda_functions",
            backward_many=True,
            scoped="source",
        ),
        Link(
            "IN_SECURITY_GROUP",
            "AWSLambdaFunction",
            "AWSSecurityGroup",
            on=(("security_group_ids", "uid"),),
            in_list="source",
            forward="security_groups",
            backward="lambda_functions",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A Lambda function; one in a VPC is in its subnets and security groups.",
)


def _vpc(function: dict[str, Any]) -> dict[str, Any]:
    return function.get("VpcConfig") or {}


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    client = session.client("lambda")
    # ListFunctions answers at most 50 a page.
    for page in client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 50}):
        yield list(session.each(page["Functions"], partial(_with_tags, session, client)))


def _with_tags(session: AwsSession, client: Any, function: dict[str, Any]) -> dict[str, Any]:
    """The function with its tags; UNKNOWN (and a warning) where ListTags failed, so the
    graph keeps the tags it knew."""
    arn = function["FunctionArn"]

    def ask() -> list[str]:
        found = client.list_tags(Resource=arn).get("Tags") or {}
        return sorted(f"{k}={v}" for k, v in found.items())

    return {**function, "TagList": session.attempt(f"tags of {arn}", ask)}


COLLECTOR = Collector(KIND, collect)
