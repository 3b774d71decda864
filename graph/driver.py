"""Neo4j driver lifecycle."""

from __future__ import annotations

from typing import Any, Protocol

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable


class Secret(Protocol):
    def get_secret_value(self) -> str: ...


class Neo4jSettings(Protocol):
    """What a driver needs to know (the ``neo4j`` section of the config)."""

    uri: str
    user: str
    password: Secret
    connect_timeout: float
    retry_time_s: float


class GraphUnavailable(Exception):
    """Neo4j cannot be reached or refuses our credentials."""


def _options(config: Neo4jSettings) -> dict[str, Any]:
    return {
        "auth": (config.user, config.password.get_secret_value()),
        "connection_timeout": config.connect_timeout,
        "max_transaction_retry_time": config.retry_time_s,
        # The server's hints (a property no node has yet, say) are for people writing
        # queries; in the service's logs they are noise on every report of a sparse graph.
        "notifications_min_severity": "OFF",
    }


def connect(config: Neo4jSettings, verify: bool = True) -> Driver:
    driver = GraphDatabase.driver(config.uri, **_options(config))
    if verify:
        try:
            driver.verify_connectivity()
        except AuthError:
            driver.close()
            raise GraphUnavailable(
                f"Neo4j at {config.uri} refused the credentials of user {config.user!r}; "
                "check neo4j.user and neo4j.password"
            ) from None
        except (ServiceUnavailable, Neo4jError, OSError) as exc:
            driver.close()
            raise GraphUnavailable(f"Neo4j at {config.uri} is not reachable: {exc}") from None
    return driver
