"""AWS timestamps read by datetime.fromisoformat are the times botocore's own parser
gives, whatever the form; and the clients of a session use it."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.utils
import pytest

from collectors.aws.session import _session, timestamp

FORMS = [
    "2026-12-06T04:26:09.000Z",  # EC2's
    "2026-12-06T04:26:09Z",
    "2019-06-26T17:33:16.361+0000",  # Lambda's LastModified
    "2026-12-06T04:26:09.123456789Z",  # more digits than datetime keeps
    "2026-12-06T06:26:09+02:00",
    "2026-12-06T04:26:09",  # no zone: naive, as botocore's
    "Sun, 06 Dec 2026 04:26:09 GMT",  # RFC 822: botocore's parser
    "1765000000",  # epoch text
    1765000000,
    1765000000.5,
]


@pytest.mark.parametrize("value", FORMS)
def test_a_timestamp_is_the_time_botocore_gives(value: object) -> None:
    ours, theirs = timestamp(value), botocore.utils.parse_timestamp(value)
    assert ours == theirs
    assert (ours.tzinfo is None) is (theirs.tzinfo is None)


def test_the_session_clients_parse_with_it() -> None:
    client = _session(aws_access_key_id="k", aws_secret_access_key="s").client(
        "ec2", region_name="eu-west-1"
    )
    parser = client._endpoint._response_parser_factory.create_parser("ec2")
    assert parser._timestamp_parser is timestamp
    assert timestamp("2026-12-06T04:26:09.000Z") == datetime(2026, 12, 6, 4, 26, 9, tzinfo=UTC)
