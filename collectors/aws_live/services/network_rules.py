"""Live security groups and network ACLs, with one rule record per permission and entry.

A security group permission becomes what a Terraform inline ingress/egress block
becomes: one SecurityGroupRule with all its CIDRs and peer groups. A network ACL keeps
every entry AWS returns, the 32767 catch-all deny included: the shared evaluation
(collectors/aws/nacl.py) walks entries by number and reaches the same verdict with it
as with its own implicit final deny.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws_live.api import Where
from collectors.aws_live.services.network_values import (
    dicts,
    ec2_arn,
    flag,
    number,
    ports,
    protocol,
    text,
    texts,
)


def security_group(
    g: Mapping[str, Any], where: Where
) -> list[r.SecurityGroup | r.SecurityGroupRule]:
    ident = text(g.get("GroupId"))
    if ident is None:
        return []
    arn = text(g.get("SecurityGroupArn")) or ec2_arn(where, "security-group", ident)
    group = r.SecurityGroup(
        ident, arn, where.evidence(arn), vpc=text(g.get("VpcId")), name=text(g.get("GroupName"))
    )
    rules = [
        _permission(p, ident, direction, arn, where)
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress"))
        for p in dicts(g.get(key))
    ]
    return [group, *rules]


def _permission(
    p: Mapping[str, Any], group: str, direction: str, arn: str, where: Where
) -> r.SecurityGroupRule:
    """One permission. A pair naming the group itself is `self_ref` (Terraform's
    `self = true`); a pair without a group id, or any prefix list, leaves peers unread."""
    cidrs = texts(p.get("IpRanges"), "CidrIp") + texts(p.get("Ipv6Ranges"), "CidrIpv6")
    pairs = dicts(p.get("UserIdGroupPairs"))
    peers = texts(pairs, "GroupId")
    proto = protocol(p.get("IpProtocol"))
    unresolved = (
        proto == "?"
        or bool(dicts(p.get("PrefixListIds")))
        or any(text(x.get("GroupId")) is None for x in pairs)
    )
    low, high = ports(proto, p.get("FromPort"), p.get("ToPort"))
    groups = tuple(x for x in peers if x != group)
    span = "all" if proto == "-1" else f"{low}-{high}"
    detail = f"{direction} {proto}/{span} from {', '.join(cidrs + peers) or '?'}"
    return r.SecurityGroupRule(
        group=group,
        direction=direction,
        protocol=proto,
        from_port=low,
        to_port=high,
        cidrs=cidrs,
        groups=groups,
        self_ref=group in peers,
        unresolved=unresolved,
        address=arn,
        evidence=where.evidence(arn, detail=detail),
    )


def network_acl(a: Mapping[str, Any], where: Where) -> list[r.NetworkAcl | r.NaclRule]:
    """An ACL with the subnets associated with it (every subnet has exactly one ACL, the
    default one unless replaced, so no separate association records are needed)."""
    ident = text(a.get("NetworkAclId"))
    if ident is None:
        return []
    arn = ec2_arn(where, "network-acl", ident)
    acl = r.NetworkAcl(
        ident,
        arn,
        where.evidence(arn),
        vpc=text(a.get("VpcId")),
        subnets=texts(a.get("Associations"), "SubnetId"),
        default=a.get("IsDefault") is True,
    )
    return [acl, *(_entry(e, ident, arn, where) for e in dicts(a.get("Entries")))]


def _entry(e: Mapping[str, Any], acl: str, arn: str, where: Where) -> r.NaclRule:
    action = text(e.get("RuleAction"))
    cidr = text(e.get("CidrBlock")) or text(e.get("Ipv6CidrBlock"))
    proto = protocol(e.get("Protocol"))
    span = e.get("PortRange")
    span = span if isinstance(span, Mapping) else {}
    low, high = ports(proto, span.get("From"), span.get("To"))
    egress = flag(e.get("Egress")) is True
    rule_no = number(e.get("RuleNumber"))
    detail = (
        f"rule {'?' if rule_no is None else rule_no} {'egress' if egress else 'ingress'} "
        f"{action or '?'} {proto} from {cidr or '?'}"
    )
    return r.NaclRule(
        acl=acl,
        number=rule_no,
        egress=egress,
        allow=None if action is None else action.lower() == "allow",
        protocol=proto,
        cidr=cidr,
        from_port=low,
        to_port=high,
        evidence=where.evidence(arn, detail=detail),
    )
