"""Regions of each account: the configured list, or every enabled region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="regions",
    label="AWSRegion",
    scope=GLOBAL,
    uid=lambda r: f"{r['AccountId']}:{r['RegionName']}",
    fields=(
        Field("name", source="RegionName", filter=True),
        Field("region", source="RegionName", filter=True),
        Field("opt_in_status", source="OptInStatus", filter=True),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    wanted = set(session.regions())
    reply = session.client("ec2").describe_regions(AllRegions=True)
    account = session.account_id
    yield [{**r, "AccountId": account} for r in reply["Regions"] if r["RegionName"] in wanted]


COLLECTOR = Collector(KIND, collect)
