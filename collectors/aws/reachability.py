"""`reachable` flows inside a VPC: whom each target's security groups admit, and on what port."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from collectors.aws import records as r
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
            nets = [_network(subnets[s].cidr) for s in m.subnets if s in subnets]
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
                single = rule.from_port if rule.from_port == rule.to_port else None
                ports = (single,)
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


def _rule_protocol(rule: r.SecurityGroupRule) -> str:
    return "tcp" if rule.protocol in ("-1", "?") else rule.protocol
