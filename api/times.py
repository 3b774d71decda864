"""The times the change routes take (``since``, ``until``, and ``at`` on an item): RFC 3339
(``2026-12-06T04:26:25Z``, any offset) or a span back from now, a number of seconds,
minutes, hours, days or weeks (``90m``, ``1h``, ``7d``, ``2w``), as the CLI takes them
(model.times.moment).  The OpenAPI document states both forms and the routes take every
value they allow (a time pushed past year 1 or 9999 by its offset is that year's bound);
any other is a 422 naming the parameter and the forms.

An answer given for a span back from now moves with the clock, not only with the graph:
``relative`` tells the answer cache (api.cache) not to keep it or tag it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from model.times import AGO, MOMENT_HELP, moment

#: The parameters that take a time.
NAMES = ("since", "until", "at")


def _moment(value: Any) -> datetime:
    # A PydanticCustomError's message is told as it is, without "Value error, ".
    if not isinstance(value, str):
        raise PydanticCustomError("time", f"give {MOMENT_HELP}")
    try:
        return moment(value)
    except ValueError as exc:
        raise PydanticCustomError("time", str(exc)) from None


#: A time parameter's type.
When = Annotated[
    datetime,
    PlainValidator(_moment),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "pattern": f"^{AGO.pattern}$"},
            ],
        }
    ),
]


def relative(query: bytes) -> bool:
    """Whether a query string gives a time as a span back from now."""
    pairs = parse_qsl(query.decode("latin-1"))
    return any(name in NAMES and AGO.fullmatch(value) for name, value in pairs)
