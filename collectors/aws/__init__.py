"""AWS through boto3: accounts x regions, each scope collected independently.

This module and the kind modules it lists import no SDK; ``collectors.aws.source`` does.
"""

from __future__ import annotations

from collectors.aws.config import AwsConfig
from collectors.aws.payload import AwsPayload, scope_keys
from collectors.base import Provider, collectors_of

PROVIDER = Provider(
    name="aws",
    collectors=collectors_of(
        __name__,
        "accounts",
        "regions",
        "zones",
        "vpcs",
        "subnets",
        "instances",
        "images",
        "interfaces",
        "security_groups",
        "load_balancers",
        "buckets",
        "volumes",
        "elastic_ips",
        "snapshots",
        "nat_gateways",
        "db_instances",
        "lambda_functions",
        "auto_scaling_groups",
        "hosted_zones",
        "dns_records",
    ),
    config=AwsConfig,
    payload=AwsPayload,
    scope_keys=scope_keys,
    named=("account", "accounts"),
    link_scope=("account_id", "region"),
    source="collectors.aws.source:AwsSource",
)
