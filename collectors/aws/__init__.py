"""AWS through boto3: accounts x regions, each scope collected independently.

This module and the kind modules it lists import no SDK; ``connect`` does.
"""

from __future__ import annotations

from collectors.aws import (
    accounts,
    buckets,
    images,
    instances,
    interfaces,
    load_balancers,
    regions,
    security_groups,
    subnets,
    volumes,
    vpcs,
    zones,
)
from collectors.aws.config import AwsConfig
from collectors.aws.payload import AwsPayload, scope_keys
from collectors.base import Provider, Source


def _connect(config: AwsConfig) -> Source:
    from collectors.aws.source import AwsSource

    return AwsSource(config)


def _known(config: AwsConfig) -> dict[str, set[str]]:
    return {"account": {a.name for a in config.accounts}}


PROVIDER = Provider(
    name="aws",
    collectors=(
        accounts.COLLECTOR,
        regions.COLLECTOR,
        zones.COLLECTOR,
        vpcs.COLLECTOR,
        subnets.COLLECTOR,
        instances.COLLECTOR,
        images.COLLECTOR,
        interfaces.COLLECTOR,
        security_groups.COLLECTOR,
        load_balancers.COLLECTOR,
        buckets.COLLECTOR,
        volumes.COLLECTOR,
    ),
    config=AwsConfig,
    payload=AwsPayload,
    scope_keys=scope_keys,
    known=_known,
    scope_label="AWSRegion",
    link_scope=("account_id", "region"),
    connect=_connect,
)
