"""Row mapping of Auto Scaling groups from a DescribeAutoScalingGroups answer recorded
from moto."""

from __future__ import annotations

from datetime import datetime

from collectors.aws import auto_scaling_groups
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def _recorded() -> dict[str, dict]:
    answer = recording("autoscaling", "describe_auto_scaling_groups")[0]["response"]
    return {g["AutoScalingGroupName"]: g for g in answer["AutoScalingGroups"]}


def _rows(*groups: dict) -> dict[str, dict]:
    answers = {}
    if groups:
        answer = {"params": {}, "response": {"AutoScalingGroups": list(groups)}}
        answers = {"autoscaling.describe_auto_scaling_groups": [answer]}
    session = FakeSession(ACCOUNT, REGION, answers=answers)
    return {r["name"]: r for r in rows(auto_scaling_groups.COLLECTOR, session)}


def test_groups_keep_their_sizes_instances_and_subnets() -> None:
    got, recorded = _rows(), _recorded()
    assert set(got) == set(recorded) == {"main-web-asg", "main-empty-asg"}
    web = got["main-web-asg"]
    assert web["uid"] == web["arn"] == recorded["main-web-asg"]["AutoScalingGroupARN"]
    assert (web["desired"], web["min_size"], web["max_size"]) == (1, 0, 2)
    assert web["instance_ids"] == [i["InstanceId"] for i in recorded["main-web-asg"]["Instances"]]
    assert len(web["instance_ids"]) == 1
    # VPCZoneIdentifier is one comma-separated string.
    subnets = recorded["main-web-asg"]["VPCZoneIdentifier"].split(",")
    assert web["subnet_ids"] == sorted(subnets) and len(subnets) == 2
    assert web["launched_from"] == "main-web"
    assert web["tags"] == ["owner=main"]
    assert isinstance(web["create_time"], datetime) and web["create_time"].tzinfo
    empty = got["main-empty-asg"]
    assert (empty["desired"], empty["instance_ids"]) == (0, [])


def test_a_group_in_zones_only_sits_in_no_subnet() -> None:
    group = {**_recorded()["main-empty-asg"], "VPCZoneIdentifier": ""}
    assert _rows(group)["main-empty-asg"]["subnet_ids"] == []
    del group["VPCZoneIdentifier"]
    assert _rows(group)["main-empty-asg"]["subnet_ids"] == []


def test_what_instances_are_launched_from_is_a_template_or_a_configuration() -> None:
    base = {k: v for k, v in _recorded()["main-web-asg"].items() if k != "LaunchTemplate"}
    spec = {"LaunchTemplateSpecification": {"LaunchTemplateName": "mixed", "Version": "$Latest"}}
    mixed = {**base, "MixedInstancesPolicy": {"LaunchTemplate": spec}}
    assert _rows(mixed)["main-web-asg"]["launched_from"] == "mixed"
    configured = {**base, "LaunchConfigurationName": "old-style"}
    assert _rows(configured)["main-web-asg"]["launched_from"] == "old-style"
    assert _rows(base)["main-web-asg"]["launched_from"] is None


def test_groups_are_listed_a_hundred_a_page() -> None:
    session = FakeSession(ACCOUNT, REGION)
    list(auto_scaling_groups.COLLECTOR.collect(session))
    assert session.clients["autoscaling"].page_sizes == {"describe_auto_scaling_groups": 100}


def test_the_links_go_from_the_group_to_its_instances_and_subnets() -> None:
    has_instance, in_subnet = auto_scaling_groups.KIND.links
    assert (has_instance.source, has_instance.type, has_instance.target) == (
        "AWSAutoScalingGroup",
        "HAS_INSTANCE",
        "AWSInstance",
    )
    assert not has_instance.backward_many  # an instance is in one group at most
    assert (in_subnet.source, in_subnet.type, in_subnet.target) == (
        "AWSAutoScalingGroup",
        "IN_SUBNET",
        "AWSSubnet",
    )
    assert all(lk.in_list == "source" and lk.scoped == "source" for lk in (has_instance, in_subnet))
