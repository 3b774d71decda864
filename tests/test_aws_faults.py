"""Provider faults: a bad account does not stop the others, throttling is ridden out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dev.demo import aws as demo
from dev.stack import Stack
from tests.conftest import wipe
from tests.faultproxy import FaultProxy
from tests.helpers import cli, moto_instances
from worker.records import Records
from worker.runtime import Runtime

MAIN_PATH = (
    "MATCH (:AWSAccount {uid: $account})-[:HAS_REGION]->()-[:HAS_VPC]->()-[:HAS_SUBNET]->()"
    "-[:HAS_INSTANCE]->(i:AWSInstance) RETURN count(DISTINCT i)"
)


@pytest.fixture(scope="module")
def own_pipeline(
    stack: Stack, config_path: Path, proxy: FaultProxy, migrated: Runtime, estate
) -> Iterator[tuple[Path, Records]]:
    """A worker with a config of its own (a broken account added), on Redis database 1 so
    that it shares no queue with the session's workers."""
    config = yaml.safe_load(config_path.read_text())
    config["redis"]["url"] = config["redis"]["url"].rsplit("/", 1)[0] + "/1"
    broken = {**demo.accounts_config(proxy.url)[0], "name": "broken", "access_key_id": "BROKEN"}
    config["aws"]["accounts"] = [demo.accounts_config(proxy.url)[0], broken]
    path = stack.home / "faults.yaml"
    path.write_text(yaml.safe_dump(config))
    worker = stack.inventory("worker-faults", "worker")
    worker.env["INVENTORY_CONFIG"] = str(path)
    stack.start(worker)
    rt = Runtime(
        migrated.settings.model_copy(
            update={
                "redis": migrated.settings.redis.model_copy(update={"url": config["redis"]["url"]})
            }
        )
    )
    yield path, rt.records
    stack.stop("worker-faults")


def test_a_bad_account_fails_alone_and_says_why(
    own_pipeline: tuple[Path, Records], proxy: FaultProxy, migrated: Runtime, moto_url: str
) -> None:
    path, records = own_pipeline
    wipe(migrated)
    proxy.bad_keys.add("BROKEN")
    try:
        result = cli("collect", "aws:collect-all", "--wait", "--timeout", "300", config=path)
    finally:
        proxy.bad_keys.clear()
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [r for r in records.recent(1000) if r["state"] == "failed"]
    assert failed and all(r["payload"].get("account") == "broken" for r in failed)
    assert all("InvalidClientTokenId" in r["error"] for r in failed)
    assert all(r["attempts"] == 1 for r in failed)  # bad credentials are not retried
    main = sum(1 for acct, _, _ in moto_instances(moto_url).values() if acct == demo.MAIN_ACCOUNT)
    records_, _, _ = migrated.driver.execute_query(MAIN_PATH, account=demo.MAIN_ACCOUNT)
    assert records_[0][0] == main


def test_throttling_is_retried_by_botocore_and_the_collection_succeeds(
    own_pipeline: tuple[Path, Records], proxy: FaultProxy, migrated: Runtime, moto_url: str
) -> None:
    path, _ = own_pipeline
    wipe(migrated)
    proxy.throttle = 6
    result = cli(
        "collect",
        "aws:collect-instances",
        "--payload",
        '{"account": "demo-main", "region": "eu-west-1"}',
        "--wait",
        config=path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert proxy.throttle <= 0  # every throttled answer was spent, and ridden out
    live = [
        i
        for i, (a, r, _) in moto_instances(moto_url).items()
        if a == demo.MAIN_ACCOUNT and r == "eu-west-1"
    ]
    records_, _, _ = migrated.driver.execute_query(
        "MATCH (i:AWSInstance {account_id: $a, region: 'eu-west-1'}) RETURN count(i)",
        a=demo.MAIN_ACCOUNT,
    )
    assert records_[0][0] == len(live)
