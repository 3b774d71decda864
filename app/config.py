"""Configuration: one YAML file (``INVENTORY_CONFIG``) plus ``INVENTORY_*`` environment overrides.

Nested keys are overridden with a double underscore, e.g. ``INVENTORY_NEO4J__PASSWORD``.
A secret ``x`` may instead be given as ``x_file``: a path whose contents are the secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from app.errors import ActionableError
from app.tasks import REGISTRY, BadPayload, UnknownTask, validate
from collectors import PROVIDERS
from model.sections import Section, unique_names

# The priorities, highest first: each one's queue, and the pool that consumes it.
Priority = Literal["high", "default", "low"]
QUEUES: dict[str, str] = {p: f"inventory.{p}" for p in get_args(Priority)}


def pool_queues(priority: str) -> list[str]:
    """The queues a worker pool of ``priority`` consumes: its own and those above it, so
    that high work may use every pool while low work never takes a higher pool's threads."""
    names = list(QUEUES)
    return [QUEUES[p] for p in names[: names.index(priority) + 1]]


class ConfigError(ActionableError):
    """A configuration problem, worded for the person who has to fix it."""


class Neo4jConfig(Section):
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: SecretStr = SecretStr("inventory-dev")
    database: str = "neo4j"
    batch_size: int = Field(1000, ge=1, le=100_000)
    connect_timeout: float = Field(5.0, gt=0)
    # How long a query keeps retrying while Neo4j is unreachable or failing over.
    retry_time_s: float = Field(15.0, ge=0)


class RedisConfig(Section):
    """Redis at ``url``, or the master Redis Sentinel names (``sentinels``, ``master_name``)."""

    url: str | None = None  # redis://127.0.0.1:6379/0 when neither url nor sentinels is given
    sentinels: list[str] = []  # host:port of each sentinel
    master_name: str | None = None
    db: int = Field(0, ge=0)  # with sentinels; a url names its own
    password: SecretStr | None = None  # the Redis server's; a url may hold its own
    sentinel_password: SecretStr | None = None
    namespace: str = "inventory"
    # How long a command keeps retrying while Redis is unreachable or failing over.
    retry_s: float = Field(30, ge=0)
    # Replicas that must hold an enqueued message before the enqueue returns (Redis WAIT).
    wait_replicas: int = Field(0, ge=0)
    wait_timeout_ms: int = Field(100, ge=1)

    @field_validator("sentinels")
    @classmethod
    def _addresses(cls, sentinels: list[str]) -> list[str]:
        for address in sentinels:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"sentinel {address!r} is not host:port")
        return sentinels

    @model_validator(mode="after")
    def _one_way_in(self) -> RedisConfig:
        if self.url and self.sentinels:
            raise ValueError("give either url or sentinels (with master_name), not both")
        if bool(self.sentinels) != bool(self.master_name):
            raise ValueError("sentinels and master_name must be given together")
        if not self.sentinels and not self.url:
            self.url = "redis://127.0.0.1:6379/0"
        return self


MIN_TOKEN_LENGTH = 24


class TokenConfig(Section):
    token: SecretStr
    access: Literal["read", "admin"]  # what the token may do
    name: str = "token"

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        # *scope* names where a collection runs; a token's right was once called that too.
        if isinstance(data, dict) and "scope" in data:
            raise ValueError("`scope` is now `access` (read or admin)")
        return data

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr) -> SecretStr:
        if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"a token must be at least {MIN_TOKEN_LENGTH} characters; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return token


class GraphQLLimits(Section):
    """What one GraphQL query may ask for (each refused before any database work), and how
    it runs."""

    max_depth: int = Field(6, ge=1, le=50)  # nested selections, root fields at depth 1
    max_aliases: int = Field(10, ge=0, le=1000)
    max_fields: int = Field(200, ge=1, le=100_000)  # selections of fields, all levels
    # The most nodes a query may return, bounded from the graph's statistics: each level
    # at most its parent's rows times min(page size, the largest degree), and no more than
    # the relationships there are (api/graphql_limits.py).
    max_cost: int = Field(100_000, ge=1, le=10_000_000)
    # How often each API process reads the graph's statistics for that estimate (node and
    # relationship counts, largest degrees): at its first GraphQL query, then at most this
    # often, behind the queries.
    statistics_s: float = Field(60, ge=1, le=86_400)
    # A query of kind fields only runs as one Cypher statement (api/graphql_compile.py);
    # false: every field through its resolver, one batched read per level.
    compile: bool = True


class ApiConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)  # API processes (`inventory api --workers`)
    tokens: list[TokenConfig] = []
    max_page_size: int = Field(1000, ge=1, le=100_000)
    # Requests with a larger body are refused (413) before they are read further.
    max_body_bytes: int = Field(1_048_576, ge=1024, le=1_073_741_824)
    # Every graph read stops after this long, answered with 504.
    query_timeout_s: float = Field(10, gt=0, le=600)
    # GET answers of the kinds' routes kept by each API process (0: none); one is given
    # again only while Neo4j confirms nothing was written since it was read.
    cache_mb: int = Field(256, ge=0, le=1_048_576)
    # How long a dashboard login lasts.
    dashboard_session_s: int = Field(8 * 3600, ge=60, le=7 * 86400)
    graphql: GraphQLLimits = GraphQLLimits()


