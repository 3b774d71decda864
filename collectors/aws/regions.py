"""Regions of each account: the configured list, or every enabled region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL, named_in_account
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="regions",
    label="AWSRegion",
    scope=GLOBAL,
    uid="uid",  # <account_id>:<name>, as every account names its regions alike
    fields=(
        Field("name", path="RegionName", filter=True),
        Field("region", path="RegionName", filter=True),
        Field("opt_in_status", path="OptInStatus", filter=True),
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
    regions = [r for r in reply["Regions"] if r["RegionName"] in wanted]
    yield named_in_account(session, regions, "RegionName")


COLLECTOR = Collector(KIND, collect)
