"""docker-compose.yml and the Dockerfile: valid Compose, commands the CLI accepts, the shape.

No Docker engine runs here, so the file is checked statically: against the Compose
Specification schema (fetched from the npm registry by tests/compose_schema.py) and against the
real click CLI, whose parser must accept every command our services run.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml
from click.testing import CliRunner
from jsonschema.protocols import Validator

from app.config import ConfigError, load_settings, pool_queues
from cli import main
from tests.compose_schema import compose_schema, validator_class

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
QUEUES = {"inventory.high", "inventory.default", "inventory.low"}


def _built_here(service: dict[str, Any]) -> bool:
    build = service.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    return context in (".", "./")


OURS = sorted(name for name, service in SERVICES.items() if _built_here(service))


def resolve(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """Split a command into its subcommand path, the click command it names, and the rest."""
    path: list[str] = []
    command: click.Command = main
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        if sub is None:
            break
        command = sub
        path.append(rest.pop(0))
    return path, command, rest


def parse(service: str) -> click.Context:
    """The service's command parsed by the CLI (nothing runs); fails the test if it is refused."""
    path, command, rest = resolve(SERVICES[service]["command"])
    try:
        return command.make_context(" ".join(["inventory", *path]), rest)
    except click.ClickException as exc:
        refused = f"`inventory {' '.join(path)}` refuses {rest}"
        pytest.fail(f"{service}: {refused}: {exc.format_message()}")


def seconds(duration: str) -> float:
    """A Compose duration such as '2m' or '1m30s' in seconds."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a Compose duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def worker_services() -> list[str]:
    return [name for name in OURS if resolve(SERVICES[name]["command"])[0] == ["worker"]]


@pytest.fixture(scope="module")
def validator() -> Validator:
    schema = compose_schema()
    cls = validator_class(schema)
    cls.check_schema(schema)
    return cls(schema)


# --- the Compose Specification -----------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification(validator: Validator) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
              for e in validator.iter_errors(COMPOSE)]  # fmt: skip
    assert errors == []


MINIMAL: dict[str, Any] = {
    "services": {
        "app": {
            "image": "inventory:latest",
            "ports": ["127.0.0.1:8000:8000"],
            "depends_on": {"db": {"condition": "service_completed_successfully"}},
            "deploy": {"replicas": 2},
        },
        "db": {"image": "redis:7"},
    }
}


def test_schema_accepts_a_minimal_compose_document(validator: Validator) -> None:
    assert list(validator.iter_errors(MINIMAL)) == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("services", "app", "ports"), "notalist"),
        (("services", "app", "depends_on", "db", "condition"), "service_feeling_fine"),
        (("services", "app", "deploy", "replicas"), [2]),
        (("services", "app", "restrat"), "always"),
        (("servises",), {}),
    ],
    ids=[
        "ports-not-a-list",
        "unknown-condition",
        "replicas-a-list",
        "unknown-service-key",
        "unknown-top-level-key",
    ],
)
def test_schema_rejects_a_broken_compose_document(
    validator: Validator, where: tuple[str, ...], value: Any
) -> None:
    broken = copy.deepcopy(MINIMAL)
    parent = broken
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    assert list(validator.iter_errors(broken)) != []


def test_compose_file_has_no_obsolete_version_key() -> None:
    assert "version" not in COMPOSE


# --- our services run real inventory commands ----------------------------------------------


def test_every_role_of_the_stack_is_built_from_this_repository() -> None:
    roles = {"migrate", "api", "worker-high", "worker-default", "worker-low", "scheduler"}
    assert roles <= set(OURS)


@pytest.mark.parametrize("service", OURS)
def test_service_command_is_an_inventory_command_the_cli_accepts(service: str) -> None:
    words = SERVICES[service].get("command")
    assert isinstance(words, list) and words, f"{service} needs a command (a list of words)"
    path, command, _ = resolve(words)
    assert path, f"{service}: {words[0]!r} is not an inventory subcommand"
    assert not isinstance(command, click.Group), (
        f"{service}: `inventory {' '.join(path)}` is a group; name one of its commands"
    )
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    parse(service)


def _reads(name: str) -> set[str]:
    params = parse(name).params
    if params.get("pool"):
        return set(pool_queues(params["pool"]))
    return set(params["queues"]) or QUEUES  # no --queues: all of them


def test_worker_services_together_read_all_three_queues() -> None:
    read: set[str] = set()
    for name in worker_services():
        read |= _reads(name)
    assert read == QUEUES


def test_high_has_a_pool_of_its_own_and_may_use_every_other() -> None:
    # A worker on the high queue only keeps its capacity for high work (DESIGN §3); the
    # others also take high work, so it may use every pool, and low never takes high's.
    reads = {name: _reads(name) for name in worker_services()}
    assert "inventory.high" in set.intersection(*reads.values())
    assert any(r == {"inventory.high"} for r in reads.values()), reads
    assert sum("inventory.low" in r for r in reads.values()) == 1, reads


def test_workers_get_sigterm_and_two_minutes_to_finish_in_flight_tasks() -> None:
    for name in worker_services():
        service = SERVICES[name]
        assert service.get("stop_signal") == "SIGTERM", name
        assert seconds(service.get("stop_grace_period", "10s")) >= 120, name


def test_scheduler_runs_more_than_one_replica_so_none_is_a_single_point_of_failure() -> None:
    assert SERVICES["scheduler"]["deploy"]["replicas"] >= 2


def test_our_services_find_neo4j_and_redis_by_service_name_and_read_the_mounted_config() -> None:
    for name in OURS:
        env = SERVICES[name]["environment"]
        assert urlsplit(env["INVENTORY_NEO4J__URI"]).hostname == "neo4j", name
        assert urlsplit(env["INVENTORY_REDIS__URL"]).hostname == "redis", name
        targets = {v["target"] for v in SERVICES[name]["volumes"] if isinstance(v, dict)}
        assert env["INVENTORY_CONFIG"] in targets, name


def test_bind_mounted_files_exist_in_the_repository() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict) and volume["type"] == "bind":
                assert (ROOT / volume["source"]).is_file(), f"{name}: {volume['source']}"


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` and ``${VAR}``, from this process's environment."""

    def one(match: re.Match[str]) -> str:
        return os.environ.get(match["name"]) or match["default"] or ""

    return re.sub(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}", one, value)