class TasksConfig(Section):
    max_retries: int = Field(5, ge=0)
    min_backoff_ms: int = Field(1000, ge=1)
    max_backoff_ms: int = Field(300_000, ge=1)
    time_limit_s: int = Field(3600, ge=1)
    record_retention_days: float = Field(7, gt=0)
    # One collection per kind and scope holds a lease this long, renewed while it runs:
    # a dead worker's scope is free again after it.
    collection_lease_s: float = Field(60, ge=5, le=3600)
    # Default queue per task name; anything unnamed goes to "default".
    priorities: dict[str, Priority] = {}
    worker_processes: int = Field(1, ge=1)
    worker_threads: int = Field(4, ge=1)
    # An idle worker polls its queues at most this far apart: the floor of
    # enqueue-to-start latency on a quiet queue (Redis has no blocking fetch here).
    idle_poll_ms: int = Field(100, ge=10, le=10_000)
    # A worker silent this long is taken for dead and its in-flight messages redelivered.
    heartbeat_timeout_s: int = Field(60, ge=5)
    # Prometheus metrics and liveness (/healthz) of a worker pool (port 0: none;
    # `--metrics-port` overrides); a container serves them beyond loopback (0.0.0.0).
    metrics_port: int = Field(9191, ge=0, le=65535)
    metrics_host: str = Field("127.0.0.1", min_length=1)


class ScheduleConfig(Section):
    """One schedule: a task fired by cron (5 fields, UTC) or every ``interval_s`` seconds."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    task: str
    cron: str | None = None
    interval_s: int | None = Field(None, ge=1)
    payload: dict[str, Any] = {}
    priority: Priority | None = None

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduleConfig:
        if (self.cron is None) == (self.interval_s is None):
            raise ValueError("give exactly one of cron or interval_s")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron)
            except ValueError as exc:
                raise ValueError(f"bad cron {self.cron!r}: {exc}") from None
        return self


class SchedulerConfig(Section):
    # The leader holds a lease this long; another scheduler takes over within it.
    lease_s: float = Field(15, ge=1)
    # Prometheus metrics and liveness (/healthz) of a scheduler (port 0: none;
    # `--metrics-port` overrides); a container serves them beyond loopback (0.0.0.0).
    metrics_port: int = Field(9192, ge=0, le=65535)
    metrics_host: str = Field("127.0.0.1", min_length=1)


class GraphConfig(Section):
    # The housekeeper deletes what has not been seen for this long (and only where a
    # collection has succeeded since).
    retention_days: float = Field(7, ge=1, le=3650)
    # ... and the change records (graph.changes) older than this.
    change_retention_days: float = Field(30, ge=1, le=3650)


class CoreSettings(BaseSettings):
    """The sections every deployment has; each provider adds its own (see ``Settings``)."""

    model_config = SettingsConfigDict(
        env_prefix="INVENTORY_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    neo4j: Neo4jConfig = Neo4jConfig()
    redis: RedisConfig = RedisConfig()
    api: ApiConfig = ApiConfig()
    tasks: TasksConfig = TasksConfig()
    graph: GraphConfig = GraphConfig()
    schedules: list[ScheduleConfig] = []
    scheduler: SchedulerConfig = SchedulerConfig()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        path = os.environ.get("INVENTORY_CONFIG")
        if path:
            sources += (YamlConfigSettingsSource(settings_cls, yaml_file=path),)
        return sources

    _unique = field_validator("schedules")(lambda items: unique_names(items, "schedule"))

    def report_defaults(self) -> dict[str, Any]:
        """Report parameters whose defaults come from the config."""
        return {"retention_days": self.graph.retention_days}

    def queue_for(self, task: str, priority: str | None = None) -> str:
        """The queue a message of ``task`` goes to: the asked priority, else the configured one."""
        return QUEUES[priority or self.tasks.priorities.get(task, "default")]


#: The settings: the core sections and one section per registered provider, named for it.
Settings: type[CoreSettings] = create_model(
    "Settings",
    __base__=CoreSettings,
    **{name: (p.config, p.config()) for name, p in PROVIDERS.items()},  # type: ignore[call-overload]
)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {message}{more}"


def check_schedules(settings: CoreSettings) -> None:
    """Refuse schedules whose task or payload is wrong (UnknownTask, BadPayload)."""
    for s in settings.schedules:
        if s.task not in REGISTRY:
            raise UnknownTask(f"schedules: {s.name}: unknown task {s.task!r}")
        try:
            validate(REGISTRY[s.task], s.payload, settings)
        except BadPayload as exc:
            raise BadPayload(f"schedules: {s.name}: {exc}") from None


def load_settings() -> Settings:
    """Load and validate the configuration, or raise ConfigError with one clear line."""
    path = os.environ.get("INVENTORY_CONFIG")
    if path and not Path(path).is_file():
        raise ConfigError(f"config file {path} (INVENTORY_CONFIG) does not exist")
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError(f"invalid config {path or '(environment)'}: {_describe(exc)}") from None
    except Exception as exc:  # malformed YAML and the like
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read config {path}: {reason}") from None
    try:
        check_schedules(settings)
    except (UnknownTask, BadPayload) as exc:
        raise ConfigError(f"invalid config {path or '(environment)'}: {exc}") from None
    return settings
