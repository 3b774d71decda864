"""Payloads are checked at the door, the same for every entry: a JSON object of the task's
fields, types and bounds, naming only accounts, vCenters and relationship types known."""

from __future__ import annotations

import pytest

from app.config import Settings, check_schedules
from app.tasks import REGISTRY, BadPayload, UnknownTask, spec, validate

SETTINGS = Settings(
    aws={"accounts": [{"name": "prod", "regions": ["eu-west-1"]}]},
    vsphere={"vcenters": [{"name": "east", "host": "vc", "user": "u", "password": "p"}]},
)


@pytest.mark.parametrize("payload", [False, 0, "", [], None, "{}", 1.5])
def test_a_payload_that_is_not_an_object_is_refused(payload: object) -> None:
    with pytest.raises(BadPayload, match="must be a JSON object"):
        validate(REGISTRY["aws:collect-all"], payload, SETTINGS)


@pytest.mark.parametrize(
    ("task", "payload", "message"),
    [
        ("aws:collect-vpcs", {"account": "nope"}, r"account: unknown account 'nope' \(known: prod"),
        ("vsphere:collect-vms", {"vcenter": "west"}, r"vcenter: unknown vcenter 'west' \(known: e"),
        ("aws:link-all", {"types": ["HAS_NOTHING"]}, r"types.0: Input should be .*'HAS_BUCKET'"),
        ("aux:housekeeper", {"retention_days": 1e12}, r"retention_days: .*or equal to 3650"),
        ("aux:housekeeper", {"retention_days": 0}, r"retention_days: .*or equal to 1"),
        ("aws:collect-vpcs", {"acount": "prod"}, "acount: unknown key"),
        ("vsphere:collect-vms", {"vcenter": 7}, "vcenter: Input should be a valid string"),
    ],
)  # fmt: skip
def test_a_bad_field_is_refused_by_name(task: str, payload: dict, message: str) -> None:
    with pytest.raises(BadPayload, match=message):
        validate(REGISTRY[task], payload, SETTINGS)


def test_good_payloads_pass() -> None:
    validate(REGISTRY["aws:collect-vpcs"], {"account": "prod", "region": "eu-west-1"}, SETTINGS)
    validate(REGISTRY["vsphere:link-all"], {"vcenter": "east", "types": ["RUNS"]}, SETTINGS)
    validate(REGISTRY["aux:housekeeper"], {"retention_days": 30}, SETTINGS)


def test_an_unknown_task_names_the_known_ones() -> None:
    with pytest.raises(UnknownTask, match=r"known tasks: .*vsphere:collect-all"):
        spec("aws:collect-everything")


def test_schedules_are_checked_with_the_config() -> None:
    schedule = {"name": "s", "task": "aws:collect-vpcs", "interval_s": 60}
    bad = Settings(
        **{**SETTINGS.model_dump(), "schedules": [{**schedule, "payload": {"account": "x"}}]}
    )
    with pytest.raises(BadPayload, match=r"schedules: s: .*unknown account 'x'"):
        check_schedules(bad)
