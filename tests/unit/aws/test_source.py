"""The AWS source without a call to AWS: its configured accounts, the clients shared per
account and made again before assumed credentials expire, and the scopes it fans out to."""

from __future__ import annotations

import pytest

from collectors import base
from collectors.aws import buckets, vpcs
from collectors.aws.config import AwsConfig
from collectors.aws.session import MAX_AGE_S
from collectors.aws.source import AwsSource
from collectors.base import PermanentError


def source() -> AwsSource:
    accounts = [{"name": "prod", "regions": ["eu-west-1"]}, {"name": "dev"}]
    return AwsSource(AwsConfig.model_validate({"accounts": accounts}))


def test_an_unknown_account_is_refused_for_good_with_the_known_ones() -> None:
    with pytest.raises(PermanentError, match=r"unknown AWS account 'qa' \(known: dev, prod\)"):
        source().connection("qa")
    with pytest.raises(PermanentError, match="unknown AWS account 'qa'"):
        list(source().scopes(vpcs.KIND, {"account": "qa"}))


def test_an_accounts_clients_are_shared_until_they_are_old(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: now[0])
    aws = source()
    first = aws.connection("prod")
    assert aws.connection("prod") is first and aws.connection("dev") is not first
    now[0] += MAX_AGE_S + 1
    assert aws.connection("prod") is not first


def test_scopes_are_one_per_account_then_one_per_configured_region() -> None:
    aws = source()
    assert list(aws.scopes(vpcs.KIND, {"region": "eu-west-1"})) == [
        {"account": "prod", "region": "eu-west-1"},
        {"account": "dev", "region": "eu-west-1"},
    ]
    assert list(aws.scopes(buckets.KIND, {"region": "eu-west-1"})) == [
        {"account": "prod"},
        {"account": "dev"},
    ]
    assert list(aws.scopes(vpcs.KIND, {"account": "prod"})) == [
        {"account": "prod", "region": "eu-west-1"}
    ]


def test_a_session_needs_the_scope_its_kind_has() -> None:
    aws = source()
    with pytest.raises(PermanentError, match="aws:collect-vpcs needs a region"):
        aws.open(vpcs.KIND, {"account": "prod"}).__enter__()
    with pytest.raises(PermanentError, match="not configured for account prod"):
        aws.open(vpcs.KIND, {"account": "prod", "region": "us-east-1"}).__enter__()
    with aws.open(buckets.KIND, {"account": "dev"}) as session:
        assert session.region is None and session.account.name == "dev"
