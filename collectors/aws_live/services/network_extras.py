"""Live VPC endpoints, NAT gateways, peering connections, flow logs and EC2 instances.

Resources AWS still lists for a while after they are gone (deleted NAT gateways,
rejected peerings, terminated instances) are left out: they carry no traffic, and
Terraform would not have them either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services import network as n
from collectors.aws.services.identity.records import FlowLog
from collectors.aws_live.api import Where, first
from collectors.aws_live.services.network_values import dicts, ec2_arn, flag, text, texts

_ENDPOINT_GONE = ("deleting", "deleted", "rejected", "failed", "expired")
_NAT_GONE = ("deleting", "deleted", "failed")
_PEERING_GONE = ("deleting", "deleted", "rejected", "failed", "expired")


def _state(value: Any) -> str:
    return (text(value) or "").lower()


def vpc_endpoint(e: Mapping[str, Any], where: Where) -> n.VpcEndpoint | None:
    ident = text(e.get("VpcEndpointId"))
    if ident is None or _state(e.get("State")) in _ENDPOINT_GONE:
        return None
    arn = ec2_arn(where, "vpc-endpoint", ident)
    service = text(e.get("ServiceName"))
    return n.VpcEndpoint(
        ident,
        arn,
        where.evidence(arn),
        vpc=text(e.get("VpcId")),
        # com.amazonaws.eu-west-1.s3 -> s3, as the Terraform builder shortens it.
        service=service.rsplit(".", 1)[-1] if service else None,
        endpoint_type=text(e.get("VpcEndpointType")) or "?",
        private_dns=flag(e.get("PrivateDnsEnabled")),
    )


def nat_gateway(g: Mapping[str, Any], where: Where) -> n.NatGateway | None:
    ident = text(g.get("NatGatewayId"))
    if ident is None or _state(g.get("State")) in _NAT_GONE:
        return None
    arn = ec2_arn(where, "natgateway", ident)
    connectivity = text(g.get("ConnectivityType"))
    return n.NatGateway(
        ident,
        arn,
        where.evidence(arn),
        subnet=text(g.get("SubnetId")),
        public=None if connectivity is None else connectivity == "public",
    )


def peering(p: Mapping[str, Any], where: Where) -> n.PeeringConnection | None:
    """A peering from its requester's VPC to its accepter's; cross-account when the two
    owners differ (unknown when either owner is not given)."""
    ident = text(p.get("VpcPeeringConnectionId"))
    if ident is None or _state(first(p, "Status", "Code")) in _PEERING_GONE:
        return None
    arn = ec2_arn(where, "vpc-peering-connection", ident)
    owners = (
        text(first(p, "RequesterVpcInfo", "OwnerId")),
        text(first(p, "AccepterVpcInfo", "OwnerId")),
    )
    return n.PeeringConnection(
        ident,
        arn,
        where.evidence(arn),
        vpc=text(first(p, "RequesterVpcInfo", "VpcId")),
        peer_vpc=text(first(p, "AccepterVpcInfo", "VpcId")),
        cross_account=None if None in owners else owners[0] != owners[1],
    )


def flow_log(f: Mapping[str, Any], where: Where) -> FlowLog | None:
    """A flow log; `vpc` only for one on a VPC (subnet and interface logs cover less)."""
    ident = text(f.get("FlowLogId"))
    if ident is None:
        return None
    arn = ec2_arn(where, "vpc-flow-log", ident)
    resource = text(f.get("ResourceId"))
    traffic = text(f.get("TrafficType"))
    return FlowLog(
        ident,
        arn,
        where.evidence(arn),
        vpc=resource if resource and resource.startswith("vpc-") else None,
        traffic_type=traffic.upper() if traffic else None,
    )


def instances(reservation: Mapping[str, Any], where: Where) -> list[r.Instance]:
    """The instances of one reservation that are not terminated."""
    return [
        built
        for i in dicts(reservation.get("Instances"))
        if _state(first(i, "State", "Name")) != "terminated"
        if (built := instance(i, where)) is not None
    ]


def instance(i: Mapping[str, Any], where: Where) -> r.Instance | None:
    """An instance: where it runs, its groups (of every interface), whether it has a
    public IPv4 address and its instance profile. User data is never read, so `calls`
    stays empty (the Terraform builder finds references there)."""
    ident = text(i.get("InstanceId"))
    if ident is None:
        return None
    arn = ec2_arn(where, "instance", ident)
    interfaces = dicts(i.get("NetworkInterfaces"))
    groups = texts(i.get("SecurityGroups"), "GroupId")
    groups += tuple(g for x in interfaces for g in texts(x.get("Groups"), "GroupId"))
    state = _state(first(i, "State", "Name"))
    name = next(
        (text(t.get("Value")) for t in dicts(i.get("Tags")) if t.get("Key") == "Name"), None
    )
    return r.Instance(
        ident,
        arn,
        where.evidence(arn, detail=f"{name} ({state or '?'})" if name else state or None),
        subnet=text(i.get("SubnetId")),
        security_groups=tuple(dict.fromkeys(groups)),
        public_ip=_public_ip(i, interfaces, state),
        instance_profile=text(first(i, "IamInstanceProfile", "Arn")),
        http_tokens=text(first(i, "MetadataOptions", "HttpTokens")),
        name_tag=name,
    )


def _public_ip(
    i: Mapping[str, Any], interfaces: list[Mapping[str, Any]], state: str
) -> bool | None:
    """True with a public IPv4 address; False for a running instance without one; None
    otherwise (a stopped instance has none now but may get one when it starts)."""
    addresses = [
        i.get("PublicIpAddress"),
        *(first(x, "Association", "PublicIp") for x in interfaces),
    ]
    if any(text(a) for a in addresses):
        return True
    ipv6 = [i.get("Ipv6Address"), *(a for x in interfaces for a in dicts(x.get("Ipv6Addresses")))]
    if any(ipv6):
        return None  # global IPv6 addresses: reachable or not as the routes and gateways say
    return False if state == "running" else None
