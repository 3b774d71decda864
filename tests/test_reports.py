"""Every report on a graph built for it: the rows that must appear appear, the near
misses do not, parameters change the result, and bad parameters are refused on REST,
GraphQL and the CLI.  Each report also runs as its file says, in the Browser's way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from graph import reports
from tests.helpers import cli
from worker.runtime import Runtime

NOW = "datetime()"
AGO = "datetime() - duration({days: %d})"
HOURS_AGO = "datetime() - duration({hours: %d})"

# report -> (the graph, the keys it must give with its defaults, {params: keys}).
CASES: dict[str, tuple[str, list[str], dict[str, list[str]]]] = {
    "unattached-volumes": (
        f"""CREATE (:AWSVolume {{uid: 'vol-free', instance_ids: [], create_time: {AGO % 10}}}),
        (:AWSVolume {{uid: 'vol-new', instance_ids: [], create_time: {NOW}}}),
        (:AWSVolume {{uid: 'vol-used', instance_ids: ['i-1'], create_time: {AGO % 10}}})""",
        ["vol-free", "vol-new"],
        {"min_age_days=5": ["vol-free"]},
    ),
    "idle-load-balancers": (
        """CREATE (:AWSLoadBalancer {uid: 'lb-idle'}),
        (:AWSLoadBalancer {uid: 'lb-stopped'})-[:ROUTES_TO]->(:AWSInstance {uid: 'i-s', state: 'stopped'}),
        (busy:AWSLoadBalancer {uid: 'lb-busy'})-[:ROUTES_TO]->(:AWSInstance {uid: 'i-r', state: 'running'}),
        (busy)-[:ROUTES_TO]->(:AWSInstance {uid: 'i-s2', state: 'stopped'})""",
        ["lb-idle", "lb-stopped"],
        {},
    ),
    "detached-network-interfaces": (
        """CREATE (:AWSNetworkInterface {uid: 'eni-free', status: 'available'}),
        (:AWSNetworkInterface {uid: 'eni-used', status: 'in-use', instance_id: 'i-1'}),
        (:AWSNetworkInterface {uid: 'eni-elb', status: 'in-use'}),
        (:AWSNetworkInterface {uid: 'eni-nat', status: 'available'}),
        (:AWSNatGateway {uid: 'nat-1', eni_ids: ['eni-nat']})""",
        ["eni-free"],
        {},
    ),
    "unused-security-groups": (
        """CREATE (:AWSSecurityGroup {uid: 'sg-unused', group_name: 'old', vpc_id: 'v1'}),
        (:AWSInstance {uid: 'i-1'})-[:IN_SECURITY_GROUP]->(:AWSSecurityGroup {uid: 'sg-inst', group_name: 'a', vpc_id: 'v1'}),
        (:AWSSecurityGroup {uid: 'sg-eni', group_name: 'b', vpc_id: 'v1'}),
        (:AWSNetworkInterface {uid: 'eni-1', vpc_id: 'v1', security_group_ids: ['sg-eni']}),
        (:AWSSecurityGroup {uid: 'sg-lb', group_name: 'c', vpc_id: 'v1'}),
        (:AWSLoadBalancer {uid: 'lb-1', vpc_id: 'v1', security_group_ids: ['sg-lb']}),
        (:AWSSecurityGroup {uid: 'sg-default', group_name: 'default', vpc_id: 'v1'}),
        (:AWSDBInstance {uid: 'db-1'})-[:IN_SECURITY_GROUP]->(:AWSSecurityGroup {uid: 'sg-db', group_name: 'd', vpc_id: 'v1'}),
        (:AWSLambdaFunction {uid: 'fn-1'})-[:IN_SECURITY_GROUP]->(:AWSSecurityGroup {uid: 'sg-fn', group_name: 'e', vpc_id: 'v1'})""",
        ["sg-unused"],
        {},
    ),
    "unused-images": (
        f"""CREATE (r:AWSRegion {{uid: '1:r', account_id: '1', region: 'r'}}),
        (r)-[:HAS_IMAGE]->(:AWSImage {{uid: 'img-old', owner_id: '1', creation_date: {AGO % 60}}}),
        (r)-[:HAS_IMAGE]->(used:AWSImage {{uid: 'img-used', owner_id: '1', creation_date: {AGO % 60}}}),
        (:AWSInstance {{uid: 'i-1'}})-[:USES_IMAGE]->(used),
        (r)-[:HAS_IMAGE]->(:AWSImage {{uid: 'img-new', owner_id: '1', creation_date: {AGO % 1}}}),
        (r)-[:HAS_IMAGE]->(:AWSImage {{uid: 'img-public', owner_id: '99', creation_date: {AGO % 60}}})""",
        ["img-old"],
        {"min_age_days=0": ["img-new", "img-old"]},
    ),
    "stopped-instances": (
        """CREATE (i:AWSInstance {uid: 'i-stop', state: 'stopped'}),
        (i)-[:HAS_VOLUME]->(:AWSVolume {uid: 'v-1', size_gib: 10}),
        (i)-[:HAS_VOLUME]->(:AWSVolume {uid: 'v-2', size_gib: 20}),
        (:AWSInstance {uid: 'i-run', state: 'running'})""",
        ["i-stop"],
        {},
    ),
    "empty-vpcs": (
        """CREATE (:AWSVPC {uid: 'vpc-empty', is_default: false})-[:HAS_SUBNET]->(:AWSSubnet {uid: 's-1'}),
        (:AWSVPC {uid: 'vpc-default', is_default: true}),
        (:AWSVPC {uid: 'vpc-inst', is_default: false})-[:HAS_SUBNET]->(:AWSSubnet {uid: 's-2'})-[:HAS_INSTANCE]->(:AWSInstance {uid: 'i-1'}),
        (:AWSVPC {uid: 'vpc-eni', is_default: false})-[:HAS_SUBNET]->(:AWSSubnet {uid: 's-3'})<-[:IN_SUBNET]-(:AWSNetworkInterface {uid: 'eni-1'}),
        (:AWSVPC {uid: 'vpc-lb', is_default: false})-[:HAS_LOAD_BALANCER]->(:AWSLoadBalancer {uid: 'lb-1'})""",
        ["vpc-empty"],
        {},
    ),
    "public-instances": (
        """CREATE (:AWSInstance {uid: 'i-pub', public_ip: '203.0.113.7', state: 'running'}),
        (:AWSInstance {uid: 'i-priv', private_ip: '10.0.0.7', state: 'running'})""",
        ["i-pub"],
        {},
    ),
    "public-databases": (
        """CREATE (:AWSDBInstance {uid: 'db-public', publicly_accessible: true, status: 'available', security_group_ids: ['sg-1']}),
        (:AWSDBInstance {uid: 'db-public-stopped', publicly_accessible: true, status: 'stopped'}),
        (:AWSDBInstance {uid: 'db-private', publicly_accessible: false, status: 'available'}),
        (:AWSDBInstance {uid: 'db-unknown', status: 'available'})""",
        ["db-public", "db-public-stopped"],
        {"include_stopped=false": ["db-public"]},
    ),
    "stopped-databases": (
        """CREATE (:AWSDBInstance {uid: 'db-stopped-big', status: 'stopped', storage_gib: 500}),
        (:AWSDBInstance {uid: 'db-stopped-small', status: 'stopped', storage_gib: 20}),
        (:AWSDBInstance {uid: 'db-stopping', status: 'stopping', storage_gib: 500}),
        (:AWSDBInstance {uid: 'db-running', status: 'available', storage_gib: 500})""",
        ["db-stopped-big", "db-stopped-small"],
        {"min_storage_gib=100": ["db-stopped-big"]},
    ),
    "deprecated-lambda-runtimes": (
        # python3.7 was deprecated on 2023-12-04; python3.14 will be on 2029-06-30.
        """CREATE (:AWSLambdaFunction {uid: 'fn-py37', runtime: 'python3.7'}),
        (:AWSLambdaFunction {uid: 'fn-py314', runtime: 'python3.14'}),
        (:AWSLambdaFunction {uid: 'fn-image', package_type: 'Image'}),
        (:AWSLambdaFunction {uid: 'fn-unknown', runtime: 'python4.0'})""",
        ["fn-py37"],
        {"days_ahead=3650": ["fn-py314", "fn-py37"]},
    ),
    "empty-auto-scaling-groups": (
        f"""CREATE (:AWSAutoScalingGroup {{uid: 'asg-zero', desired: 0, instance_ids: [], create_time: {AGO % 10}}}),
        (:AWSAutoScalingGroup {{uid: 'asg-starved', desired: 2, instance_ids: [], create_time: {AGO % 10}}}),
        (:AWSAutoScalingGroup {{uid: 'asg-draining', desired: 0, instance_ids: ['i-2'], create_time: {AGO % 10}}}),
        (:AWSAutoScalingGroup {{uid: 'asg-new', desired: 0, instance_ids: [], create_time: {NOW}}}),
        (:AWSAutoScalingGroup {{uid: 'asg-busy', desired: 1, instance_ids: ['i-1'], create_time: {AGO % 10}}})""",
        ["asg-draining", "asg-new", "asg-starved", "asg-zero"],
        {"min_age_days=5": ["asg-draining", "asg-starved", "asg-zero"]},
    ),
    "powered-off-vms": (
        """CREATE (:VSphereVM {uid: 'vc:vm-off', power_state: 'poweredOff', template: false}),
        (:VSphereVM {uid: 'vc:vm-on', power_state: 'poweredOn', template: false}),
        (:VSphereVM {uid: 'vc:vm-tmpl', power_state: 'poweredOff', template: true})""",
        ["vc:vm-off"],
        {},
    ),
    "templates": (
        """CREATE (:VSphereVM {uid: 'vc:vm-tmpl', template: true}),
        (:VSphereVM {uid: 'vc:vm-plain', template: false})""",
        ["vc:vm-tmpl"],
        {},
    ),
    "vms-on-hosts-in-maintenance": (
        """CREATE (:VSphereHost {uid: 'vc:h-m', maintenance_mode: true})-[:RUNS]->(:VSphereVM {uid: 'vc:vm-a'}),
        (:VSphereHost {uid: 'vc:h-ok', maintenance_mode: false})-[:RUNS]->(:VSphereVM {uid: 'vc:vm-b'})""",
        ["vc:vm-a"],
        {},
    ),
    "full-datastores": (
        """CREATE (:VSphereDatastore {uid: 'vc:ds-full', capacity_bytes: 100, free_bytes: 5}),
        (:VSphereDatastore {uid: 'vc:ds-half', capacity_bytes: 100, free_bytes: 50}),
        (:VSphereDatastore {uid: 'vc:ds-unknown', capacity_bytes: 0, free_bytes: 0})""",
        ["vc:ds-full"],
        {"min_used_percent=40": ["vc:ds-full", "vc:ds-half"]},
    ),
    "unhealthy-hosts": (
        """CREATE (:VSphereHost {uid: 'vc:h-disc', connection_state: 'disconnected'}),
        (:VSphereHost {uid: 'vc:h-nr', connection_state: 'notResponding'}),
        (:VSphereHost {uid: 'vc:h-ok', connection_state: 'connected'})""",
        ["vc:h-disc", "vc:h-nr"],
        {},
    ),
    "old-vm-snapshots": (
        f"""CREATE (vm:VSphereVM {{uid: 'vc:vm-1', name: 'db'}}),
        (vm)-[:HAS_SNAPSHOT]->(:VSphereSnapshot {{uid: 'vc:snapshot-old', vm_uid: 'vc:vm-1', create_time: {AGO % 120}}}),
        (vm)-[:HAS_SNAPSHOT]->(:VSphereSnapshot {{uid: 'vc:snapshot-month', vm_uid: 'vc:vm-1', create_time: {AGO % 45}}}),
        (vm)-[:HAS_SNAPSHOT]->(:VSphereSnapshot {{uid: 'vc:snapshot-new', vm_uid: 'vc:vm-1', create_time: {AGO % 2}}})""",
        ["vc:snapshot-month", "vc:snapshot-old"],
        {"min_age_days=90": ["vc:snapshot-old"], "min_age_days=0": ["vc:snapshot-month", "vc:snapshot-new", "vc:snapshot-old"]},
    ),
    "orphaned-virtual-disks": (
        f"""CREATE (:VSphereDiskFile {{uid: 'vc:ds-1:a/left.vmdk', vm_uids: [], modified: {AGO % 40}}}),
        (:VSphereDiskFile {{uid: 'vc:ds-1:a/new.vmdk', vm_uids: [], modified: {AGO % 1}}}),
        (:VSphereVM {{uid: 'vc:vm-1'}})-[:USES_DISK_FILE]->(:VSphereDiskFile {{uid: 'vc:ds-1:b/used.vmdk', vm_uids: ['vc:vm-1'], modified: {AGO % 40}}})""",
        ["vc:ds-1:a/left.vmdk", "vc:ds-1:a/new.vmdk"],
        {"min_age_days=30": ["vc:ds-1:a/left.vmdk"]},
    ),
    "vms-without-network": (
        """CREATE (:VSphereVM {uid: 'vc:vm-lonely', template: false}),
        (:VSphereVM {uid: 'vc:vm-net', template: false})-[:CONNECTED_TO]->(:VSphereNetwork {uid: 'vc:net-1'}),
        (:VSphereVM {uid: 'vc:vm-tmpl', template: true})""",
        ["vc:vm-lonely"],
        {},
    ),
    "stale-nodes": (
        f"""CREATE (:AWSVPC {{uid: 'v-old', account_id: '1', region: 'r', last_seen: {AGO % 5}}}),
        (:AWSVPC {{uid: 'v-new', account_id: '1', region: 'r', last_seen: {NOW}}}),
        (:VSphereVM {{uid: 'vc:vm-old', vcenter: 'vc', last_seen: {AGO % 5}}})""",
        ["AWSVPC|1|r", "VSphereVM|vc|"],
        {"retention_days=20": []},
    ),
    "failing-collections": (
        f"""CREATE (:InventoryCollection {{uid: 'c-fail', last_success: {HOURS_AGO % 10},
                                          last_failure: {HOURS_AGO % 1}, last_error: 'denied'}}),
        (:InventoryCollection {{uid: 'c-ok', last_success: {HOURS_AGO % 1}}}),
        (:InventoryCollection {{uid: 'c-never', last_failure: {HOURS_AGO % 1}, last_error: 'x'}})""",
        ["c-fail", "c-never"],
        {"min_hours=12": ["c-never"]},
    ),
    "unassociated-elastic-ips": (
        """CREATE (:AWSElasticIP {uid: 'eip-free'}),
        (:AWSElasticIP {uid: 'eip-nat', eni_id: 'eni-1', association_id: 'eipassoc-1'}),
        (:AWSElasticIP {uid: 'eip-run', instance_id: 'i-r', eni_id: 'eni-2', association_id: 'eipassoc-2'})-[:ASSIGNED_TO]->(:AWSInstance {uid: 'i-r', state: 'running'}),
        (:AWSElasticIP {uid: 'eip-stop', instance_id: 'i-s', eni_id: 'eni-3', association_id: 'eipassoc-3'})-[:ASSIGNED_TO]->(:AWSInstance {uid: 'i-s', state: 'stopped'})""",
        ["eip-free"],
        {"include_stopped=true": ["eip-free", "eip-stop"]},
    ),
    "orphaned-snapshots": (
        f"""CREATE (:InventoryCollection {{uid: 'c-vol', label: 'AWSVolume', account_id: '1', region: 'r', last_success: {NOW}}}),
        (:AWSVolume {{uid: 'vol-live', account_id: '1', region: 'r'}}),
        (:AWSSnapshot {{uid: 'snap-live', account_id: '1', region: 'r', volume_id: 'vol-live', start_time: {AGO % 10}}}),
        (:AWSSnapshot {{uid: 'snap-gone', account_id: '1', region: 'r', volume_id: 'vol-gone', start_time: {AGO % 10}}}),
        (:AWSSnapshot {{uid: 'snap-new', account_id: '1', region: 'r', volume_id: 'vol-gone', start_time: {NOW}}}),
        (:AWSSnapshot {{uid: 'snap-unchecked', account_id: '1', region: 'q', volume_id: 'vol-gone', start_time: {AGO % 10}}}),
        (:AWSSnapshot {{uid: 'snap-image', account_id: '1', region: 'r', volume_id: 'vol-gone', start_time: {AGO % 10}}}),
        (:AWSImage {{uid: 'ami-1', snapshot_ids: ['snap-image']}})""",
        ["snap-gone", "snap-new"],
        {"min_age_days=5": ["snap-gone"]},
    ),
    "old-snapshots": (
        f"""CREATE (:AWSVolume {{uid: 'vol-live'}}),
        (:AWSSnapshot {{uid: 'snap-old', volume_id: 'vol-live', start_time: {AGO % 100}}}),
        (:AWSSnapshot {{uid: 'snap-old-orphan', volume_id: 'vol-gone', start_time: {AGO % 200}}}),
        (:AWSSnapshot {{uid: 'snap-month', volume_id: 'vol-live', start_time: {AGO % 30}}}),
        (:AWSSnapshot {{uid: 'snap-new', volume_id: 'vol-live', start_time: {NOW}}})""",
        ["snap-old", "snap-old-orphan"],
        {"min_age_days=20": ["snap-month", "snap-old", "snap-old-orphan"]},
    ),
    "dangling-dns-records": (
        f"""CREATE (:InventoryCollection {{uid: 'c-eip', label: 'AWSElasticIP', account_id: '1', region: 'r', last_success: {NOW}}}),
        (:InventoryCollection {{uid: 'c-i', label: 'AWSInstance', account_id: '1', region: 'q', last_success: {NOW}}}),
        (:InventoryCollection {{uid: 'c-lb', label: 'AWSLoadBalancer', account_id: '2', region: 'us-east-1', last_success: {NOW}}}),
        (:AWSElasticIP {{uid: 'eip-1', public_ip: '198.51.100.1'}}),
        (:AWSInstance {{uid: 'i-1', public_ip: '198.51.100.2'}}),
        (:AWSLoadBalancer {{uid: 'lb-1', dns_name: 'Web-1.us-east-1.elb.amazonaws.com'}}),
        (:AWSDNSRecord {{uid: 'rec-held', account_id: '1', private_zone: false, public_ips: ['198.51.100.1'], targets: ['198.51.100.1']}}),
        (:AWSDNSRecord {{uid: 'rec-instance', account_id: '1', private_zone: false, public_ips: ['198.51.100.2'], targets: ['198.51.100.2']}}),
        (:AWSDNSRecord {{uid: 'rec-released', account_id: '1', private_zone: false, public_ips: ['198.51.100.1', '198.51.100.9'], targets: ['198.51.100.1', '198.51.100.9']}}),
        (:AWSDNSRecord {{uid: 'rec-private', account_id: '1', private_zone: false, public_ips: [], targets: ['10.0.0.1']}}),
        (:AWSDNSRecord {{uid: 'rec-v6', account_id: '1', private_zone: false, public_ips: ['2600:1f18::1'], targets: ['2600:1f18::1']}}),
        (:AWSDNSRecord {{uid: 'rec-unchecked-account', account_id: '3', private_zone: false, public_ips: ['198.51.100.9'], targets: ['198.51.100.9']}}),
        (:AWSDNSRecord {{uid: 'rec-lb-live', account_id: '1', private_zone: false, public_ips: [], targets: ['web-1.us-east-1.elb.amazonaws.com']}}),
        (:AWSDNSRecord {{uid: 'rec-lb-gone', account_id: '1', private_zone: false, public_ips: [], targets: ['old-1.us-east-1.elb.amazonaws.com']}}),
        (:AWSDNSRecord {{uid: 'rec-nlb-gone', account_id: '3', private_zone: false, public_ips: [], targets: ['net-9.elb.us-east-1.amazonaws.com']}}),
        (:AWSDNSRecord {{uid: 'rec-lb-unchecked', account_id: '1', private_zone: false, public_ips: [], targets: ['x-1.ap-south-1.elb.amazonaws.com']}}),
        (:AWSDNSRecord {{uid: 'rec-elsewhere', account_id: '1', private_zone: false, public_ips: [], targets: ['www.example.net']}}),
        (:AWSDNSRecord {{uid: 'rec-private-zone', account_id: '1', private_zone: true, public_ips: [], targets: ['old-2.us-east-1.elb.amazonaws.com']}})""",
        ["rec-lb-gone", "rec-nlb-gone", "rec-private-zone", "rec-released"],
        {
            "public_zones_only=true": ["rec-lb-gone", "rec-nlb-gone", "rec-released"],
            "include_ipv6=true": ["rec-lb-gone", "rec-nlb-gone", "rec-private-zone", "rec-released", "rec-v6"],
        },
    ),
    "idle-nat-gateways": (
        f"""CREATE (:InventoryCollection {{uid: 'c-i', label: 'AWSInstance', account_id: '1', region: 'r', last_success: {NOW}}}),
        (:AWSNatGateway {{uid: 'nat-idle', account_id: '1', region: 'r', vpc_id: 'v-empty', state: 'available', create_time: {AGO % 10}}}),
        (:AWSNatGateway {{uid: 'nat-stopped', account_id: '1', region: 'r', vpc_id: 'v-stopped', state: 'available', create_time: {NOW}}}),
        (:AWSInstance {{uid: 'i-s', vpc_id: 'v-stopped', state: 'stopped'}}),
        (:AWSNatGateway {{uid: 'nat-busy', account_id: '1', region: 'r', vpc_id: 'v-busy', state: 'available', create_time: {AGO % 10}}}),
        (:AWSInstance {{uid: 'i-r', vpc_id: 'v-busy', state: 'running'}}),
        (:AWSNatGateway {{uid: 'nat-deleting', account_id: '1', region: 'r', vpc_id: 'v-empty', state: 'deleting', create_time: {AGO % 10}}}),
        (:AWSNatGateway {{uid: 'nat-unchecked', account_id: '1', region: 'q', vpc_id: 'v-q', state: 'available', create_time: {AGO % 10}}})""",
        ["nat-idle", "nat-stopped"],
        {"min_age_days=5": ["nat-idle"]},
    ),
    # The change reports: records in the window must appear, older ones, other labels and
    # other kinds of change not.
    "recently-created": (
        f"""CREATE (:InventoryChange {{uid: 'i-new', label: 'AWSInstance', change: 'created', at: {HOURS_AGO % 1}, after_name: 'web'}}),
        (:InventoryChange {{uid: 'i-new', label: 'AWSInstance', change: 'created', at: {HOURS_AGO % 20}}}),
        (:InventoryChange {{uid: 'i-old', label: 'AWSInstance', change: 'created', at: {HOURS_AGO % 30}}}),
        (:InventoryChange {{uid: 'i-updated', label: 'AWSInstance', change: 'updated', at: {HOURS_AGO % 1}}}),
        (:InventoryChange {{uid: 'vol-new', label: 'AWSVolume', change: 'created', at: {HOURS_AGO % 2}}}),
        (:InventoryChange {{uid: 'vol-gone', label: 'AWSVolume', change: 'created', at: {HOURS_AGO % 3}}}),
        (:InventoryChange {{uid: 'vol-gone', label: 'AWSVolume', change: 'deleted', at: {HOURS_AGO % 1}}})""",
        ["i-new", "vol-gone", "vol-new"],
        {"hours=48": ["i-new", "i-old", "vol-gone", "vol-new"], "label=AWSVolume": ["vol-gone", "vol-new"]},
    ),
    "recently-deleted": (
        f"""CREATE (:InventoryChange {{uid: 'i-gone', label: 'AWSInstance', change: 'deleted', at: {HOURS_AGO % 1}, before_name: 'web'}}),
        (:InventoryChange {{uid: 'i-old', label: 'AWSInstance', change: 'deleted', at: {HOURS_AGO % 30}}}),
        (:InventoryChange {{uid: 'i-new', label: 'AWSInstance', change: 'created', at: {HOURS_AGO % 1}}}),
        (:InventoryChange {{uid: 'vol-gone', label: 'AWSVolume', change: 'deleted', at: {HOURS_AGO % 2}}}),
        (:InventoryChange {{uid: 'sn-1', label: 'AWSSubnet', change: 'unlinked', type: 'HAS_INSTANCE', target_uid: 'i-x', at: {HOURS_AGO % 1}}})""",
        ["i-gone", "vol-gone"],
        {"hours=48": ["i-gone", "i-old", "vol-gone"], "label=AWSVolume": ["vol-gone"]},
    ),
    "security-group-changes": (
        f"""CREATE (:AWSSecurityGroup {{uid: 'sg-rules', group_name: 'web', vpc_id: 'v1', account_id: '1', region: 'r'}}),
        (:InventoryChange {{uid: 'sg-rules', label: 'AWSSecurityGroup', change: 'updated', fields: ['ingress_rules'], at: {HOURS_AGO % 1}}}),
        (:InventoryChange {{uid: 'sg-old', label: 'AWSSecurityGroup', change: 'updated', fields: ['ingress_rules'], at: {HOURS_AGO % 30}}}),
        (:InventoryChange {{uid: 'i-1', label: 'AWSInstance', change: 'linked', type: 'IN_SECURITY_GROUP', target_uid: 'sg-inst', target_label: 'AWSSecurityGroup', at: {HOURS_AGO % 2}}}),
        (:InventoryChange {{uid: 'v1', label: 'AWSVPC', change: 'linked', type: 'HAS_SECURITY_GROUP', target_uid: 'sg-vpc', target_label: 'AWSSecurityGroup', at: {HOURS_AGO % 2}}}),
        (:InventoryChange {{uid: 'eni-1', label: 'AWSNetworkInterface', change: 'updated', fields: ['security_group_ids'], before_security_group_ids: ['sg-kept'], after_security_group_ids: ['sg-kept', 'sg-eni'], at: {HOURS_AGO % 3}}}),
        (:InventoryChange {{uid: 'eni-2', label: 'AWSNetworkInterface', change: 'updated', fields: ['status'], before_security_group_ids: ['sg-status'], after_security_group_ids: ['sg-status'], at: {HOURS_AGO % 1}}}),
        (:InventoryChange {{uid: 'i-2', label: 'AWSInstance', change: 'updated', fields: ['security_group_ids'], after_security_group_ids: ['sg-list'], at: {HOURS_AGO % 1}}}),
        (:InventoryChange {{uid: 'vol-1', label: 'AWSVolume', change: 'updated', fields: ['ingress_rules'], at: {HOURS_AGO % 1}}})""",
        ["sg-eni", "sg-inst", "sg-rules"],
        {"hours=48": ["sg-eni", "sg-inst", "sg-old", "sg-rules"]},
    ),
}  # fmt: skip


def test_every_report_has_a_case() -> None:
    assert set(CASES) == set(reports.catalog())


@pytest.fixture(scope="module")
def client(settings: Settings, migrated: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _keys(client: TestClient, read: dict, name: str, params: dict[str, str]) -> list[str]:
    reply = client.get(f"/api/v1/reports/{name}", headers=read, params=params)
    assert reply.status_code == 200, reply.text
    key = reports.get(name).key
    return [row[key] for row in reply.json()["items"]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_report_finds_what_it_must_and_not_the_near_misses(
    clean_graph: Runtime, client: TestClient, read: dict, config_path: Path, name: str
) -> None:
    graph, want, variants = CASES[name]
    clean_graph.driver.execute_query(graph)
    assert _keys(client, read, name, {}) == sorted(want)
    for params, keys in variants.items():
        key, value = params.split("=")
        assert _keys(client, read, name, {key: value}) == sorted(keys), params
    # The same through GraphQL and the CLI.
    query = "query($n: String!) { report(name: $n) { rows columns nextCursor } }"
    body = client.post("/graphql", headers=read, json={"query": query, "variables": {"n": name}})
    page = body.json()["data"]["report"]
    assert [r[reports.get(name).key] for r in page["rows"]] == sorted(want)
    assert page["columns"] == list(reports.get(name).columns) and page["nextCursor"] is None
    result = cli("report", "run", name, "--format", "json", config=config_path)
    assert result.returncode == 0, result.stderr
    assert [r[reports.get(name).key] for r in json.loads(result.stdout)] == sorted(want)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_report_runs_in_the_browser_way_with_its_param_lines(
    clean_graph: Runtime, name: str
) -> None:
    """The file itself, with the values its :param lines set, as the Browser runs it."""
    report = reports.get(name)
    clean_graph.driver.execute_query(CASES[name][0])
    params = {}
    for line in report.browser().splitlines():
        key, _, value = line.removeprefix(":param ").partition(" => ")
        params[key] = json.loads(value.replace("'", '"')) if value != "''" else ""
    records, _, _ = clean_graph.driver.execute_query(report.query, params)
    assert list(records[0].keys()) == list(report.columns)


def test_pages_follow_the_cursor_to_the_end(
    clean_graph: Runtime, client: TestClient, read: dict
) -> None:
    clean_graph.driver.execute_query(
        "UNWIND range(1, 5) AS n CREATE (:AWSVolume {uid: 'vol-' + n, instance_ids: []})"
    )
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/reports/unattached-volumes", headers=read, params=params).json()
        seen += [r["uid"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"vol-{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("name", "params", "status", "message"),
    [
        ("unattached-volumes", {"min_age_days": "soon"}, 422, "min_age_days: expected int"),
        ("unattached-volumes", {"min_age_days": "-1"}, 422, "min_age_days: must be at least 0"),
        ("full-datastores", {"min_used_percent": "101"}, 422, "min_used_percent: must be at most"),
        ("old-snapshots", {"min_age_days": "-1"}, 422, "min_age_days: must be at least 0"),
        ("orphaned-snapshots", {"min_age_days": "ages"}, 422, "min_age_days: expected int"),
        ("orphaned-snapshots", {"min_age_days": "36501"}, 422, "min_age_days: must be at most"),
        ("idle-nat-gateways", {"min_age_days": "a week"}, 422, "min_age_days: expected int"),
        ("dangling-dns-records", {"include_ipv6": "maybe"}, 422, "include_ipv6: expected bool"),
        (
            "dangling-dns-records",
            {"public_zones": "true"},
            422,
            "public_zones: dangling-dns-records has no such parameter",
        ),
        (
            "unassociated-elastic-ips",
            {"include_stopped": "perhaps"},
            422,
            "include_stopped: expected bool",
        ),
        ("public-databases", {"include_stopped": "sometimes"}, 422, "include_stopped: expected"),
        ("stopped-databases", {"min_storage_gib": "99999"}, 422, "must be at most 65536"),
        ("deprecated-lambda-runtimes", {"days_ahead": "-5"}, 422, "days_ahead: must be at least 0"),
        ("empty-auto-scaling-groups", {"min_age_days": "old"}, 422, "min_age_days: expected int"),
        ("templates", {"colour": "red"}, 422, "colour: templates has no such parameter"),
        ("old-vm-snapshots", {"min_age_days": "old"}, 422, "min_age_days: expected int"),
        ("old-vm-snapshots", {"min_age_days": "36501"}, 422, "min_age_days: must be at most"),
        ("orphaned-virtual-disks", {"min_age_days": "-3"}, 422, "min_age_days: must be at least 0"),
        ("recently-created", {"hours": "0"}, 422, "hours: must be at least 1"),
        ("recently-created", {"hours": "a day"}, 422, "hours: expected int"),
        ("recently-deleted", {"label": "AWSNope"}, 422, "label: no kind has the label 'AWSNope'"),
        ("recently-deleted", {"hours": "87601"}, 422, "hours: must be at most 87600"),
        ("security-group-changes", {"hours": "-2"}, 422, "hours: must be at least 1"),
        ("security-group-changes", {"label": "AWSVPC"}, 422, "label: security-group-changes has"),
        ("leaks-of-all-kinds", {}, 404, "no report 'leaks-of-all-kinds'"),
    ],
)
def test_bad_parameters_are_refused_by_name_everywhere(
    client: TestClient, read: dict, config_path: Path, name: str, params: dict, status: int,
    message: str,
) -> None:  # fmt: skip
    reply = client.get(f"/api/v1/reports/{name}", headers=read, params=params)
    assert reply.status_code == status and message in reply.json()["detail"]
    query = "query($n: String!, $p: JSON) { report(name: $n, params: $p) { rows } }"
    body = client.post(
        "/graphql", headers=read, json={"query": query, "variables": {"n": name, "p": params}}
    ).json()
    assert body["data"] is None and message in body["errors"][0]["message"]
    args = [f"--param={k}={v}" for k, v in params.items()]
    result = cli("report", "run", name, *args, config=config_path)
    assert result.returncode == 2 and message in result.stderr


def test_the_list_names_every_report_with_its_parameters(
    client: TestClient, read: dict, config_path: Path
) -> None:
    listed = client.get("/api/v1/reports", headers=read).json()
    assert {r["name"] for r in listed} == set(reports.catalog())
    volumes = next(r for r in listed if r["name"] == "unattached-volumes")
    assert volumes["parameters"] == [
        {
            "name": "min_age_days",
            "type": "int",
            "minimum": 0,
            "maximum": 36500,
            "default": 0,
            "description": "only volumes created at least this many days ago",
        }
    ]
    result = cli("report", "list", "--json", config=config_path)
    assert {r["name"] for r in json.loads(result.stdout)} == set(reports.catalog())


def test_old_snapshots_say_whether_their_volume_still_exists(
    clean_graph: Runtime, client: TestClient, read: dict
) -> None:
    clean_graph.driver.execute_query(CASES["old-snapshots"][0])
    reply = client.get("/api/v1/reports/old-snapshots", headers=read).json()
    assert {r["uid"]: r["volume_exists"] for r in reply["items"]} == {
        "snap-old": True,
        "snap-old-orphan": False,
    }
    assert all(r["age_days"] >= 90 for r in reply["items"])


def test_dangling_dns_records_name_what_is_missing_and_only_that(
    clean_graph: Runtime, client: TestClient, read: dict
) -> None:
    clean_graph.driver.execute_query(CASES["dangling-dns-records"][0])
    reply = client.get("/api/v1/reports/dangling-dns-records", headers=read).json()
    got = {r["uid"]: (r["dangling"], r["missing"]) for r in reply["items"]}
    # The held address of the record's two is not dangling.
    assert got["rec-released"] == (["198.51.100.9"], "address")
    assert got["rec-nlb-gone"] == (["net-9.elb.us-east-1.amazonaws.com"], "load balancer")
