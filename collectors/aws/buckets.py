"""S3 buckets of one account, each with the region it lives in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="buckets",
    label="AWSBucket",
    scope=GLOBAL,
    uid="Name",
    fields=(
        Field("name", path="Name", filter=True),
        Field("region", path="Region", filter=True),
        Field("creation_date", datetime, path="CreationDate"),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    s3 = session.client("s3")
    for page in s3.get_paginator("list_buckets").paginate():
        yield list(session.each(page["Buckets"], partial(_located, session, s3)))


def _located(session: AwsSession, s3: Any, bucket: dict[str, Any]) -> dict[str, Any]:
    """The bucket with its region; UNKNOWN (and a warning) where the call failed."""

    def ask() -> str:
        location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
        return LEGACY.get(location, location)

    return {**bucket, "Region": session.attempt(f"location of bucket {bucket['Name']}", ask)}


COLLECTOR = Collector(KIND, collect)
