"""Row mapping of AWS accounts, regions, load balancers and buckets from recorded answers."""

from __future__ import annotations

from collectors.aws import accounts, buckets, load_balancers, regions
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_the_account_is_its_id_with_our_name_for_it() -> None:
    got = rows(accounts.COLLECTOR, FakeSession(ACCOUNT, REGION, account_name="prod"))
    assert got == [{"uid": ACCOUNT, "name": "prod"}]


def test_regions_are_the_wanted_ones_named_per_account() -> None:
    got = rows(regions.COLLECTOR, FakeSession(ACCOUNT, REGION))
    assert [(r["uid"], r["name"], r["region"]) for r in got] == [
        (f"{ACCOUNT}:{REGION}", REGION, REGION)
    ]
    assert got[0]["opt_in_status"] == "opt-in-not-required"


def test_load_balancers_of_both_generations_with_their_instance_targets() -> None:
    got = {r["name"]: r for r in rows(load_balancers.COLLECTOR, FakeSession(ACCOUNT, REGION))}
    web, legacy = got["main-web"], got["main-legacy"]
    assert (web["type"], web["state"]) == ("application", "active")
    health = recording("elbv2", "describe_target_health")[0]["response"]
    assert web["target_instance_ids"] == sorted(
        t["Target"]["Id"] for t in health["TargetHealthDescriptions"]
    )
    assert len(web["target_group_arns"]) == 1
    # Classic ELBs get the ARN AWS gives them, and their registered instances as targets.
    assert legacy["uid"] == (
        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/main-legacy"
    )
    classic = recording("elb", "describe_load_balancers")[0]["response"]
    described = classic["LoadBalancerDescriptions"][0]
    assert legacy["type"] == "classic" and legacy["vpc_id"] == described["VPCId"]
    assert legacy["target_instance_ids"] == sorted(i["InstanceId"] for i in described["Instances"])


def test_buckets_sit_in_the_region_their_location_names() -> None:
    got = {r["name"]: r for r in rows(buckets.COLLECTOR, FakeSession(ACCOUNT, REGION))}
    # GetBucketLocation answers None for us-east-1.
    assert got[f"main-{ACCOUNT}-us-east-1"]["region"] == "us-east-1"
    assert got[f"main-{ACCOUNT}-eu-west-1"]["region"] == "eu-west-1"
    assert all(r["creation_date"] is not None for r in got.values())


def test_a_balancer_whose_detail_call_fails_is_kept_with_a_warning() -> None:
    web = recording("elbv2", "describe_load_balancers")[0]["response"]["LoadBalancers"][0]
    gone = {"Code": "TargetGroupNotFound", "Message": "One or more target groups not found"}
    session = FakeSession(
        ACCOUNT,
        REGION,
        answers={
            "elbv2.describe_target_groups": [
                {"params": {"LoadBalancerArn": web["LoadBalancerArn"]}, "error": gone}
            ]
        },
    )
    got = {r["name"]: r for r in rows(load_balancers.COLLECTOR, session)}
    # Written with what is known; the targets it could not read are left as they were.
    assert got["main-web"]["type"] == "application"
    assert "target_instance_ids" not in got["main-web"]
    assert "target_group_arns" not in got["main-web"]
    assert got["main-legacy"]["target_instance_ids"]  # the others are whole
    (warning,) = session.warnings
    assert web["LoadBalancerArn"] in warning and "TargetGroupNotFound" in warning


def test_a_bucket_whose_location_is_denied_keeps_its_region_with_a_warning() -> None:
    denied = {"Code": "AccessDenied", "Message": "Access Denied"}
    name = f"main-{ACCOUNT}-eu-west-1"
    answers = [
        *recording("s3", "get_bucket_location"),
        {"params": {"Bucket": name}, "error": denied},
    ]
    # The denial comes first, so it is the answer for that bucket.
    answers.sort(key=lambda a: "error" not in a)
    session = FakeSession(ACCOUNT, REGION, answers={"s3.get_bucket_location": answers})
    got = {r["name"]: r for r in rows(buckets.COLLECTOR, session)}
    assert "region" not in got[name]
    assert got[f"main-{ACCOUNT}-us-east-1"]["region"] == "us-east-1"
    assert session.warnings == [
        f"location of bucket {name}: AWS GetBucketLocation failed: AccessDenied: Access Denied"
    ]
