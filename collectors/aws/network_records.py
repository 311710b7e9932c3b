"""Normalised records of AWS networking: VPCs, subnets, routes, security groups, NACLs."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws.record_base import Record
from scanner.model import Evidence


@dataclass(frozen=True)
class Vpc(Record):
    cidr: str | None = None


@dataclass(frozen=True)
class Subnet(Record):
    vpc: str | None = None
    cidr: str | None = None
    public_ip_on_launch: bool | None = None


@dataclass(frozen=True)
class InternetGateway(Record):
    vpc: str | None = None


@dataclass(frozen=True)
class Route:
    destination: str | None  # IPv4 or IPv6 CIDR; None = not known
    target_kind: str  # igw | nat | instance | eni | peering | tgw | endpoint | local | other
    target: str | None
    evidence: Evidence


@dataclass(frozen=True)
class RouteTable(Record):
    vpc: str | None = None
    routes: tuple[Route, ...] = ()
    main: bool = False  # the VPC's main table (applies to unassociated subnets)


@dataclass(frozen=True)
class RouteTableAssociation(Record):
    subnet: str | None = None
    route_table: str | None = None


@dataclass(frozen=True)
class SecurityGroupRule:
    group: str
    direction: str  # ingress | egress
    protocol: str  # "tcp", "udp", "icmp", "-1" (all)
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...] = ()  # IPv4 and IPv6 CIDRs
    groups: tuple[str, ...] = ()  # peer security groups
    self_ref: bool = False
    unresolved: bool = False  # some peer (CIDR/group/prefix list) could not be read
    address: str = ""
    evidence: Evidence | None = None

    def allows_port(self, port: int | None) -> bool | None:
        """Does the rule admit `port`? None when ports are not known."""
        if self.protocol in ("-1", "all"):
            return True
        if self.from_port is None or self.to_port is None:
            return None
        if port is None:
            return None
        return self.from_port <= port <= self.to_port


@dataclass(frozen=True)
class SecurityGroup(Record):
    vpc: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class NaclRule:
    acl: str
    number: int | None
    egress: bool
    allow: bool | None  # None: the action is not known
    protocol: str  # tcp | udp | icmp | -1 | ? (unknown)
    cidr: str | None  # IPv4 or IPv6; None: not known
    from_port: int | None
    to_port: int | None
    evidence: Evidence


@dataclass(frozen=True)
class NetworkAcl(Record):
    vpc: str | None = None
    subnets: tuple[str, ...] = ()
    default: bool = False  # the VPC's default ACL (applies to unassociated subnets)


@dataclass(frozen=True)
class NaclAssociation(Record):
    acl: str | None = None
    subnet: str | None = None
