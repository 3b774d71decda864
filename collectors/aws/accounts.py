"""AWS accounts, as the caller identity of each configured account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL
from collectors.base import Collector
from model import Field, Kind

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="accounts",
    label="AWSAccount",
    scope=GLOBAL,
    uid="Account",
    fields=(Field("name", path="Name", filter=True),),
    description="An AWS account reached through one configured way in.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    # The name is ours: the one the config gives this way in.
    yield [{"Account": session.account_id, "Name": session.account.name}]


COLLECTOR = Collector(KIND, collect)
