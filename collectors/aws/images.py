"""Machine images: those the account owns and those its instances run, in one region.

An image used by many accounts is one node; each region that sees it has a HAS_IMAGE
link to it, renewed by each collection, so cleanup of one scope never deletes an image
another scope still uses.  The node holds its owner account's view (others do not see its
tags), or else the first view written while that scope still sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.aws.common import PLATFORM, tag_list
from collectors.base import Collector, Reads
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession


def _snapshot_ids(image: dict[str, Any]) -> list[str]:
    mappings = image.get("BlockDeviceMappings") or ()
    return sorted(m["Ebs"]["SnapshotId"] for m in mappings if m.get("Ebs", {}).get("SnapshotId"))


KIND = Kind(
    provider="aws",
    name="images",
    label="AWSImage",
    scope=("region",),
    uid="ImageId",
    fields=(
        Field("image_id", path="ImageId", filter=True),
        Field("name", path="Name", filter=True),  # the image's own name, not a tag
        Field("tags", list, path=tag_list()),
        Field("owner_id", path="OwnerId", filter=True),
        Field("state", path="State", filter=True),
        # ISO 8601 text, unlike every other AWS time: the field makes it a time.
        Field("creation_date", datetime, path="CreationDate"),
        Field("architecture", path="Architecture", filter=True),
        PLATFORM,
        Field("image_type", path="ImageType", filter=True),
        Field("public", bool, path="Public", filter=True),
        Field("description", path="Description"),
        # The snapshots behind its EBS volumes, which live as long as the image does.
        Field("snapshot_ids", list, path=_snapshot_ids),
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
    # Tags (and, in moto, each account's copy of a public image) differ by who looks.
    owner_view=("owner_id", "account_id"),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    ec2 = session.client("ec2")
    for page in ec2.get_paginator("describe_images").paginate(Owners=["self"]):
        yield page["Images"]
    # Then those the region's instances run, owned or not, as the graph holds them (listing
    # the instances again cost a fifth of a worker's time); an instances collection that
    # finds one the graph lacks fetches it itself (``by_id``).
    yield from by_id(session, sorted(session.referenced))


def by_id(session: AwsSession, ids: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The images named, those that still exist (terminated instances' may not)."""
    ec2 = session.client("ec2")
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        # A filter, not ImageIds: an id that no longer exists is skipped, not an error.
        yield ec2.describe_images(Filters=[{"Name": "image-id", "Values": batch}])["Images"]


COLLECTOR = Collector(KIND, collect, reads=Reads("AWSInstance", "image_id", by_id))
