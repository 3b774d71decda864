"""Records what the AWS collectors ask of moto, for the unit tests to play back.

    .venv/bin/python -m tests.unit.aws.record [SERVICE ...]

starts a moto server of its own on a free port, seeds the demo estate, runs every AWS
collector in the main demo account (and us-east-1 for regional kinds) with each client
call recorded, and writes ``recorded/<service>.<operation>.json`` (only those of the
services named, if any: moto's ids change from one seeding to the next, and a kind's
tests want the recordings they were written with).  Lists at the top of a response are
cut to a few items so that the files stay readable.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors import PROVIDERS
from collectors.aws.config import AwsConfig
from collectors.aws.source import AwsSource
from dev.demo import aws as demo
from dev.stack import Ports, Stack, free_port
from tests.unit.aws.fake import RECORDED

KEEP = 3
# Answers kept whole: the regions collector picks the configured ones out of them, and a
# demo zone's records are a few of each kind.
WHOLE = {"describe_regions", "list_resource_record_sets"}
# Answers cut to a few of each group: DescribeSnapshots gives the account's own and (in
# moto) those behind moto's public images, owned by other accounts; the tests need both.
# The recording kept was made before the collector added an owner filter (which moto
# honours): tests/unit/aws/test_snapshots.py answers today's request with it.
GROUPS = {"describe_snapshots": lambda s: s.get("OwnerId") == demo.MAIN_ACCOUNT}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cut(operation: str, items: list[Any], keep: int | None) -> list[Any]:
    group = GROUPS.get(operation)
    if group is None or keep is None:
        return items[:keep]
    return [i for i in items if group(i)][:keep] + [i for i in items if not group(i)][:keep]


class Recording:
    def __init__(self, client: Any, service: str, out: dict[str, list[Any]]) -> None:
        self.client, self.service, self.out = client, service, out

    def _keep(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        keep = None if operation in WHOLE else KEEP
        cut = {
            k: _cut(operation, v, keep) if isinstance(v, list) else v for k, v in response.items()
        }
        entry = {"params": _plain(params), "response": _plain(cut)}
        entries = self.out.setdefault(f"{self.service}.{operation}", [])
        if entry not in entries:
            entries.append(entry)

    def get_paginator(self, operation: str) -> Any:
        recording = self

        class Pages:
            def paginate(self, **params: Any) -> Any:
                params.pop("PaginationConfig", None)
                for page in recording.client.get_paginator(operation).paginate(**params):
                    recording._keep(operation, params, page)
                    yield page

        return Pages()

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            response = getattr(self.client, operation)(**params)
            self._keep(operation, params, response)
            return response

        return call


def main() -> None:
    stack = Stack.scratch("inventory-record-", Ports(moto=free_port()))
    try:
        stack.start(stack.moto())
        endpoint = f"http://127.0.0.1:{stack.ports.moto}"
        demo.seed(endpoint)
        source = AwsSource(AwsConfig(accounts=demo.accounts_config(endpoint)))
        out: dict[str, list[Any]] = {}
        for collector in PROVIDERS["aws"].collectors:
            kind = collector.kind
            payload = {"account": "demo-main"}
            if "region" in kind.scope:
                payload["region"] = demo.REGIONS[0]
            with source.open(kind, payload) as session:
                real = session.client
                session.client = lambda service, real=real: Recording(real(service), service, out)  # type: ignore[method-assign]
                for _ in collector.collect(session):
                    pass
        RECORDED.mkdir(exist_ok=True)
        services = sys.argv[1:]
        for name, entries in sorted(out.items()):
            if services and name.split(".")[0] not in services:
                continue
            path = RECORDED / f"{name}.json"
            path.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
            print(f"{path.relative_to(Path.cwd())}: {len(entries)} call(s)")
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
