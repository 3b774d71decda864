"""Memory of AWS clients: what one worker process holds after serving many accounts.

Makes a client per account, region and service (ec2, elbv2, elb) and calls each once
against a moto server, in a fresh process each: with plain boto3 sessions (the baseline)
and with ours (collectors/aws/session.py: one botocore loader and one client class per
service for the whole process).  Prints the RSS each grew by.
Usage: python bench/aws_clients.py [--accounts 30]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from dev.stack import free_port, port_open, wait_until

REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")
SERVICES = ("ec2", "elbv2", "elb")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure(ours: bool, accounts: int, moto: str) -> None:
    """In a process of its own: make the clients, print the RSS growth in MB."""
    import boto3

    from collectors.aws import session

    def make(n: int) -> boto3.Session:
        keys = {"aws_access_key_id": f"key{n}", "aws_secret_access_key": "secret"}
        return session._session(**keys) if ours else boto3.Session(**keys)

    make(0).client("ec2", region_name=REGIONS[0], endpoint_url=moto).describe_vpcs()
    before = rss_mb()
    clients = []
    for n in range(accounts):
        s = make(n)
        for region in REGIONS:
            for service in SERVICES:
                c = s.client(service, region_name=region, endpoint_url=moto)
                c.describe_vpcs() if service == "ec2" else c.describe_load_balancers()
                clients.append(c)
    print(f"{rss_mb() - before:.0f} {len(clients)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=30)
    ap.add_argument("--measure", choices=["ours", "plain"])
    ap.add_argument("--moto")
    args = ap.parse_args()
    if args.measure:
        measure(args.measure == "ours", args.accounts, args.moto)
        return
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    moto = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port), 60, "moto")
        print(
            f"{args.accounts} accounts x {len(REGIONS)} regions x {'/'.join(SERVICES)}; "
            f"{platform.node()}, Python {platform.python_version()}"
        )
        for name in ("plain", "ours"):
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, __file__, "--measure", name, "--accounts", str(args.accounts),
                 "--moto", f"http://127.0.0.1:{port}"],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            took = time.perf_counter() - start
            print(f"{name:>6}: {out[1]} clients, RSS grew {out[0]} MB, {took:.1f} s")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
