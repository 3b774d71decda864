"""Machine images: those the account owns and those its instances run, in one region.

An image used by many accounts is one node; each region that sees it has a HAS_IMAGE
link to it, renewed by each collection, so cleanup of one scope never deletes an image
another scope still uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import rows
from collectors.aws.kinds import TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="images",
    label="AWSImage",
    scope=("region",),
    fields=(
        Field("image_id", filter=True),
        Field("owner_id", filter=True),
        Field("state", filter=True),
        Field("creation_date"),
        Field("architecture", filter=True),
        Field("platform", filter=True),
        Field("image_type", filter=True),
        Field("public", bool, filter=True),
        Field("description"),
        *TAGS,
    ),
    member_of=Link(
        "HAS_IMAGE",
        "AWSRegion",
        "AWSImage",
        on=(("region", "region"),),
        forward="images",
        backward="regions",
        backward_many=True,
    ),
    links=(
        Link(
            "USES_IMAGE",
            "AWSInstance",
            "AWSImage",
            on=(("image_id", "uid"),),
            forward="image",
            backward="instances",
            forward_many=False,
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A machine image (AMI).",
)

BATCH = 200  # image ids per DescribeImages filter


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    ec2 = scope.client("ec2")
    for page in ec2.get_paginator("describe_images").paginate(Owners=["self"]):
        yield [_row(i) for i in page["Images"]]
    used = sorted(_used_image_ids(ec2))
    for start in range(0, len(used), BATCH):
        ids = used[start : start + BATCH]
        # A filter, not ImageIds: an id that no longer exists is skipped, not an error.
        reply = ec2.describe_images(Filters=[{"Name": "image-id", "Values": ids}])
        yield [_row(i) for i in reply["Images"]]


def _used_image_ids(ec2: object) -> set[str]:
    paginator = ec2.get_paginator("describe_instances")  # type: ignore[attr-defined]
    return {
        i["ImageId"]
        for page in paginator.paginate()
        for r in page["Reservations"]
        for i in r["Instances"]
        if i.get("ImageId") and i.get("State", {}).get("Name") != "terminated"
    }


def _row(i: dict) -> Row:
    return {
        "uid": i["ImageId"],
        "image_id": i["ImageId"],
        "tags": rows.tags(i.get("Tags"))["tags"],
        "name": i.get("Name"),  # the image's own name, rather than a Name tag
        "owner_id": i.get("OwnerId"),
        "state": i.get("State"),
        "creation_date": i.get("CreationDate"),
        "architecture": i.get("Architecture"),
        "platform": i.get("Platform") or i.get("PlatformDetails"),
        "image_type": i.get("ImageType"),
        "public": i.get("Public"),
        "description": i.get("Description"),
    }


COLLECTOR = Collector(KIND, collect)
