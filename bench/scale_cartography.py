"""Cartography in collect_scale: installed from PyPI into a virtualenv under
~/.cache/inventory/bench (bench/tools.py), given an AWS profile per account, and run twice
into a Neo4j of its own; what both runs took and what its graph then counts.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from app.config import Neo4jConfig
from bench.replay import ReplayProxy
from bench.scale_estate import MAIN, REGIONS
from bench.scale_measure import cpu_now, cpu_used, graph_counts, load
from bench.tools import installed
from dev.stack import Stack
from graph.driver import connect

CARTOGRAPHY = "cartography==0.143.*"
CARTOGRAPHY_SYNCS = (
    "ec2:instance,ec2:images,ec2:security_group,ec2:subnet,ec2:load_balancer,"
    "ec2:load_balancer_v2,ec2:network_interface,ec2:vpc,s3"
)
# What its graph must count as the estate does: name -> labels.
CARTOGRAPHY_LABELS = {
    "instances": ["EC2Instance"],
    "subnets": ["EC2Subnet"],
    "vpcs": ["AWSVpc"],
    "security_groups": ["EC2SecurityGroup"],
    "load_balancers": ["LoadBalancerV2", "LoadBalancer"],
}


def install_cartography() -> tuple[Path, str]:
    """Cartography's virtualenv (made and installed into on first use) and its version."""
    venv = installed("cartography-venv", CARTOGRAPHY, "cartography")
    version = subprocess.run(
        [str(venv / "bin" / "pip"), "show", "cartography"], capture_output=True, text=True
    ).stdout.split("\n")[1]
    return venv, version


def cartography_env(stack: Stack, proxy: ReplayProxy, accounts: list[str]) -> dict[str, str]:
    """Cartography's environment: an AWS profile per account (keys for moto's own, a role
    for the others) in a config of its own under ``stack.home``, every call to ``proxy``."""
    aws = stack.home / "aws"
    aws.mkdir(exist_ok=True)
    profiles = [
        "[profile acct-0]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        f"region = {REGIONS[0]}\n"
    ] + [
        f"[profile acct-{n}]\nrole_arn = arn:aws:iam::{account}:role/inventory-reader\n"
        f"source_profile = acct-0\nregion = {REGIONS[0]}\n"
        for n, account in enumerate(accounts)
        if account != MAIN
    ]
    (aws / "config").write_text("\n".join(profiles))
    (aws / "credentials").write_text("")
    env = {
        **os.environ,
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_ENDPOINT_URL": proxy.url,
        "NEO4J_PASSWORD": stack.secrets.neo4j_password,
    }
    env.pop("INVENTORY_CONFIG", None)
    return env


def cartography(
    stack: Stack, proxy: ReplayProxy, accounts: list[str], home: Path, servers: dict[str, int]
) -> dict[str, Any]:
    """Cartography's two runs into ``stack``'s Neo4j (their logs in ``home``)."""
    venv, version = install_cartography()
    env = cartography_env(stack, proxy, accounts)
    argv = [
        str(venv / "bin" / "cartography"),
        "--neo4j-uri", f"bolt://127.0.0.1:{stack.ports.bolt}",
        "--neo4j-user", "neo4j",
        "--neo4j-password-env-var", "NEO4J_PASSWORD",
        "--selected-modules", "create-indexes,aws",
        "--aws-sync-all-profiles",
        "--aws-regions", ",".join(REGIONS),
        "--aws-requested-syncs", CARTOGRAPHY_SYNCS,
    ]  # fmt: skip
    walls, calls, cpus = [], [], []
    for run in (1, 2):
        proxy.count()
        log = home / f"cartography-{run}.log"
        cpu = cpu_now(servers)
        start = time.perf_counter()
        with log.open("w") as out:
            code = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_used(cpu, servers))
        calls.append(proxy.count())
        print(
            f"  cartography run {run}: {walls[-1]:.0f}s, exit {code}, {load()}, log {log}",
            flush=True,
        )
    neo4j = Neo4jConfig(
        uri=f"bolt://127.0.0.1:{stack.ports.bolt}", password=stack.secrets.neo4j_password
    )
    driver = connect(neo4j)
    counts = graph_counts(driver, CARTOGRAPHY_LABELS)
    driver.close()
    return {"version": version, "walls": walls, "calls": calls, "counts": counts, "cpu": cpus}
