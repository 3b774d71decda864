"""S3 buckets of one account, each with the region it lives in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from collectors.aws.kinds import GLOBAL
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="buckets",
    label="AWSBucket",
    scope=GLOBAL,
    fields=(
        Field("name", filter=True),
        Field("region", filter=True),
        Field("creation_date", datetime),
    ),
    links=(
        Link(
            "HAS_BUCKET",
            "AWSRegion",
            "AWSBucket",
            on=(("account_id", "account_id"), ("region", "region")),
            forward="buckets",
            backward="aws_region",
        ),
    ),
    description="An S3 bucket.",
)

# GetBucketLocation's answers for the two regions it names differently.
LEGACY = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    s3 = scope.client("s3")
    for page in s3.get_paginator("list_buckets").paginate():
        yield [
            {
                "uid": b["Name"],
                "name": b["Name"],
                "region": _region(s3, b["Name"]),
                "creation_date": b.get("CreationDate"),
            }
            for b in page["Buckets"]
        ]


def _region(s3: object, name: str) -> str:
    location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")  # type: ignore[attr-defined]
    return LEGACY.get(location, location)


COLLECTOR = Collector(KIND, collect)
