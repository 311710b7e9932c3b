"""One scope's mapping in progress: its zones, elements and guards (the families' Context)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors.aws import records as r
from collectors.aws.nacl import NetworkAcls
from collectors.aws.network import SecurityGroups, SubnetTier, element_tier, subnet_tiers
from collectors.aws.reachability import Member, Service
from scanner.catalogue import technology
from scanner.errors import CollectorError
from scanner.model import (
    INTERNET_BOUNDARY,
    Element,
    Evidence,
    Fact,
    Flow,
    Part,
    TrustBoundary,
    facts,
)

_TRUST = {"public": 2, "private": 3, "isolated": 4}


class MappingContext:
    """The elements and boundaries of one scope as they are built (see `Context`)."""

    def __init__(self, inv: r.Inventory, prefix: str, scope_name: str) -> None:
        self.inv = inv
        self.prefix = prefix
        self.sgs = SecurityGroups(inv)
        self.nacls = NetworkAcls(inv)
        self.tiers = subnet_tiers(inv)
        self.subnets = {s.ref: s for s in inv.subnets}
        self.elements: dict[str, Element] = {}  # record ref -> element
        self.members: list[Member] = []  # from families: who opens connections
        self.services: list[Service] = []  # from families: what security groups guard
        self.grants: list[Flow] = []  # from families: what workload identities may reach
        self.account = f"{prefix}account"
        self.boundaries: dict[str, TrustBoundary] = {
            self.account: TrustBoundary(self.account, "account", scope_name, INTERNET_BOUNDARY, 1)
        }

    def eid(self, ref: str) -> str:
        return f"{self.prefix}{ref}"

    # --- boundaries ------------------------------------------------------------------

    def vpc_zone(self, vpc: str) -> str:
        vpc_id = self.eid(vpc)
        if vpc_id not in self.boundaries:
            vpc_rec = next((x for x in self.inv.vpcs if x.ref == vpc), None)
            self.boundaries[vpc_id] = TrustBoundary(
                vpc_id,
                "vpc",
                vpc,
                self.account,
                2,
                props=facts(cidr=vpc_rec.cidr if vpc_rec else None),
                evidence=(vpc_rec.evidence,) if vpc_rec else (),
            )
        return vpc_id

    def zone(self, subnets: tuple[str, ...]) -> tuple[str, SubnetTier]:
        """The boundary for something placed in `subnets` (tier zone, VPC or account)."""
        vpcs = {self.subnets[s].vpc for s in subnets if s in self.subnets}
        if len(vpcs) != 1 or None in vpcs:
            return self.account, SubnetTier(None, ())
        vpc = next(iter(vpcs))
        assert vpc is not None
        vpc_id = self.vpc_zone(vpc)
        tier = element_tier(subnets, self.tiers)
        if tier.tier is None:
            return vpc_id, tier
        zone_id = f"{vpc_id}/{tier.tier}"
        members = sorted(
            s.ref for s in self.inv.subnets if s.vpc == vpc and self.tiers[s.ref].tier == tier.tier
        )
        self.boundaries[zone_id] = TrustBoundary(
            zone_id,
            "subnet",
            f"{vpc} {tier.tier} subnets",
            vpc_id,
            _TRUST[tier.tier],
            props=facts(tier=tier.tier),
            evidence=tier.evidence,
            members=tuple(members),
        )
        return zone_id, tier

    # --- elements --------------------------------------------------------------------

    def element(self, ref: str) -> Element | None:
        return self.elements.get(ref)

    def extend(
        self, ref: str, props: Mapping[str, Fact | None], parts: tuple[Part, ...] = ()
    ) -> Element:
        el = self.elements[ref]
        known = {k: v for k, v in props.items() if v is not None}
        el = replace(el, props=facts({**el.props, **known}), parts=(*el.parts, *parts))
        self.elements[ref] = el
        return el

    def note_zone(self, zone: str, facts_: Mapping[str, Fact], evidence: Evidence) -> None:
        b = self.boundaries.get(zone)
        if b is None:
            return
        self.boundaries[zone] = replace(
            b, props=facts({**b.props, **facts_}), evidence=(*b.evidence, evidence)
        )

    def guard(
        self,
        element: Element,
        groups: tuple[str, ...],
        protocol: str,
        ports: tuple[int, ...] | None,
        cidr_peers: bool,
    ) -> None:
        self.services.append(Service(element, groups, protocol, ports, cidr_peers))

    def member(self, element: Element, groups: tuple[str, ...], subnets: tuple[str, ...]) -> None:
        self.members.append(Member(element, groups, subnets))

    def add(self, rec: r.Record, type_: str, kind: str, zone: str, **kw: Any) -> Element:
        tech = technology(type_)
        if tech.kind != kind:
            raise CollectorError(f"{rec.address}: {type_} is a {tech.kind}, not a {kind}")
        if rec.conditional:
            kw["props"] = facts({**kw.get("props", {}), "existence_unknown": True})
        if rec.inputs:
            kw["evidence"] = (*kw.get("evidence", (rec.evidence,)), *rec.inputs)
        el = Element(
            id=self.eid(rec.ref),
            kind=tech.kind,
            type=type_,
            name=_display_name(rec),
            resource=rec.address,
            boundary=zone,
            key=rec.key,
            **kw,
        )
        self.elements[rec.ref] = el
        return el


def _display_name(rec: r.Record) -> str:
    """The name people use for it (identifier, name tag), else its address."""
    for attr in ("identifier", "name"):
        value = getattr(rec, attr, None)
        if isinstance(value, str) and value:
            return value
    return rec.address