def test_mounted_config_loads_with_the_services_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = SERVICES["api"]
    mount = next(v for v in service["volumes"] if isinstance(v, dict))
    for name in [n for n in os.environ if n.startswith("INVENTORY_")]:
        monkeypatch.delenv(name)
    for name, value in service["environment"].items():
        monkeypatch.setenv(name, interpolate(str(value)))
    monkeypatch.setenv("INVENTORY_CONFIG", str(ROOT / mount["source"]))
    try:
        settings = load_settings()
    except ConfigError as exc:
        pytest.fail(f"the containers would exit at start: {exc}")
    assert settings.neo4j.uri == "bolt://neo4j:7687"  # the environment beats the file
    assert settings.redis.url.startswith("redis://redis:")


def test_api_starts_after_the_migration_and_healthy_redis_and_publishes_on_loopback() -> None:
    api = SERVICES["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert api["ports"] == ["127.0.0.1:8000:8000"]


def test_migration_waits_for_a_healthy_neo4j_and_runs_once() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"


def test_only_the_api_keeps_the_images_http_healthcheck() -> None:
    assert "healthcheck" not in SERVICES["api"]
    for name in set(OURS) - {"api"}:
        assert SERVICES[name].get("healthcheck") == {"disable": True}, name


# --- Neo4j and Redis -----------------------------------------------------------------------


def test_neo4j_is_5_26_community_with_its_data_in_a_named_volume() -> None:
    neo4j = SERVICES["neo4j"]
    assert re.fullmatch(r"neo4j:5\.26(\.\d+)?-community", neo4j["image"])
    assert "healthcheck" in neo4j
    data = [v.split(":")[0] for v in neo4j["volumes"] if v.endswith(":/data")]
    assert data and data[0] in COMPOSE["volumes"]


def test_redis_7_appends_every_write_to_a_log_kept_in_a_named_volume() -> None:
    redis = SERVICES["redis"]
    assert redis["image"].split(":")[1].split(".")[0] == "7"
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    data = [v.split(":")[0] for v in redis["volumes"] if v.endswith(":/data")]
    assert data and data[0] in COMPOSE["volumes"]


# --- the image -----------------------------------------------------------------------------


def _dockerfile(instruction: str) -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    return [line.split(None, 1)[1] for line in lines if line.startswith(instruction + " ")]


def test_image_entrypoint_is_the_inventory_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert _dockerfile("ENTRYPOINT") == ['["inventory"]']
    assert "inventory" in scripts


def test_image_runs_as_a_non_root_user() -> None:
    users = _dockerfile("USER")
    assert users and users[-1] not in ("root", "0")


# --- Prometheus ----------------------------------------------------------------------------

PROMETHEUS = SERVICES["prometheus"]
PROMETHEUS_YML: dict[str, Any] = yaml.safe_load(
    (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
)
SCRAPES = {job["job_name"]: job for job in PROMETHEUS_YML["scrape_configs"]}


def prometheus_mounts() -> dict[str, str]:
    """Where Prometheus finds each file of the repository: target -> source."""
    return {
        v["target"]: v["source"]
        for v in PROMETHEUS["volumes"]
        if isinstance(v, dict) and v["type"] == "bind"
    }


def container_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings ``service`` loads in its container: its environment and mounted config."""
    for name in [n for n in os.environ if n.startswith("INVENTORY_")]:
        monkeypatch.delenv(name)
    for name, value in SERVICES[service]["environment"].items():
        monkeypatch.setenv(name, interpolate(str(value)))
    mount = next(v for v in SERVICES[service]["volumes"] if isinstance(v, dict))
    monkeypatch.setenv("INVENTORY_CONFIG", str(ROOT / mount["source"]))
    try:
        return load_settings()
    except ConfigError as exc:
        pytest.fail(f"{service}: the container would exit at start: {exc}")


def dns_names(job: str) -> list[str]:
    return [name for sd in SCRAPES[job]["dns_sd_configs"] for name in sd["names"]]


def dns_port(job: str) -> int:
    (port,) = {sd["port"] for sd in SCRAPES[job]["dns_sd_configs"]}
    return port


def test_prometheus_publishes_on_loopback_with_its_config_and_the_alert_rules_mounted() -> None:
    assert PROMETHEUS["image"].split(":")[0] == "prom/prometheus"
    assert PROMETHEUS["ports"] == ["127.0.0.1:9090:9090"]
    mounts = prometheus_mounts()
    config = next(a.split("=", 1)[1] for a in PROMETHEUS["command"] if a.startswith("--config."))
    assert mounts[config] == "./deploy/prometheus/prometheus.yml"
    (rules,) = PROMETHEUS_YML["rule_files"]
    assert mounts[rules] == "./deploy/prometheus/rules.yaml"
    data = [v.split(":")[0] for v in PROMETHEUS["volumes"] if isinstance(v, str)]
    assert data and data[0] in COMPOSE["volumes"]


def test_prometheus_config_passes_promtool_with_the_mounted_files(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
    for target, source in prometheus_mounts().items():
        text = text.replace(target, str((ROOT / source).resolve()))
    (tmp_path / "prometheus.yml").write_text(text)
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    assert Path(promtool).is_file(), "promtool is not installed: run `make install`"
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_every_role_under_the_job_names_of_the_alert_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = container_settings("api", monkeypatch)
    assert set(SCRAPES) >= {"inventory-api", "inventory-worker", "inventory-scheduler"}
    assert dns_names("inventory-api") == ["api"]
    assert dns_port("inventory-api") == settings.api.port
    assert sorted(dns_names("inventory-worker")) == sorted(worker_services())
    assert dns_names("inventory-scheduler") == ["scheduler"]
    for name in worker_services():  # the port of the config, not one of their own
        assert parse(name).params["metrics_port"] is None, name
    assert parse("scheduler").params["metrics_port"] is None
    assert dns_port("inventory-worker") == settings.tasks.metrics_port
    assert dns_port("inventory-scheduler") == settings.scheduler.metrics_port


def test_each_worker_service_is_scraped_with_its_pool_as_the_pool_label() -> None:
    (relabel,) = SCRAPES["inventory-worker"]["relabel_configs"]
    assert relabel["source_labels"] == ["__meta_dns_name"]
    assert relabel["target_label"] == "pool"
    for name in worker_services():
        match = re.fullmatch(relabel["regex"], name)  # Prometheus anchors its regexes
        assert match and match.group(1) == parse(name).params["pool"], name


def test_prometheus_sends_a_read_token_of_the_mounted_config() -> None:
    credentials = SCRAPES["inventory-api"]["authorization"]["credentials_file"]
    token = (ROOT / prometheus_mounts()[credentials]).read_text().strip()
    api = SERVICES["api"]
    mount = next(v for v in api["volumes"] if isinstance(v, dict))
    config = yaml.safe_load((ROOT / mount["source"]).read_text())
    read = [t["token"] for t in config["api"]["tokens"] if t["access"] == "read"]
    assert token in read


def test_workers_and_schedulers_serve_their_metrics_beyond_loopback_for_prometheus() -> None:
    for name in worker_services():
        assert SERVICES[name]["environment"]["INVENTORY_TASKS__METRICS_HOST"] == "0.0.0.0"
    scheduler = SERVICES["scheduler"]["environment"]
    assert scheduler["INVENTORY_SCHEDULER__METRICS_HOST"] == "0.0.0.0"
    # Nothing else changed in their environment.
    for name in [*worker_services(), "scheduler"]:
        env = dict(SERVICES[name]["environment"])
        env.pop("INVENTORY_TASKS__METRICS_HOST", None)
        env.pop("INVENTORY_SCHEDULER__METRICS_HOST", None)
        assert env == SERVICES["api"]["environment"], name


@pytest.mark.parametrize("service", [*worker_services(), "scheduler"])
def test_the_metrics_host_settings_load_with_the_services_environment(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = container_settings(service, monkeypatch)
    section = settings.scheduler if service == "scheduler" else settings.tasks
    assert section.metrics_host == "0.0.0.0"
