"""Logs as JSON lines, with the running task's id, name and queue, and no secrets in them."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from typing import Any

from dramatiq.common import q_name
from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel, SecretStr

from app.config import Settings
from model.times import rfc3339

# Attributes every LogRecord has; anything else on a record came as ``extra`` fields.
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime"}
# Their debug lines hold request and response bodies: STS credentials among them.
_CHATTY = ("botocore", "boto3", "s3transfer", "urllib3")
# Credentials by where they sit, whatever their value (one this deployment does not know,
# one rotated out, a malformed one): a `token` query parameter, and what follows the
# scheme of an Authorization header.  Known secrets are also masked by value.
_PLACED = re.compile(
    r"(?i)(?P<keep>(?:[?&;]|\b)(?:access_)?token=|\bauthorization\W{1,4}(?:bearer|basic|token)?\s*)"
    r"(?P<secret>[^\s&;\"'\\,]+)"
)


#: The id of the API request being handled (see api.app), on each line logged meanwhile.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestContext(logging.Filter):
    """Adds ``request_id`` to lines logged while the API handles a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        return True


class TaskContext(logging.Filter):
    """Adds ``task_id``, ``task`` and ``queue`` to lines logged while a message runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = CurrentMessage.get_current_message()
        if message is not None:
            record.task_id = message.message_id
            record.task = message.actor_name
            record.queue = q_name(message.queue_name)
        return True


class JsonLines(logging.Formatter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # As they would appear inside a JSON string.
        self.secrets = [json.dumps(s)[1:-1] for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "thread": record.threadName,
            **{k: v for k, v in vars(record).items() if k not in _STANDARD},
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        text = _PLACED.sub(r"\g<keep>***", json.dumps(line, default=str))
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def secrets_in(value: Any) -> list[str]:
    """Every secret value in the settings (or any part of them)."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in secrets_in(item)]
    return []


def setup(settings: Settings) -> None:
    """JSON lines on the root logger's handlers (in a worker, dramatiq's pipe), else stderr."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    formatter = JsonLines(secrets_in(settings))
    for handler in root.handlers:
        handler.setFormatter(formatter)
        handler.addFilter(TaskContext())
        handler.addFilter(RequestContext())
    root.setLevel(settings.log_level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
