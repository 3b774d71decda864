"""AWS accounts, as the caller identity of each configured account."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.kinds import GLOBAL
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind

KIND = Kind(
    provider="aws",
    name="accounts",
    label="AWSAccount",
    scope=GLOBAL,
    fields=(Field("name", filter=True),),
    description="An AWS account reached through one configured way in.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    yield [{"uid": scope.account_id, "name": scope.account.name}]


COLLECTOR = Collector(KIND, collect)
