"""Every service's client is made alike (no call to AWS): the RDS, Lambda and Auto Scaling
clients get the account's adaptive retries, timeouts, endpoint and credentials as EC2's
do, from one session per account (so an assumed role's credentials serve them all)."""

from __future__ import annotations

import pytest

from collectors.aws.config import AwsAccountConfig
from collectors.aws.session import AccountClients

ENDPOINT = "http://127.0.0.1:1"


@pytest.mark.parametrize("service", ["ec2", "rds", "lambda", "autoscaling"])
def test_each_service_gets_the_accounts_retries_endpoint_and_keys(service: str) -> None:
    account = AwsAccountConfig.model_validate(
        {
            "name": "prod",
            "regions": ["eu-west-1"],
            "endpoint_url": ENDPOINT,
            "access_key_id": "AKIDPROD",
            "secret_access_key": "secret",
            "max_attempts": 7,
        }
    )
    clients = AccountClients(account)
    client = clients.client(service, "eu-west-1")
    assert client.meta.service_model.service_name == service
    # botocore keeps the account's max_attempts (retries) as attempts in all.
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 8}
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (10, 60)
    assert client.meta.endpoint_url == ENDPOINT and client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == "AKIDPROD"
    # Made once per region, from the account's one session.
    assert clients.client(service, "eu-west-1") is client
    assert clients.client(service, "us-east-1") is not client
    assert clients.__dict__["boto"] is clients.boto
