"""Auto Scaling groups of one account and region, the instances they hold and the subnets
they launch into."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from collectors.aws.common import REGIONAL, ids, paged, tag_list
from model import Field, Kind, Link


def _sorted(key: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda group: sorted(group.get(key) or ())


def _subnets(group: dict[str, Any]) -> list[str]:
    # VPCZoneIdentifier is the subnets as one comma-separated string ("" or absent for
    # a group in EC2-Classic or in availability zones only).
    return sorted(s.strip() for s in (group.get("VPCZoneIdentifier") or "").split(",") if s.strip())


def _launched_from(group: dict[str, Any]) -> str | None:
    """The launch template (or configuration) new instances are made from."""
    template = group.get("LaunchTemplate") or (
        (group.get("MixedInstancesPolicy") or {})
        .get("LaunchTemplate", {})
        .get("LaunchTemplateSpecification")
    )
    if template:
        return template.get("LaunchTemplateName") or template.get("LaunchTemplateId")
    name = group.get("LaunchConfigurationName")
    return str(name) if name else None


KIND = Kind(
    provider="aws",
    name="auto-scaling-groups",
    label="AWSAutoScalingGroup",
    scope=REGIONAL,
    uid="AutoScalingGroupARN",
    fields=(
        Field("arn", path="AutoScalingGroupARN"),
        Field("name", path="AutoScalingGroupName", filter=True),
        Field("desired", int, path="DesiredCapacity"),
        Field("min_size", int, path="MinSize"),
        Field("max_size", int, path="MaxSize"),
        Field("create_time", datetime, path="CreatedTime"),
        # Only while the group is being deleted ("Delete in progress").
        Field("status", path="Status"),
        Field("health_check_type", path="HealthCheckType"),
        Field("launched_from", path=_launched_from),
        Field("availability_zones", list, path=_sorted("AvailabilityZones")),
        Field("subnet_ids", list, path=_subnets),
        Field("instance_ids", list, path=ids("Instances", "InstanceId")),
        Field("target_group_arns", list, path=_sorted("TargetGroupARNs")),
        Field("load_balancer_names", list, path=_sorted("LoadBalancerNames")),
        # Its name is the group's own; its tags (Name too) are kept as key=value strings.
        Field("tags", list, path=tag_list()),
    ),
    links=(
        Link(
            "HAS_INSTANCE",
            "AWSAutoScalingGroup",
            "AWSInstance",
            on=(("instance_ids", "uid"),),
            in_list="source",
            forward="instances",
            backward="auto_scaling_group",
            scoped="source",
        ),
        Link(
            "IN_SUBNET",
            "AWSAutoScalingGroup",
            "AWSSubnet",
            on=(("subnet_ids", "uid"),),
            in_list="source",
            forward="subnets",
            backward="auto_scaling_groups",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="An EC2 Auto Scaling group; one wanting no instance, or holding none, is idle.",
)

# DescribeAutoScalingGroups answers at most 100 a page.
COLLECTOR = paged(
    KIND, "autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups", page_size=100
)
