"""Log lines: JSON with their extra fields, and no secret from the settings in them."""

from __future__ import annotations

import json
import logging

import pytest

from app.config import Settings
from app.logs import JsonLines, secrets_in


def test_a_line_is_json_with_its_extra_fields_and_secrets_masked() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key is %s", ('s3"cret',), None)
    record.schedule = "nightly"
    line = json.loads(JsonLines(['s3"cret']).format(record))
    assert line["message"] == "key is ***"
    assert (line["level"], line["logger"], line["schedule"]) == ("INFO", "x", "nightly")


def test_every_secret_in_the_settings_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_CONFIG", raising=False)
    settings = Settings(
        neo4j={"password": "pw-1"},
        redis={"sentinels": ["a:1"], "master_name": "m", "sentinel_password": "pw-2"},
        api={"tokens": [{"token": "tok-3-xxxxxxxxxxxxxxxxxxxxxxxx", "access": "read"}]},
        aws={"accounts": [{"name": "a", "access_key_id": "AK", "secret_access_key": "sk-4"}]},
    )
    assert {"pw-1", "pw-2", "tok-3-xxxxxxxxxxxxxxxxxxxxxxxx", "AK", "sk-4"} <= set(
        secrets_in(settings)
    )


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        ("GET /dashboard/?token=not-one-of-ours HTTP/1.1", "GET /dashboard/?token=*** HTTP/1.1"),
        ("GET /x?a=1&token=%25bad&b=2", "GET /x?a=1&token=***&b=2"),
        ("GET /x?access_token=abc", "GET /x?access_token=***"),
        ("{'authorization': 'Bearer rotated.out'}", "{'authorization': 'Bearer ***'}"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
        ("tokens=3 and a token, unmasked", "tokens=3 and a token, unmasked"),
        # A header quoted as JSON, in a JSON string, or as an ASGI scope's header pair.
        ('{"Authorization": "Bearer unknown-abc"}', '{"Authorization": "Bearer ***"}'),
        ('{\\"Authorization\\": \\"Bearer x\\"}', '{\\"Authorization\\": \\"Bearer ***\\"}'),
        (
            "[(b'authorization', b'Bearer abc'), (b'host', b'h')]",
            "[(b'authorization', b'Bearer ***'), (b'host', b'h')]",
        ),
        ("['Authorization: Bearer a b', 'Host: h']", "['Authorization: Bearer ***', 'Host: h']"),
        # The whole value, whatever the scheme, or with none.
        ("Authorization: Bearer abc def", "Authorization: Bearer ***"),
        ('Authorization: Digest username="a", response="6629fae4"', "Authorization: Digest ***"),
        (
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-east-1/ec2/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0",
            "Authorization: AWS4-HMAC-SHA256 ***",
        ),
        ("{'Authorization': 'opaque value'}", "{'Authorization': '***'}"),
        ("Proxy-Authorization: Negotiate YII a/b", "Proxy-Authorization: Negotiate ***"),
        ('{"X-Api-Key": "k-1", "Accept": "a"}', '{"X-Api-Key": "***", "Accept": "a"}'),
        ("Cookie: a=1; inventory_dashboard=s-2", "Cookie: ***"),
        ("vmware-api-session-id: 9d2b", "vmware-api-session-id: ***"),
        # SigV4 parameters: in a presigned URL, and as an Authorization header has them.
        (
            "GET /k?X-Amz-Credential=AKID%2F2026&X-Amz-Signature=abc&X-Amz-Security-Token=FQ"
            "&X-Amz-Expires=60",
            "GET /k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***"
            "&X-Amz-Expires=60",
        ),
        (
            "Credential=AKID/2026/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=ab",
            "Credential=***, SignedHeaders=host, Signature=***",
        ),
        ("user=bob&password=hunter2&x=1", "user=bob&password=***&x=1"),
        ("login(user='bob', password='p w')", "login(user='bob', password='***')"),
        # Ordinary text, unmasked.
        (
            "authorization failed for bob: token expired",
            "authorization failed for bob: token expired",
        ),
        (
            "NextToken=abc; 3 cookies; signature verified; authorization denied",
            "NextToken=abc; 3 cookies; signature verified; authorization denied",
        ),
    ],
)
def test_credentials_are_masked_by_where_they_sit_whatever_their_value(
    said: str, logged: str
) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, said, None, None)
    assert json.loads(JsonLines([]).format(record))["message"] == logged


def test_an_extra_field_naming_a_credential_is_masked_whole() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "asked", None, None)
    record.headers = {"Authorization": "Bearer abc", "accept": "application/json"}
    record.scope = {"headers": [(b"authorization", b"Basic dTpw"), (b"host", b"h")]}
    record.call = [("X-Amz-Security-Token", "FQ"), "password=pw"]
    line = json.loads(JsonLines([]).format(record))
    assert line["headers"] == {"Authorization": "***", "accept": "application/json"}
    assert line["scope"] == {"headers": [["b'authorization'", "***"], ["b'host'", "b'h'"]]}
    assert line["call"] == [["X-Amz-Security-Token", "***"], "password=***"]
