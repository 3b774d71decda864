"""Bad input at the CLI: one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "--payload is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"acount": "x"}', "acount: unknown key"),
        ('{"region": 5}', "region: Input should be a valid string"),
    ],
)
def test_bad_payload_is_refused_before_enqueue(
    config_path: Path, payload: str, message: str
) -> None:
    line = one_error_line(
        cli("collect", "aws:collect-vpcs", "--payload", payload, config=config_path)
    )
    assert message in line


def test_unknown_task_is_named_with_the_known_ones(config_path: Path) -> None:
    line = one_error_line(cli("collect", "aws:collect-everything", config=config_path))
    assert "unknown task 'aws:collect-everything'" in line and "aws:collect-vpcs" in line


def test_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("redis:\n  url: redis://127.0.0.1:1/0\n")
    line = one_error_line(cli("collect", "aws:collect-all", config=config))
    assert "Redis at redis://127.0.0.1:1/0 is not reachable" in line


def test_unreachable_neo4j_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("neo4j:\n  uri: bolt://127.0.0.1:1\n  connect_timeout: 1\n")
    line = one_error_line(cli("db", "migrate", config=config))
    assert "Neo4j at bolt://127.0.0.1:1 is not reachable" in line


def test_wrong_neo4j_password_is_one_line(stack, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"neo4j:\n  uri: bolt://127.0.0.1:{stack.ports.bolt}\n  password: wrong-one\n"
    )
    line = one_error_line(cli("db", "migrate", config=config))
    assert "refused the credentials of user 'neo4j'" in line


def test_worker_refuses_to_start_without_redis(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("redis:\n  url: redis://127.0.0.1:1/0\n")
    line = one_error_line(cli("worker", config=config, timeout=60))
    assert "not reachable" in line


def test_task_show_of_an_unknown_id_says_so(config_path: Path) -> None:
    line = one_error_line(cli("task", "show", "no-such-id", config=config_path))
    assert "no task no-such-id" in line
