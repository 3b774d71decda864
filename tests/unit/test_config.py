"""Config loading: validation with one clear line, environment overrides, secret files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def write(text: str) -> Path:
        path = tmp_path / "inventory.yaml"
        path.write_text(text)
        monkeypatch.setenv("INVENTORY_CONFIG", str(path))
        return path

    for name in ("INVENTORY_NEO4J__PASSWORD", "INVENTORY_NEO4J__BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)
    return write


def test_valid_file_is_loaded(config) -> None:
    config(
        "neo4j:\n  batch_size: 250\naws:\n  accounts:\n    - name: prod\n      regions: [eu-west-1]"
    )
    s = load_settings()
    assert s.neo4j.batch_size == 250
    assert s.aws.accounts[0].regions == ["eu-west-1"]


def test_unknown_key_is_named(config) -> None:
    config("neo4j:\n  batchsize: 10\n")
    with pytest.raises(ConfigError, match=r"neo4j\.batchsize: unknown key"):
        load_settings()


def test_wrong_type_is_named(config) -> None:
    config("neo4j:\n  batch_size: lots\n")
    with pytest.raises(ConfigError, match=r"neo4j\.batch_size: .*integer"):
        load_settings()


def test_malformed_yaml_is_one_line(config) -> None:
    config("neo4j: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "\n" not in str(info.value)
    assert "cannot read config" in str(info.value)


def test_missing_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INVENTORY_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_environment_overrides_file(config, monkeypatch: pytest.MonkeyPatch) -> None:
    config("neo4j:\n  batch_size: 250\n  user: alice\n")
    monkeypatch.setenv("INVENTORY_NEO4J__BATCH_SIZE", "99")
    s = load_settings()
    assert s.neo4j.batch_size == 99
    assert s.neo4j.user == "alice"  # the rest of the section survives the override


def test_secret_read_from_file_and_never_shown(config, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret-value\n")
    config(f"neo4j:\n  password_file: {secret}\n")
    s = load_settings()
    assert s.neo4j.password.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(s) and "s3cret-value" not in str(s.model_dump())


def test_unreadable_secret_file_is_named(config, tmp_path: Path) -> None:
    config(f"neo4j:\n  password_file: {tmp_path / 'missing'}\n")
    with pytest.raises(ConfigError, match="cannot read password_file"):
        load_settings()


def test_half_a_key_pair_is_refused(config) -> None:
    config("aws:\n  accounts:\n    - name: a\n      access_key_id: AKIA\n")
    with pytest.raises(ConfigError, match="access_key_id and secret_access_key"):
        load_settings()


def test_duplicate_account_names_are_refused(config) -> None:
    config("aws:\n  accounts:\n    - name: a\n    - name: a\n")
    with pytest.raises(ConfigError, match="duplicate account name"):
        load_settings()


def test_cli_reports_bad_config_in_one_line_without_traceback(config) -> None:
    path = config("redis:\n  url: 42\n  colour: blue\n")
    result = subprocess.run(
        [sys.executable, "-m", "cli", "db", "migrate"],
        capture_output=True,
        text=True,
        env={"INVENTORY_CONFIG": str(path), "PATH": "/usr/bin"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: invalid config")


def test_duplicate_schedule_names_and_bad_cron_are_refused(config) -> None:
    config(
        "schedules:\n  - {name: a, task: aws:collect-all, interval_s: 60}\n"
        "  - {name: a, task: aws:collect-all, interval_s: 60}\n"
    )
    with pytest.raises(ConfigError, match="duplicate schedule name"):
        load_settings()
    config("schedules:\n  - {name: a, task: aws:collect-all, cron: '61 * * * *'}\n")
    with pytest.raises(ConfigError, match="bad cron"):
        load_settings()
    config("schedules:\n  - {name: a, task: aws:collect-all}\n")
    with pytest.raises(ConfigError, match="exactly one of cron or interval_s"):
        load_settings()


def test_redis_is_a_url_or_sentinels_with_a_master_name(config) -> None:
    config("log_level: INFO\n")
    assert load_settings().redis.url == "redis://127.0.0.1:6379/0"  # neither: the default
    config("redis:\n  sentinels: ['10.0.0.1:26379', 'sentinel-b:26379']\n  master_name: inv\n")
    r = load_settings().redis
    assert (r.url, r.sentinels, r.master_name) == (
        None,
        ["10.0.0.1:26379", "sentinel-b:26379"],
        "inv",
    )


@pytest.mark.parametrize(
    ("redis", "reason"),
    [
        ("url: redis://x:6379/0, sentinels: ['a:1'], master_name: inv", "either url or sentinels"),
        ("sentinels: ['a:1']", "sentinels and master_name must be given together"),
        ("sentinels: ['a'], master_name: inv", "'a' is not host:port"),
    ],
)
def test_redis_given_two_ways_or_half_a_sentinel_setup_is_refused(
    config, redis: str, reason: str
) -> None:
    config(f"redis: {{{redis}}}\n")
    with pytest.raises(ConfigError, match=reason):
        load_settings()


def test_vcenters_are_checked_at_load(config, tmp_path: Path) -> None:
    base = "vsphere:\n  vcenters:\n    - {name: a, host: vc, user: u, password: p"
    config(base + ", ca_file: /nowhere/ca.pem}")
    with pytest.raises(ConfigError, match=r"vsphere.vcenters.0: .*ca_file /nowhere/ca.pem"):
        load_settings()
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    config(base + f", ca_file: {ca}, verify_tls: false}}")
    with pytest.raises(ConfigError, match="ca_file is for verifying TLS"):
        load_settings()
    config(base + "}\n    - {name: a, host: vc2, user: u, password: p}")
    with pytest.raises(ConfigError, match="duplicate vCenter name"):
        load_settings()
    config(base + "}")
    (vc,) = load_settings().vsphere.vcenters
    assert vc.verify_tls and vc.port == 443 and vc.password.get_secret_value() == "p"


def test_a_schedule_with_a_bad_payload_is_refused_at_load(config) -> None:
    config(
        "aws:\n  accounts:\n    - name: prod\n"
        "schedules:\n  - {name: s, task: aws:collect-vpcs, interval_s: 60, payload: {account: qa}}"
    )
    with pytest.raises(ConfigError, match=r"schedules: s: .*unknown account 'qa' \(known: prod\)"):
        load_settings()
    config("schedules:\n  - {name: s, task: aws:collect-nothing, interval_s: 60}")
    with pytest.raises(ConfigError, match="unknown task 'aws:collect-nothing'"):
        load_settings()


@pytest.mark.parametrize("token", ["", "short", "x" * 23])
def test_a_token_shorter_than_24_characters_is_refused_at_load(config, token: str) -> None:
    config(f"api:\n  tokens:\n    - {{name: ops, access: admin, token: '{token}'}}")
    with pytest.raises(ConfigError, match=r"api.tokens.0.token: .*at least 24 characters"):
        load_settings()


def test_an_empty_token_file_is_refused_too(config, tmp_path: Path) -> None:
    empty = tmp_path / "token"
    empty.write_text("\n")
    config(f"api:\n  tokens:\n    - {{name: ops, access: admin, token_file: {empty}}}")
    with pytest.raises(ConfigError, match="at least 24 characters"):
        load_settings()


def test_a_token_given_the_old_key_scope_is_told_its_new_name(config) -> None:
    # *scope* means where a collection runs, and only that.
    config("api:\n  tokens:\n    - {name: ops, scope: admin, token: '" + "x" * 24 + "'}")
    with pytest.raises(ConfigError, match=r"api.tokens.0: .*`scope` is now `access`"):
        load_settings()
