"""vSphere tags, from the vCenter's vAPI tagging service: a REST API beside the SOAP one
pyVmomi speaks, reached with the standard library.

vCenter serves it at ``/rest/com/vmware/cis/tagging/...`` since 6.5 and, from 7.0 U2, at
``/api/cis/tagging/...`` too; vcsim v0.46.3 (the simulator the suite runs) serves only the
first, so that is the one read.  One read logs in (basic auth, the configured user), lists
the tags, gets each tag and each category for their names, asks which objects carry every
tag in calls of ``BATCH`` tags, and logs out: a few calls per tag, none per object.

A tag is kept as ``category=tag``, the form AWS tags take (``key=value``), so that one tag
filter (``?tag=env=prod``) serves both.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import quote

from collectors.vsphere.config import VCenterConfig

# (method, path under /rest, JSON body or None) -> the answer's "value" (None if none).
Call = Callable[[str, str, Any], Any]

SESSION = "/com/vmware/cis/session"
TAG = "/com/vmware/cis/tagging/tag"
CATEGORY = "/com/vmware/cis/tagging/category"
ASSOCIATION = "/com/vmware/cis/tagging/tag-association"
HEADER = "vmware-api-session-id"
BATCH = 100  # tags per list-attached-objects-on-tags call


class TaggingError(Exception):
    """The tagging service refused a call (an HTTP 4xx): retrying will not heal it."""


class TaggingUnavailable(OSError):
    """The tagging service failed a call (an HTTP 5xx or 429): it may heal by itself."""


def _request(
    url: str, method: str, body: Any, headers: dict[str, str], context: ssl.SSLContext,
    timeout: float,
) -> Any:  # fmt: skip
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as reply:
            text = reply.read()
    except urllib.error.HTTPError as exc:
        reason = f"vAPI {method} {url.split('/rest', 1)[-1]}: HTTP {exc.code} {exc.reason}"
        if exc.code >= 500 or exc.code == 429:
            raise TaggingUnavailable(reason) from None
        raise TaggingError(reason) from None
    return json.loads(text).get("value") if text else None


@contextmanager
def rest(config: VCenterConfig, context: ssl.SSLContext) -> Iterator[Call]:
    """A logged-in ``Call`` to the vCenter ``config`` names, logged out after."""
    base = f"https://{config.host}:{config.port}/rest"
    timeout = config.connect_timeout_s
    secret = f"{config.user}:{config.password.get_secret_value()}".encode()
    login = {"Authorization": "Basic " + base64.b64encode(secret).decode()}
    session = _request(base + SESSION, "POST", None, login, context, timeout)
    headers = {HEADER: str(session)}

    def call(method: str, path: str, body: Any = None) -> Any:
        return _request(base + path, method, body, headers, context, timeout)

    try:
        yield call
    finally:
        with suppress(OSError, TaggingError):  # the session ends by itself anyway
            call("DELETE", SESSION)


def _id(kind: str, ident: str) -> str:
    return f"{kind}/id:{quote(ident, safe=':')}"


def read(call: Call) -> dict[str, list[str]]:
    """moref -> sorted ``category=tag`` strings of every object that carries a tag."""
    tag_ids: list[str] = call("GET", TAG, None) or []
    tags = {t: call("GET", _id(TAG, t), None) for t in tag_ids}
    category_ids = sorted({t["category_id"] for t in tags.values()})
    categories = {c: call("GET", _id(CATEGORY, c), None) for c in category_ids}
    found: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(tag_ids), BATCH):
        body = {"tag_ids": tag_ids[start : start + BATCH]}
        attached = call("POST", f"{ASSOCIATION}?~action=list-attached-objects-on-tags", body)
        for entry in attached or ():
            tag = tags[entry["tag_id"]]
            text = f"{categories[tag['category_id']]['name']}={tag['name']}"
            for obj in entry.get("object_ids") or ():
                found[obj["id"]].add(text)
    return {moref: sorted(values) for moref, values in found.items()}
