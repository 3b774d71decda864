"""EBS snapshots one account owns in one region, and the volumes they were taken of."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="snapshots",
    label="AWSSnapshot",
    scope=REGIONAL,
    uid="SnapshotId",
    fields=(
        Field("snapshot_id", path="SnapshotId", filter=True),
        # Kept whether or not the volume still exists (a copied snapshot names vol-ffffffff).
        Field("volume_id", path="VolumeId", filter=True),
        Field("volume_size_gib", int, path="VolumeSize"),
        Field("state", path="State", filter=True),
        Field("start_time", datetime, path="StartTime"),
        Field("encrypted", bool, path="Encrypted", filter=True),
        Field("description", path="Description"),
        Field("owner_id", path="OwnerId", filter=True),
        Field("storage_tier", path="StorageTier", filter=True),
        *tags(),
    ),
    links=(
        Link(
            "HAS_SNAPSHOT",
            "AWSRegion",
            "AWSSnapshot",
            on=(("account_id", "account_id"), ("region", "region")),
            forward="snapshots",
            backward="aws_region",
        ),
        Link(
            "HAS_SNAPSHOT",
            "AWSVolume",
            "AWSSnapshot",
            on=(("uid", "volume_id"),),
            forward="snapshots",
            backward="volume",
        ),
    ),
    description="An EBS snapshot the account owns; one of a deleted volume is often forgotten.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    paginator = session.client("ec2").get_paginator("describe_snapshots")
    # Only the account's own.  AWS gives nothing else for "self"; the owner filter, the same
    # request to AWS, keeps a simulator that ignores OwnerIds (moto answers with the 1,300
    # snapshots behind its public images too) from sending what would only be dropped here.
    own = [{"Name": "owner-id", "Values": [session.account_id]}]
    pages = paginator.paginate(OwnerIds=["self"], Filters=own, PaginationConfig={"PageSize": 1000})
    for page in pages:
        yield [s for s in page["Snapshots"] if s.get("OwnerId") == session.account_id]


COLLECTOR = Collector(KIND, collect)
