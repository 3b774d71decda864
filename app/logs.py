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
# one rotated out, a malformed one); known secrets are also masked by value.
# Headers whose whole value is a credential, whatever its scheme (or none).
_HEADERS = (
    r"(?:http_)?(?:proxy[-_])?authorization|x[-_]api[-_]key|api[-_]key|x[-_]auth[-_]token"
    r"|(?:set[-_])?cookie|x[-_]amz[-_]security[-_]token|x[-_][cx]srf[-_]token"
    r"|vmware[-_]api[-_]session[-_]id"
)
# Query and form parameters whose value is one (AWS SigV4's, in presigned URLs and in the
# Authorization header, among them).
_PARAMS = (
    r"(?:access_|refresh_|id_)?token|password|passwd|client_secret|api_?key|signature"
    r"|credential|x-amz-(?:signature|credential|security-token)"
)
# Keys of a JSON object or a Python dict whose value is one: the headers and parameters,
# and AWS's secret key and session token.
_KEYS = rf"{_HEADERS}|{_PARAMS}|(?:aws_)?secret_?access_?key|(?:aws_)?session_?token|secret"
# The scheme of an Authorization value, kept: what follows it is masked, to the end.
_SCHEME = (
    r"(?:(?:basic|bearer|digest|negotiate|ntlm|token|hoba|mutual|oauth|scram-sha-(?:1|256)"
    r"|vapid|dpop|gnap|privatetoken|aws|aws4-hmac-sha256)[ \t]+(?=\S))?"
)
# Each alternative names the secret it masks (x1...x6); the rest of the match is kept.
_PLACED = re.compile(
    rf"""(?ix)
    # "Name": "value" (JSON, or JSON in a JSON string: \"Name\": \"value\"), 'Name': 'value'
    # (a dict's repr), 'name'='value'
    (?P<q1>\\?["'])(?:{_KEYS})(?P=q1)[ \t]*[:=][ \t]*b?(?P<v1>\\?["']){_SCHEME}
        (?P<x1>(?:(?!(?P=v1))(?:\\.|[^\\]))*)
    # ('name', b'value'): a header pair, as in an ASGI scope's repr
    | [(\[][ \t]*b?(?P<q2>["'])(?:{_HEADERS})(?P=q2)[ \t]*,[ \t]*b?(?P<v2>["']){_SCHEME}
        (?P<x2>(?:\\.|(?!(?P=v2))[^\\])*)
    # "Name: value": a header line quoted whole, to its closing quote
    | (?P<q3>["'])(?:{_HEADERS})[ \t]*:[ \t]*{_SCHEME}
        (?P<x3>(?:\\.|(?!(?P=q3))[^\\\r\n])*)
    # Name: value, to the end of the line
    | (?<![\w-])(?:{_HEADERS})[ \t]*:[ \t]*{_SCHEME}(?P<x4>[^\r\n]*)
    # name=value or name="value": a query, form or SigV4 parameter
    | (?<![\w-])(?:{_PARAMS})=(?:
        (?P<v5>["'])(?P<x5>(?:\\.|(?!(?P=v5))[^\\])*)
        | (?P<x6>(?:[^\s&;"'\\\#,]|,(?!\s))+))
    """
)
_SECRETS = ("x1", "x2", "x3", "x4", "x5", "x6")
_KEY = re.compile(_KEYS, re.IGNORECASE)


def _hide(match: re.Match[str]) -> str:
    """The match with the secret it holds replaced by ``***``."""
    name = next(n for n in _SECRETS if match.group(n) is not None)
    start, end = match.span(name)
    if start == end:
        return match.group()
    text = match.string
    return text[match.start() : start] + "***" + text[end : match.end()]


def mask(text: str) -> str:
    """``text`` with every credential that sits where one does masked, whatever it is."""
    return _PLACED.sub(_hide, text)


def _masked(value: Any) -> Any:
    """``value`` with the credentials in its text masked, and the whole value of every key
    that names one (an ``extra`` field's headers, say)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: "***" if _names_a_credential(k) and v else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if len(value) == 2 and _names_a_credential(value[0]) and value[1]:
            return [value[0], "***"]  # a (name, value) header pair
        return [_masked(v) for v in value]
    return value


def _names_a_credential(name: Any) -> bool:
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return isinstance(name, str) and _KEY.fullmatch(name) is not None


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
        text = json.dumps(_masked(line), default=lambda value: mask(str(value)))
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
