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
        Field("volume_id", source="VolumeId", filter=True),
        Field("size_gib", int, source="Size"),
        Field("volume_type", source="VolumeType", filter=True),
        Field("state", source="State", filter=True),
        Field("iops", int, source="Iops"),
        Field("encrypted", bool, source="Encrypted", filter=True),
        Field("create_time", datetime, source="CreateTime"),
        Field("availability_zone", source="AvailabilityZone", filter=True),
        Field("snapshot_id", source="SnapshotId"),
        # Usually one; io1/io2 volumes may be attached to several instances at once.
        Field("instance_ids", list, source=ids("Attachments", "InstanceId")),
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
