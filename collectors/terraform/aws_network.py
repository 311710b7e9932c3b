"""Terraform AWS network resources (VPC, subnets, routes, security groups) to records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.terraform import values as v
from collectors.terraform.blocks import Block

_ROUTE_TARGETS = (
    ("nat_gateway_id", "nat"),
    ("egress_only_gateway_id", "egress-only"),
    ("transit_gateway_id", "tgw"),
    ("vpc_peering_connection_id", "peering"),
    ("network_interface_id", "eni"),
    ("instance_id", "instance"),
    ("vpc_endpoint_id", "endpoint"),
    ("carrier_gateway_id", "other"),
    ("local_gateway_id", "other"),
    ("core_network_arn", "other"),
)


def vpc(b: Block) -> r.Vpc:
    return r.Vpc(b.address, b.address, b.evidence(), cidr=v.string(b.body.get("cidr_block")))


def subnet(b: Block) -> r.Subnet:
    return r.Subnet(
        b.address,
        b.address,
        b.evidence(),
        vpc=v.ref(b.body.get("vpc_id")),
        cidr=v.string(b.body.get("cidr_block")),
        # Provider default: false.
        public_ip_on_launch=v.boolean(b.body.get("map_public_ip_on_launch", False)),
    )


def internet_gateway(b: Block) -> r.InternetGateway:
    return r.InternetGateway(b.address, b.address, b.evidence(), vpc=v.ref(b.body.get("vpc_id")))


def _route(b: Block, body: Mapping[str, Any], destination_keys: tuple[str, ...]) -> r.Route:
    destination = None
    for key in destination_keys:
        if key in body:
            destination = v.string(body[key])
            break
    kind, target = "other", None
    gateway = body.get("gateway_id")
    if gateway is not None:
        target = v.ref(gateway)
        rtype = v.address_type(target) if target else None
        if target is None:
            kind = "unknown"  # var.igw_id, a conditional: could be an internet gateway
        elif rtype == "aws_internet_gateway" or target.startswith("igw-"):
            kind = "igw"
        elif rtype == "aws_vpc_endpoint" or target.startswith("vpce-"):
            kind = "endpoint"
        elif target == "local":
            kind = "local"
        elif rtype == "aws_vpn_gateway" or target.startswith("vgw-"):
            kind = "vgw"
        else:
            kind = "unknown"  # an expression or foreign id: cannot tell
    else:
        for key, kind_name in _ROUTE_TARGETS:
            if key in body:
                kind, target = kind_name, v.ref(body[key])
                break
    detail = f"route {destination or '?'} -> {target or kind}"
    return r.Route(destination, kind, target, b.nested_evidence(body, "route", detail))


def route_table(b: Block, main: bool = False) -> r.RouteTable:
    routes = tuple(
        _route(b, rb, ("cidr_block", "ipv6_cidr_block", "destination_prefix_list_id"))
        for rb in v.blocks(b.body, "route")
    )
    vpc_ref = v.ref(b.body.get("vpc_id"))
    if main and vpc_ref is None:  # aws_default_route_table names its VPC's default table
        vpc_ref = next((a for a, _ in v.refs_in(b.body.get("default_route_table_id"))), None)
    return r.RouteTable(b.address, b.address, b.evidence(), vpc=vpc_ref, routes=routes, main=main)


def standalone_route(b: Block) -> tuple[str | None, r.Route]:
    """An `aws_route`: the table it belongs to and the route itself."""
    route = _route(
        b,
        b.body,
        ("destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"),
    )
    evidence = b.evidence("route", route.evidence.detail)
    return v.ref(b.body.get("route_table_id")), r.Route(
        route.destination, route.target_kind, route.target, evidence
    )


def route_table_association(b: Block) -> r.RouteTableAssociation:
    return r.RouteTableAssociation(
        b.address,
        b.address,
        b.evidence(),
        subnet=v.ref(b.body.get("subnet_id")),
        route_table=v.ref(b.body.get("route_table_id")),
    )


def security_group(b: Block) -> tuple[r.SecurityGroup, list[r.SecurityGroupRule]]:
    group = r.SecurityGroup(
        b.address,
        b.address,
        b.evidence(),
        vpc=v.ref(b.body.get("vpc_id")),
        name=v.string(b.body.get("name")),
    )
    rules = [
        _inline_rule(b, body, direction)
        for direction in ("ingress", "egress")
        for body in v.blocks(b.body, direction)
    ]
    return group, rules


def _peers(body: Mapping[str, Any], cidr_keys: tuple[str, ...], group_keys: tuple[str, ...]) -> Any:
    cidrs: list[str] = []
    groups: list[str] = []
    unresolved = False
    for key in cidr_keys:
        if key not in body:
            continue
        found = v.strings(body[key])
        if found is None:
            unresolved = True
        else:
            cidrs.extend(found)
    for key in group_keys:
        if key not in body:
            continue
        value = body[key]
        groups.extend(v.refs(value))
        unresolved = unresolved or not v.is_complete(value)
    return tuple(cidrs), tuple(groups), unresolved


def _protocol(value: object) -> str:
    text = v.string(value)
    if text is None:
        text = str(v.integer(value)) if v.integer(value) is not None else "?"
    text = text.lower()
    return {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp"}.get(text, text)


def _rule(
    b: Block,
    body: Mapping[str, Any],
    group: str | None,
    direction: str,
    protocol_key: str,
    peers: tuple[tuple[str, ...], tuple[str, ...], bool],
    nested: bool,
) -> r.SecurityGroupRule:
    cidrs, groups, unresolved = peers
    protocol = _protocol(body.get(protocol_key))
    unresolved = unresolved or protocol == "?" or any(k in body for k in _PREFIX_KEYS)
    from_port, to_port = v.integer(body.get("from_port")), v.integer(body.get("to_port"))
    if protocol == "-1":
        from_port, to_port = 0, 65535
    ports = "all" if protocol == "-1" else f"{from_port}-{to_port}"
    detail = f"{direction} {protocol}/{ports} from {', '.join(cidrs + groups) or '?'}"
    evidence = (
        b.nested_evidence(body, "security_group_rule", detail)
        if nested
        else b.evidence("security_group_rule", detail)
    )
    return r.SecurityGroupRule(
        group=group or "?",
        direction=direction,
        protocol=protocol,
        from_port=from_port,
        to_port=to_port,
        cidrs=cidrs,
        groups=groups,
        self_ref=v.boolean(body.get("self")) is True,
        unresolved=unresolved,
        address=b.address,
        evidence=evidence,
    )


_PREFIX_KEYS = ("prefix_list_ids", "prefix_list_id")


def _inline_rule(b: Block, body: Mapping[str, Any], direction: str) -> r.SecurityGroupRule:
    peers = _peers(body, ("cidr_blocks", "ipv6_cidr_blocks"), ("security_groups",))
    return _rule(b, body, b.address, direction, "protocol", peers, nested=True)


def security_group_rule(b: Block) -> r.SecurityGroupRule:
    """The older `aws_security_group_rule` form."""
    peers = _peers(b.body, ("cidr_blocks", "ipv6_cidr_blocks"), ("source_security_group_id",))
    direction = v.string(b.body.get("type")) or "?"
    group = v.ref(b.body.get("security_group_id"))
    return _rule(b, b.body, group, direction, "protocol", peers, nested=False)


def vpc_security_group_rule(b: Block, direction: str) -> r.SecurityGroupRule:
    """The newer `aws_vpc_security_group_{ingress,egress}_rule` form."""
    peers = _peers(b.body, ("cidr_ipv4", "cidr_ipv6"), ("referenced_security_group_id",))
    group = v.ref(b.body.get("security_group_id"))
    return _rule(b, b.body, group, direction, "ip_protocol", peers, nested=False)


def _nacl_rule(
    b: Block, body: Mapping[str, Any], acl: str, egress: bool, keys: tuple[str, str, str]
) -> r.NaclRule:
    number_key, action_key, protocol_key = keys
    action = v.string(body.get(action_key))
    cidr = v.string(body.get("cidr_block")) or v.string(body.get("ipv6_cidr_block"))
    protocol = _protocol(body.get(protocol_key))
    from_port, to_port = v.integer(body.get("from_port")), v.integer(body.get("to_port"))
    if protocol == "-1":
        from_port, to_port = 0, 65535
    detail = f"{'egress' if egress else 'ingress'} {action or '?'} {protocol} from {cidr or '?'}"
    nested = body is not b.body
    return r.NaclRule(
        acl=acl,
        number=v.integer(body.get(number_key)),
        egress=egress,
        allow=None if action is None else action.lower() == "allow",
        protocol=protocol,
        cidr=cidr,
        from_port=from_port,
        to_port=to_port,
        evidence=b.nested_evidence(body, "nacl_rule", detail)
        if nested
        else b.evidence("nacl_rule", detail),
    )


def network_acl(b: Block, default: bool = False) -> tuple[r.NetworkAcl, list[r.NaclRule]]:
    """`aws_network_acl` / `aws_default_network_acl` with their inline rules."""
    vpc = v.ref(b.body.get("vpc_id"))
    if default and vpc is None:
        vpc = next((a for a, _ in v.refs_in(b.body.get("default_network_acl_id"))), None)
    acl = r.NetworkAcl(
        b.address,
        b.address,
        b.evidence(),
        vpc=vpc,
        subnets=v.refs(b.body.get("subnet_ids")),
        default=default,
    )
    keys = ("rule_no", "action", "protocol")
    rules = [
        _nacl_rule(b, body, b.address, direction == "egress", keys)
        for direction in ("ingress", "egress")
        for body in v.blocks(b.body, direction)
    ]
    return acl, rules


def network_acl_rule(b: Block) -> r.NaclRule:
    """The standalone `aws_network_acl_rule`."""
    acl = v.ref(b.body.get("network_acl_id")) or "?"
    egress = v.boolean(b.body.get("egress", False)) is True
    return _nacl_rule(b, b.body, acl, egress, ("rule_number", "rule_action", "protocol"))


def network_acl_association(b: Block) -> r.NaclAssociation:
    return r.NaclAssociation(
        b.address,
        b.address,
        b.evidence(),
        acl=v.ref(b.body.get("network_acl_id")),
        subnet=v.ref(b.body.get("subnet_id")),
    )
