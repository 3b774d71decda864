"""EBS volumes of one account and region, and the instances they are attached to."""

from __future__ import annotations

from datetime import datetime

from collectors.aws.common import REGIONAL, ids, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="volumes",
    label="AWSVolume",
    scope=REGIONAL,
    uid="VolumeId",
    fields=(
        Field("volume_id", path="VolumeId", filter=True),
        Field("size_gib", int, path="Size"),
        Field("volume_type", path="VolumeType", filter=True),
        Field("state", path="State", filter=True),
        Field("iops", int, path="Iops"),
        Field("encrypted", bool, path="Encrypted", filter=True),
        Field("create_time", datetime, path="CreateTime"),
        Field("availability_zone", path="AvailabilityZone", filter=True),
        Field("snapshot_id", path="SnapshotId"),
        # Usually one; io1/io2 volumes may be attached to several instances at once.
        Field("instance_ids", list, path=ids("Attachments", "InstanceId")),
        *tags(),
    ),
    links=(
        Link(
            "HAS_VOLUME",
            "AWSInstance",
            "AWSVolume",
            on=(("uid", "instance_ids"),),
            in_list="target",
            forward="volumes",
            backward="instances",
            backward_many=True,
        ),
    ),
    description="An EBS volume; one attached to nothing is the commonest cloud leak.",
)

COLLECTOR = paged(KIND, "ec2", "describe_volumes", "Volumes", page_size=500)
