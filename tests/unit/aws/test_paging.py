"""The AWS listings page through their operations as declared: the operation, where the
records are in each page, and the page size asked for (None: the service's own)."""

from __future__ import annotations

import pytest

from collectors.aws import images, instances, interfaces, security_groups, subnets, volumes, vpcs
from collectors.base import Collector
from tests.unit.aws.fake import FakeSession

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.mark.parametrize(
    ("collector", "operation", "key", "page_size"),
    [
        (vpcs.COLLECTOR, "describe_vpcs", "Vpcs", None),
        (subnets.COLLECTOR, "describe_subnets", "Subnets", None),
        (security_groups.COLLECTOR, "describe_security_groups", "SecurityGroups", None),
        (interfaces.COLLECTOR, "describe_network_interfaces", "NetworkInterfaces", None),
        (volumes.COLLECTOR, "describe_volumes", "Volumes", 500),
    ],
)
def test_a_paged_listing_yields_each_page_of_its_operation(
    collector: Collector, operation: str, key: str, page_size: int | None
) -> None:
    listed = [{"Id": "a"}, {"Id": "b"}]
    answer = {"params": {}, "response": {key: listed, "NextToken": None}}
    session = FakeSession(ACCOUNT, REGION, answers={f"ec2.{operation}": [answer]})
    assert list(collector.collect(session)) == [listed]
    ec2 = session.clients["ec2"]
    assert ec2.calls == [(operation, {})]
    assert ec2.page_sizes == {operation: page_size}


def test_instances_are_listed_by_the_thousand() -> None:
    session = FakeSession(ACCOUNT, REGION)
    list(instances.COLLECTOR.collect(session))
    assert session.clients["ec2"].page_sizes == {"describe_instances": 1000}


def test_images_named_are_asked_for_two_hundred_at_a_time() -> None:
    ids = [f"ami-{n:04x}" for n in range(450)]
    answers = [
        {
            "params": {"Filters": [{"Name": "image-id", "Values": ids[n : n + 200]}]},
            "response": {"Images": [{"ImageId": ids[n]}]},
        }
        for n in range(0, 450, 200)
    ]
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_images": answers})
    assert list(images.by_id(session, ids)) == [[{"ImageId": ids[n]}] for n in (0, 200, 400)]
    asked = [p["Filters"][0]["Values"] for _, p in session.clients["ec2"].calls]
    assert [len(a) for a in asked] == [200, 200, 50]
    assert [i for a in asked for i in a] == ids
