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
    ],
)
def test_credentials_are_masked_by_where_they_sit_whatever_their_value(
    said: str, logged: str
) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, said, None, None)
    assert json.loads(JsonLines([]).format(record))["message"] == logged
