"""Bad payloads are refused at the door, the same on REST, GraphQL and the CLI: with a 4xx
(or a CLI error) naming the field, and nothing enqueued."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from tests.helpers import cli

NOT_OBJECTS = [False, 0, "", [], None]
BAD = [
    ("aws:collect-vpcs", {"account": "nope"}, "unknown account 'nope'"),
    ("vsphere:collect-vms", {"vcenter": "nowhere"}, "unknown vcenter 'nowhere'"),
    ("aws:link-all", {"types": ["HAS_NOTHING"]}, "types.0"),
    ("aux:housekeeper", {"retention_days": 1e12}, "retention_days"),
]


@pytest.fixture(scope="module")
def client(settings: Settings, migrated) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _enqueued(client: TestClient, admin: dict[str, str]) -> int:
    return len(client.get("/api/v1/tasks", headers=admin, params={"limit": 1000}).json()["items"])


def _graphql(client: TestClient, admin: dict[str, str], task: str, payload: object) -> dict:
    query = "mutation($t: String!, $p: JSON) { enqueueTask(task: $t, payload: $p) { id } }"
    reply = client.post(
        "/graphql", headers=admin, json={"query": query, "variables": {"t": task, "p": payload}}
    )
    assert reply.status_code == 200
    return reply.json()


@pytest.mark.parametrize("payload", NOT_OBJECTS, ids=repr)
def test_a_payload_that_is_not_an_object_is_refused_everywhere(
    client: TestClient, admin: dict[str, str], config_path: Path, payload: object
) -> None:
    before = _enqueued(client, admin)
    reply = client.post(
        "/api/v1/tasks", headers=admin, json={"task": "aws:collect-all", "payload": payload}
    )
    if payload is None:  # JSON null for an optional field: the empty payload, by the schema
        assert reply.status_code in (202, 422)
    else:
        assert reply.status_code == 422 and "payload" in reply.text
    if payload is not None:
        body = _graphql(client, admin, "aws:collect-all", payload)
        assert body["data"] is None and "must be a JSON object" in body["errors"][0]["message"]
    result = cli("collect", "aws:collect-all", "--payload", json.dumps(payload), config=config_path)
    assert result.returncode == 2 and "must be a JSON object" in result.stderr
    assert "Traceback" not in result.stderr
    if payload is not None:
        assert _enqueued(client, admin) == before


@pytest.mark.parametrize(("task", "payload", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_field_is_refused_everywhere_by_name(
    client: TestClient, admin: dict[str, str], config_path: Path, task: str, payload: dict,
    message: str,
) -> None:  # fmt: skip
    before = _enqueued(client, admin)
    reply = client.post("/api/v1/tasks", headers=admin, json={"task": task, "payload": payload})
    assert reply.status_code == 422, reply.text
    # REST checks the body against the contract's schema, whose error names the field by its
    # path (an account or vCenter: "Input should be" one of the configured names); the
    # others run the payload's own check.
    field = next(iter(payload))
    problem = reply.json()
    assert message in problem["detail"] or any(
        e["loc"][-1] == field and e["type"] == "literal_error" for e in problem["errors"]
    ), problem
    body = _graphql(client, admin, task, payload)
    assert message in body["errors"][0]["message"]
    result = cli("collect", task, "--payload", json.dumps(payload), config=config_path)
    assert result.returncode == 2 and message in result.stderr
    assert _enqueued(client, admin) == before
