"""What `make run` changes in the demo estate after its first collection, so that a second
collection has changes to record and the change history shows them at once: in the main
account's first region a prod instance resized and a scratch volume deleted; in the
vCenter a running VM moved to the other host of its cluster."""

from __future__ import annotations

from typing import Any

from pyVmomi import vim

from dev.demo import aws, vsphere

SCRATCH = "main-prod-scratch"
RESIZED_TO = "t3.large"


def _client(endpoint: str, service: str) -> Any:
    """A client of the main account's first region."""
    s = aws.session(endpoint)
    return s.client(service, region_name=aws.REGIONS[0], endpoint_url=endpoint)


def prepare(endpoint: str) -> str:
    """Before the first collection: a scratch volume on a prod instance (the volume
    ``change`` deletes, so that the estate the reports see ends as the demo made it)."""
    ec2 = _client(endpoint, "ec2")
    instance = _plain_instance(ec2, _client(endpoint, "autoscaling"))
    volume = ec2.create_volume(
        AvailabilityZone=f"{aws.REGIONS[0]}a",
        Size=8,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": SCRATCH}]}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdg")
    return volume


def _plain_instance(ec2: Any, autoscaling: Any) -> str:
    """A running prod instance of the main account that no report's plant uses: no Elastic
    IP, in no Auto Scaling group, with its root volume alone."""
    groups = autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
    in_groups = {i["InstanceId"] for i in groups}
    found = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": ["main-prod-app"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )
    plain = [
        i
        for r in found["Reservations"]
        for i in r["Instances"]
        if i["InstanceId"] not in in_groups
        and not i.get("PublicIpAddress")
        and len(i.get("BlockDeviceMappings", [])) <= 1
    ]
    return min(plain, key=lambda i: i["InstanceId"])["InstanceId"]


def change_aws(endpoint: str) -> list[str]:
    """Resize the instance the scratch volume is on (stopped, resized, started again) and
    delete the volume; what was done, in words."""
    ec2 = _client(endpoint, "ec2")
    [volume] = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [SCRATCH]}])["Volumes"]
    instance = volume["Attachments"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance])
    ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": RESIZED_TO})
    ec2.detach_volume(VolumeId=volume["VolumeId"], InstanceId=instance)
    ec2.delete_volume(VolumeId=volume["VolumeId"])
    ec2.start_instances(InstanceIds=[instance])
    return [f"instance {instance} resized to {RESIZED_TO}", f"volume {volume['VolumeId']} deleted"]


def change_vsphere(port: int) -> list[str]:
    """Move the first running VM whose cluster has another host to that host (a vMotion)."""
    with vsphere.connect(port) as content:
        for vm in vsphere.every(content, vim.VirtualMachine):
            if vm.config.template or vm.runtime.powerState != "poweredOn":
                continue
            host = vm.runtime.host
            others = [h for h in getattr(host.parent, "host", []) if h != host]
            if others:
                vsphere.wait(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(host=others[0])))
                return [f"VM {vm.name} moved from host {host.name} to {others[0].name}"]
    raise RuntimeError("the demo vCenter has no running VM in a cluster of two hosts")
