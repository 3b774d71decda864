"""Regions of each account: the configured list, or every enabled region."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.kinds import GLOBAL
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="regions",
    label="AWSRegion",
    scope=GLOBAL,
    fields=(
        Field("name", filter=True),
        Field("region", filter=True),
        Field("opt_in_status", filter=True),
    ),
    links=(
        Link(
            "HAS_REGION",
            "AWSAccount",
            "AWSRegion",
            on=(("account_id", "account_id"),),
            forward="regions",
            backward="account",
        ),
    ),
    description="An AWS region enabled for (or configured on) an account.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    wanted = set(scope.session.regions())
    reply = scope.client("ec2").describe_regions(AllRegions=True)
    yield [
        {
            "uid": f"{scope.account_id}:{r['RegionName']}",
            "name": r["RegionName"],
            "region": r["RegionName"],
            "opt_in_status": r.get("OptInStatus"),
        }
        for r in reply["Regions"]
        if r["RegionName"] in wanted
    ]


COLLECTOR = Collector(KIND, collect)
