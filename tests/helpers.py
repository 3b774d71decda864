"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from dev.demo import aws as demo


def cli(
    *args: str, config: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if config is not None:
        env["INVENTORY_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def live_instances(moto_url: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every live instance in the demo estate, as moto describes it, with its account
    and region."""
    for account, role in ((demo.MAIN_ACCOUNT, None), (demo.SHOP_ACCOUNT, demo.ROLE)):
        session = demo.session(moto_url, role)
        for region in demo.REGIONS:
            ec2 = session.client("ec2", region_name=region, endpoint_url=moto_url)
            for page in ec2.get_paginator("describe_instances").paginate():
                for r in page["Reservations"]:
                    for i in r["Instances"]:
                        if i["State"]["Name"] != "terminated":
                            yield account, region, i


def moto_instances(moto_url: str) -> dict[str, tuple[str, str, str]]:
    """Every live instance in the demo estate: id -> (account, region, subnet)."""
    return {i["InstanceId"]: (a, r, i["SubnetId"]) for a, r, i in live_instances(moto_url)}


def launch(ec2: Any, subnet: str, count: int, **more: Any) -> list[str]:
    """``count`` t3.micro instances of one of Amazon's Linux images in ``subnet``, started
    by moto (``more``: run_instances' other arguments): their ids."""
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    made = ec2.run_instances(
        ImageId=next(i["ImageId"] for i in images if not i.get("Platform")),
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        SubnetId=subnet,
        **more,
    )
    return [i["InstanceId"] for i in made["Instances"]]


def config_with(base: Path, path: Path, **sections: Any) -> Path:
    """A copy of the config file ``base`` at ``path``, with ``sections`` put in."""
    data = yaml.safe_load(base.read_text())
    path.write_text(yaml.safe_dump({**data, **sections}, sort_keys=False))
    path.chmod(0o600)
    return path


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The lines of a log file that are JSON objects, parsed."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            if isinstance(parsed := json.loads(line), dict):
                out.append(parsed)
    return out


def collect(
    config: Path, task: str = "aws:collect-all", payload: dict[str, Any] | None = None
) -> tuple[int, str]:
    """``inventory collect TASK --payload … --wait``: exit status and output."""
    body = json.dumps(payload or {})
    result = cli("collect", task, "--payload", body, "--wait", "--timeout", "300", config=config)
    return result.returncode, result.stdout + result.stderr


def collect_all(config: Path) -> tuple[int, str]:
    """``inventory collect aws:collect-all --wait``: exit status and output."""
    return collect(config)


def all_pages(client: Any, path: str, headers: dict, **params: Any) -> list[dict]:
    """Every item of a REST list, following ``next_cursor`` from the first page to the last."""
    items: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        reply = client.get(path, headers=headers, params=query)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
