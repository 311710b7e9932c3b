"""VPC network facts from AWS records: subnet tiers from routes, what security groups admit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collectors.aws import records as r
from scanner.model import Evidence

WORLD = ("0.0.0.0/0", "::/0")
_DEFAULT_ROUTES = WORLD


@dataclass(frozen=True)
class SubnetTier:
    tier: str | None  # public | private | isolated, or None when routes are not known
    evidence: tuple[Evidence, ...]


def subnet_tiers(inv: r.Inventory) -> dict[str, SubnetTier]:
    """Classify every subnet by its effective route table.

    A subnet is public when its table (explicitly associated, else the VPC's main table)
    routes to an internet gateway (any destination: those addresses can then reach
    public IPs in it); private when its default route
    goes elsewhere (NAT, transit gateway); isolated when it has no default route. Where
    the table cannot be determined the tier is unknown (None), not private.
    """
    tables = {t.ref: t for t in inv.route_tables}
    main_by_vpc = {t.vpc: t for t in inv.route_tables if t.main and t.vpc}
    assoc = {a.subnet: a for a in inv.route_table_associations if a.subnet}
    # An association whose subnet cannot be read might be any unassociated subnet's.
    floating = [a for a in inv.route_table_associations if not a.subnet]
    out: dict[str, SubnetTier] = {}
    for s in inv.subnets:
        a = assoc.get(s.ref)
        table = tables.get(a.route_table) if a and a.route_table else None
        if a is not None and table is None:
            out[s.ref] = SubnetTier(None, (a.evidence,))
            continue
        if a is None and floating:
            out[s.ref] = SubnetTier(None, (floating[0].evidence,))
            continue
        if table is None:
            table = main_by_vpc.get(s.vpc) if s.vpc else None
        if table is None:
            out[s.ref] = SubnetTier(None, ())
            continue
        via = (a.evidence,) if a is not None else ()
        out[s.ref] = _classify(table, via)
    return out


def _classify(table: r.RouteTable, via: tuple[Evidence, ...]) -> SubnetTier:
    igw = [rt for rt in table.routes if rt.target_kind == "igw"]
    if igw:
        return SubnetTier("public", (*via, igw[0].evidence))
    defaults = [rt for rt in table.routes if rt.destination in _DEFAULT_ROUTES]
    if any(rt.target_kind == "unknown" for rt in table.routes):
        return SubnetTier(None, (*via, table.evidence))
    if any(rt.destination is None for rt in table.routes):
        return SubnetTier(None, (*via, table.evidence))
    if defaults:
        return SubnetTier("private", (*via, defaults[0].evidence))
    return SubnetTier("isolated", (*via, table.evidence))


def element_tier(subnets: Iterable[str], tiers: dict[str, SubnetTier]) -> SubnetTier:
    """The tier of something placed in several subnets: the least trusted, if all known."""
    found = [tiers.get(s, SubnetTier(None, ())) for s in subnets]
    public = [t for t in found if t.tier == "public"]
    if public:
        return public[0]  # in at least one public subnet: unknowns cannot make it safer
    if not found or any(t.tier is None for t in found):
        return SubnetTier(None, ())
    for tier in ("private", "isolated"):
        for t in found:
            if t.tier == tier:
                return t
    return SubnetTier(None, ())


@dataclass(frozen=True)
class Admission:
    """Whether some peer may connect on a port, and the rules that decide it."""

    allowed: bool | None
    rules: tuple[r.SecurityGroupRule, ...]


class SecurityGroups:
    """Ingress rules by group, and the questions flows ask of them."""

    def __init__(self, inv: r.Inventory) -> None:
        self._ingress: dict[str, list[r.SecurityGroupRule]] = defaultdict(list)
        for rule in inv.security_group_rules:
            if rule.direction == "ingress":
                self._ingress[rule.group].append(rule)
        self._known = {g.ref for g in inv.security_groups}

    def ingress(self, groups: Iterable[str]) -> list[r.SecurityGroupRule]:
        return [rule for g in groups for rule in self._ingress.get(g, ())]

    def admits_world(
        self, groups: tuple[str, ...], port: int | None, protocol: str = "tcp"
    ) -> Admission:
        """Do the groups admit the whole internet on `protocol`/`port`?"""
        return self._admits(
            groups, port, protocol, lambda rule: any(c in WORLD for c in rule.cidrs)
        )

    def world_ports(self, groups: tuple[str, ...]) -> list[r.SecurityGroupRule]:
        """Ingress rules that admit the whole internet."""
        return [rule for rule in self.ingress(groups) if any(c in WORLD for c in rule.cidrs)]

    def _admits(
        self,
        groups: tuple[str, ...],
        port: int | None,
        protocol: str,
        match: Callable[[r.SecurityGroupRule], bool],
    ) -> Admission:
        if not groups or any(g not in self._known for g in groups):
            return Admission(None, ())  # groups outside the files: cannot tell
        hits: list[r.SecurityGroupRule] = []
        unknown = False
        for rule in self.ingress(groups):
            if rule.protocol not in (protocol, "-1", "?"):
                continue  # another transport (udp, icmp): admits nothing on this one
            if not match(rule):
                # A rule with peers we could not read may still admit, on its own ports.
                if rule.unresolved and rule.allows_port(port) is not False:
                    unknown = True
                continue
            allows = rule.allows_port(port) if rule.protocol != "?" else None
            if allows:
                hits.append(rule)
            elif allows is None:
                unknown = True
        if hits:
            return Admission(True, tuple(hits))
        return Admission(None if unknown else False, ())
