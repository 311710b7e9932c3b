"""`reachable` flows inside a VPC: whom each target's security groups admit, and on what port."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from collectors.aws import records as r
from collectors.aws.flows import DB_PROTOCOL
from collectors.aws.network import WORLD, SecurityGroups
from scanner.model import Element, Flow

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Member:
    """Something that opens connections from inside a VPC: its groups and subnets."""

    element: Element
    groups: tuple[str, ...]
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    """Something that accepts connections, guarded by security groups.

    `ports` are the ports it listens on; None means "whatever a rule opens" (an
    instance whose service ports are only known from its security group).
    """

    element: Element
    groups: tuple[str, ...]
    protocol: str
    ports: tuple[int, ...] | None
    cidr_peers: bool  # also consider peers admitted by CIDR (not only by group)


def _network(cidr: str | None) -> Network | None:
    if not cidr:
        return None
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _inside(inner: Network, outer: Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


class _Peers:
    """Members indexed by group, and by the networks of their subnets."""

    def __init__(self, members: Iterable[Member], subnets: dict[str, r.Subnet]) -> None:
        self.members = list(members)
        self.by_group: dict[str, list[Member]] = defaultdict(list)
        self.networks: dict[str, list[Network]] = {}
        for m in self.members:
            for g in m.groups:
                self.by_group[g].append(m)
            nets = [_network(subnets[s].cidr) if s in subnets else None for s in m.subnets]
            # Only members whose every subnet CIDR is known can match a CIDR rule.
            if nets and all(n is not None for n in nets):
                self.networks[m.element.id] = [n for n in nets if n is not None]

    def admitted(self, rule: r.SecurityGroupRule, by_cidr: bool) -> list[Member]:
        found: dict[str, Member] = {}
        for g in rule.groups:
            for m in self.by_group.get(g, ()):
                found[m.element.id] = m
        if rule.self_ref:
            for m in self.by_group.get(rule.group, ()):
                found[m.element.id] = m
        if by_cidr:
            rule_nets = [n for c in rule.cidrs if c not in WORLD if (n := _network(c))]
            for m in self.members:
                nets = self.networks.get(m.element.id)
                if nets and rule_nets and all(any(_inside(n, o) for o in rule_nets) for n in nets):
                    found[m.element.id] = m
        return [found[k] for k in sorted(found)]


def security_group_flows(
    sgs: SecurityGroups,
    subnets: dict[str, r.Subnet],
    members: Iterable[Member],
    services: Iterable[Service],
    already: set[tuple[str, str]],
) -> list[Flow]:
    """One `reachable` flow per (peer, service, port) that an ingress rule admits.

    Pairs that already have a `called` flow (`already`) get none: the called flow is
    the better description of that traffic. Linear in rules x admitted peers.
    """
    peers = _Peers(members, subnets)
    out: dict[str, Flow] = {}
    for svc in services:
        for rule in sgs.ingress(svc.groups):
            ports: tuple[int | None, ...]
            if svc.ports is None:
                ports = (rule_port(rule),)
            elif rule.protocol not in ("tcp", "-1"):
                continue  # the listed services speak TCP; a udp/icmp rule does not admit them
            else:
                ports = tuple(p for p in svc.ports if rule.allows_port(p))
            if not ports:
                continue
            protocol = svc.protocol if svc.ports is not None else _rule_protocol(rule)
            for m in peers.admitted(rule, svc.cidr_peers):
                src, dst = m.element.id, svc.element.id
                if src == dst or (src, dst) in already:
                    continue
                for port in ports:
                    flow = Flow(
                        src,
                        dst,
                        protocol,
                        port,
                        basis="reachable",
                        derivation=f"inferred: {rule.address} admits {m.element.resource}",
                        evidence=(rule.evidence,) if rule.evidence else (),
                    )
                    out.setdefault(flow.id, flow)
    return [out[k] for k in sorted(out)]


def vpc_flows(
    inv: r.Inventory,
    elements: dict[str, Element],
    sgs: SecurityGroups,
    called: Iterable[Flow],
    extra_members: Iterable[Member] = (),
    extra_services: Iterable[Service] = (),
) -> list[Flow]:
    """`reachable` flows for one scope: who each guarded service's ingress admits."""
    members = [
        Member(elements[i.ref], i.security_groups, (i.subnet,) if i.subnet else ())
        for i in inv.instances
    ]
    members += [Member(elements[f.ref], f.security_groups, f.subnets) for f in inv.functions]
    members += [
        Member(elements[lb.ref], lb.security_groups, lb.subnets) for lb in inv.load_balancers
    ]
    # Datastores: any peer their rules admit, by group or by CIDR. Instances and load
    # balancers: peers admitted by group only, so a VPC-wide CIDR rule does not turn
    # the diagram into a complete graph (that breadth is a zone fact, not n^2 flows).
    services = [
        Service(
            elements[db.ref],
            db.security_groups,
            DB_PROTOCOL.get((db.engine or "").lower(), "tcp"),
            (db.port,),
            cidr_peers=True,
        )
        for db in inv.db_instances
        if db.port is not None
    ]
    services += [
        Service(elements[i.ref], i.security_groups, "tcp", None, cidr_peers=False)
        for i in inv.instances
    ]
    listener_ports: dict[str, list[int]] = defaultdict(list)
    for ls in inv.listeners:
        if ls.load_balancer and ls.port is not None:
            listener_ports[ls.load_balancer].append(ls.port)
    services += [
        Service(
            elements[lb.ref],
            lb.security_groups,
            "tcp",
            tuple(sorted(listener_ports[lb.ref])),
            cidr_peers=False,
        )
        for lb in inv.load_balancers
    ]
    members += list(extra_members)
    services += list(extra_services)
    already = {(f.source, f.target) for f in called}
    subnets = {s.ref: s for s in inv.subnets}
    return security_group_flows(sgs, subnets, members, services, already)


def rule_port(rule: r.SecurityGroupRule) -> int | None:
    """The one port a rule opens, or None for a range or every port."""
    if rule.protocol in ("-1", "all") or rule.from_port != rule.to_port:
        return None
    return rule.from_port


def _rule_protocol(rule: r.SecurityGroupRule) -> str:
    return "tcp" if rule.protocol in ("-1", "?") else rule.protocol
