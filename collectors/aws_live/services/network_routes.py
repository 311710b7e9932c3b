"""Live route tables: routes classified as the Terraform builder classifies them.

The shared mapping (collectors/aws/network.py) calls a subnet public when its table,
its own or else the VPC's main one, has a route to an internet gateway, so routes keep
the Terraform builder's target kinds and the main table is marked from its Main
association.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws_live.api import Where
from collectors.aws_live.services.network_values import dicts, ec2_arn, text

# Route target fields in the Terraform builder's order, after GatewayId. A route to an
# instance (a NAT instance) names both the instance and its interface: the instance is
# what the route was made for, so it comes before the interface here.
_TARGETS = (
    ("NatGatewayId", "nat"),
    ("EgressOnlyInternetGatewayId", "egress-only"),
    ("TransitGatewayId", "tgw"),
    ("VpcPeeringConnectionId", "peering"),
    ("InstanceId", "instance"),
    ("NetworkInterfaceId", "eni"),
    ("CarrierGatewayId", "other"),
    ("LocalGatewayId", "other"),
    ("CoreNetworkArn", "other"),
    ("OdbNetworkArn", "other"),
)
# GatewayId prefixes; any other gateway id is a real id of another kind, not an
# expression that could be an internet gateway (Terraform's "unknown").
_GATEWAYS = (("igw-", "igw"), ("vpce-", "endpoint"), ("vgw-", "vgw"))
# Associations that no longer (or do not yet) apply to their subnet.
_GONE = ("disassociating", "disassociated", "failed")


def route_table(t: Mapping[str, Any], where: Where) -> list[r.RouteTable | r.RouteTableAssociation]:
    """A route table and one association record per subnet explicitly associated with it."""
    ident = text(t.get("RouteTableId"))
    if ident is None:
        return []
    arn = ec2_arn(where, "route-table", ident)
    live = [a for a in dicts(t.get("Associations")) if _state(a) not in _GONE]
    table = r.RouteTable(
        ident,
        arn,
        where.evidence(arn),
        vpc=text(t.get("VpcId")),
        routes=tuple(
            _route(x, arn, where) for x in dicts(t.get("Routes")) if x.get("State") != "blackhole"
        ),
        main=any(a.get("Main") is True for a in live),
    )
    out: list[r.RouteTable | r.RouteTableAssociation] = [table]
    for a in live:
        if (subnet := text(a.get("SubnetId"))) is not None:
            out.append(_association(a, ident, subnet, arn, where))
    return out


def _state(association: Mapping[str, Any]) -> str | None:
    state = association.get("AssociationState")
    return text(state.get("State")) if isinstance(state, Mapping) else None


def _association(
    a: Mapping[str, Any], table: str, subnet: str, arn: str, where: Where
) -> r.RouteTableAssociation:
    """Associations have no ARN of their own: they are located on their route table."""
    ident = text(a.get("RouteTableAssociationId")) or f"{table}/{subnet}"
    return r.RouteTableAssociation(
        ident,
        arn,
        where.evidence(arn, detail=f"association {ident}: {subnet} -> {table}"),
        subnet=subnet,
        route_table=table,
    )


def _route(x: Mapping[str, Any], arn: str, where: Where) -> r.Route:
    """One route. Blackhole routes (their target was deleted) carry no traffic and are
    left out by the caller, so a deleted internet gateway does not make a subnet public."""
    destination = (
        text(x.get("DestinationCidrBlock"))
        or text(x.get("DestinationIpv6CidrBlock"))
        or text(x.get("DestinationPrefixListId"))
    )
    kind, target = _target(x)
    detail = f"route {destination or '?'} -> {target or kind}"
    return r.Route(destination, kind, target, where.evidence(arn, detail=detail))


def _target(x: Mapping[str, Any]) -> tuple[str, str | None]:
    gateway = text(x.get("GatewayId"))
    if gateway is not None:
        if gateway == "local":
            return "local", gateway
        kind = next((k for prefix, k in _GATEWAYS if gateway.startswith(prefix)), "other")
        return kind, gateway
    for key, kind in _TARGETS:
        if (target := text(x.get(key))) is not None:
            return kind, target
    return "other", None
