"""Live EC2 networking: VPCs, subnets, gateways, routes, security groups, NACLs, instances.

Reads the account's network in one region and builds the records the Terraform
collector builds for the same resources (collectors/terraform/aws_network.py and
services/network.py), so the shared mapping decides subnet tiers and internet
reachability the same way for both. Every EC2 record's ref is its AWS id and its
address the resource's ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.identity.records import FlowLog
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.network_extras import (
    flow_log,
    instances,
    nat_gateway,
    peering,
    vpc_endpoint,
)
from collectors.aws_live.services.network_routes import route_table
from collectors.aws_live.services.network_rules import network_acl, security_group
from collectors.aws_live.services.network_values import dicts, ec2_arn, flag, text

CLIENTS: tuple[str, ...] = ("ec2",)
GLOBAL = False

# raw key -> the paginated Describe operation that lists it (the key is its result key)
OPERATIONS = {
    "Vpcs": "DescribeVpcs",
    "Subnets": "DescribeSubnets",
    "InternetGateways": "DescribeInternetGateways",
    "RouteTables": "DescribeRouteTables",
    "SecurityGroups": "DescribeSecurityGroups",
    "NetworkAcls": "DescribeNetworkAcls",
    "VpcEndpoints": "DescribeVpcEndpoints",
    "NatGateways": "DescribeNatGateways",
    "VpcPeeringConnections": "DescribeVpcPeeringConnections",
    "FlowLogs": "DescribeFlowLogs",
    "Reservations": "DescribeInstances",
}

# What one transform yields: records, and the rules that go to their own Inventory fields.
Built = r.Record | r.SecurityGroupRule | r.NaclRule
# Builds the records of one listed resource (none when it has no id or is gone).
Build = Callable[[Mapping[str, Any], Where], Sequence[Built] | Built | None]


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """Every list, all pages; None for a list whose call failed (already a diagnostic).

    Instances come from DescribeInstances only: their user data is never requested."""
    ec2 = apis["ec2"]
    return {key: ec2.items(operation, key) for key, operation in OPERATIONS.items()}


def transform(raw: Mapping[str, Any], where: Where) -> list[Built]:
    """Raw responses to records. Pure; a list that could not be read gives no records."""
    builders: tuple[tuple[str, Build], ...] = (
        ("Vpcs", vpc),
        ("Subnets", subnet),
        ("InternetGateways", internet_gateway),
        ("RouteTables", route_table),
        ("SecurityGroups", security_group),
        ("NetworkAcls", network_acl),
        ("VpcEndpoints", vpc_endpoint),
        ("NatGateways", nat_gateway),
        ("VpcPeeringConnections", peering),
        ("FlowLogs", flow_log),
        ("Reservations", instances),
    )
    out: list[Built] = []
    for key, build in builders:
        for item in dicts(raw.get(key)):
            built = build(item, where)
            if isinstance(built, Sequence):
                out += built
            elif built is not None:
                out.append(built)
    return out + _unread(raw, out, where)


def _unread(raw: Mapping[str, Any], built: list[Built], where: Where) -> list[Built]:
    """What a failed list leaves unknown, said in records: with the network ACLs unread,
    an association of an unknown ACL to an unknown subnet (every subnet's ACL unknown,
    not the default allow-all); with the flow logs unread, each VPC's flow logs unknown
    (not missing)."""
    out: list[Built] = []
    if "NetworkAcls" in raw and raw["NetworkAcls"] is None:
        ref = where.arn("ec2", "network-acl/*")
        ev = where.evidence(ref, detail="network ACLs could not be read")
        out.append(r.NaclAssociation(ref, ref, ev, acl="?", subnet=None))
    if "FlowLogs" in raw and raw["FlowLogs"] is None:
        for v in built:
            if isinstance(v, r.Vpc):
                ev = where.evidence(v.address, detail="flow logs could not be read")
                out.append(FlowLog(f"{v.address}#flow-logs", v.address, ev, vpc=v.ref, unread=True))
    return out


def vpc(v: Mapping[str, Any], where: Where) -> r.Vpc | None:
    ident = text(v.get("VpcId"))
    if ident is None:
        return None
    arn = ec2_arn(where, "vpc", ident)
    return r.Vpc(ident, arn, where.evidence(arn), cidr=text(v.get("CidrBlock")))


def subnet(s: Mapping[str, Any], where: Where) -> r.Subnet | None:
    ident = text(s.get("SubnetId"))
    if ident is None:
        return None
    arn = text(s.get("SubnetArn")) or ec2_arn(where, "subnet", ident)
    return r.Subnet(
        ident,
        arn,
        where.evidence(arn),
        vpc=text(s.get("VpcId")),
        cidr=text(s.get("CidrBlock")),
        public_ip_on_launch=flag(s.get("MapPublicIpOnLaunch")),
    )


def internet_gateway(g: Mapping[str, Any], where: Where) -> r.InternetGateway | None:
    """An internet gateway and the VPC it is attached to (None while detached)."""
    ident = text(g.get("InternetGatewayId"))
    if ident is None:
        return None
    arn = ec2_arn(where, "internet-gateway", ident)
    attached = [
        vpc_id
        for a in dicts(g.get("Attachments"))
        if (vpc_id := text(a.get("VpcId"))) and a.get("State") not in ("detaching", "detached")
    ]
    return r.InternetGateway(ident, arn, where.evidence(arn), vpc=attached[0] if attached else None)
