"""AWS records to DFD: elements, trust boundaries and flows (shared by every AWS source)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors.aws import records as r
from collectors.aws.exposure import api_elements
from collectors.aws.flows import (
    DB_PROTOCOL,
    integration_flows,
    lb_target_flows,
    reference_flows,
)
from collectors.aws.nacl import NetworkAcls
from collectors.aws.network import SecurityGroups, SubnetTier, element_tier, subnet_tiers
from collectors.aws.reachability import Member, Service, rule_port, vpc_flows
from collectors.aws.s3 import bucket_elements
from collectors.aws.services import FAMILIES
from scanner.catalogue import technology
from scanner.errors import CollectorError
from scanner.model import (
    INTERNET_BOUNDARY,
    INTERNET_ID,
    Diagnostic,
    Element,
    Evidence,
    Fact,
    Flow,
    Fragment,
    Part,
    TrustBoundary,
    facts,
)

log = logging.getLogger(__name__)
_TRUST = {"public": 2, "private": 3, "isolated": 4}


class _Builder:
    def __init__(self, inv: r.Inventory, prefix: str, scope_name: str) -> None:
        self.inv = inv
        self.prefix = prefix
        self.sgs = SecurityGroups(inv)
        self.nacls = NetworkAcls(inv)
        self.tiers = subnet_tiers(inv)
        self.subnets = {s.ref: s for s in inv.subnets}
        self.elements: dict[str, Element] = {}  # record ref -> element
        self.flows: list[Flow] = []
        self.members: list[Member] = []  # from families: who opens connections
        self.services: list[Service] = []  # from families: what security groups guard
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

    def build(self) -> Fragment:
        self.load_balancers()
        for inst in self.inv.instances:
            self.instance(inst)
        for fn in self.inv.functions:
            zone = self.zone(fn.subnets)[0] if fn.in_vpc else self.account
            self.add(fn, "function", "process", zone, evidence=(fn.evidence,))
        self.databases()
        for built in (bucket_elements, api_elements):
            for ref, el, flows in built(self.inv, self.eid, self.account):
                self.elements[ref] = el
                self.flows.extend(flows)
        diagnostics: list[Diagnostic] = []
        for family in FAMILIES:
            try:
                self.flows.extend(family.elements(self))
            except Exception as err:  # one family's bug must not lose the whole scope
                name = family.__name__.rsplit(".", 1)[-1]
                log.debug("family %s failed", name, exc_info=True)
                diagnostics.append(
                    Diagnostic(
                        "error",
                        self.inv.scope,
                        f"AWS {name} resources could not be mapped ({type(err).__name__})",
                    )
                )
        for derive in (integration_flows, lb_target_flows, reference_flows):
            self.flows.extend(derive(self.inv, self.elements))
        self.flows.extend(
            vpc_flows(self.inv, self.elements, self.sgs, self.flows, self.members, self.services)
        )
        used: set[str] = set()
        for e in self.elements.values():
            at: str | None = e.boundary
            while at is not None and at in self.boundaries and at not in used:
                used.add(at)
                at = self.boundaries[at].parent
        return Fragment(
            elements=tuple(self.elements.values()),
            flows=tuple(self.flows),
            # A scope with nothing in it (a root of module calls only) adds no zone.
            boundaries=tuple(b for b in self.boundaries.values() if b.id in used),
            diagnostics=tuple(diagnostics),
        )

    def load_balancers(self) -> None:
        listeners: dict[str, list[r.Listener]] = defaultdict(list)
        for ls in self.inv.listeners:
            if ls.load_balancer:
                listeners[ls.load_balancer].append(ls)
        rules: dict[str, list[r.ListenerRule]] = defaultdict(list)
        for rule in self.inv.listener_rules:
            if rule.listener:
                rules[rule.listener].append(rule)
        for lb in self.inv.load_balancers:
            zone, tier = self.zone(lb.subnets)
            own = sorted(
                (_with_default_protocol(ls, lb) for ls in listeners[lb.ref]),
                key=lambda x: (x.port or 0, x.ref),
            )
            parts = tuple(_listener_part(ls, rules.get(ls.ref, [])) for ls in own)
            type_ = "network-load-balancer" if lb.lb_type == "network" else "load-balancer"
            el = self.add(
                lb,
                type_,
                "process",
                zone,
                props=facts(
                    internal=lb.internal, waf=True if lb.ref in self.inv.waf_protected else None
                ),
                parts=parts,
                evidence=(lb.evidence,),
            )
            for ls in own:
                self.internet_listener_flow(el, lb, tier, ls)

    def internet_listener_flow(
        self, el: Element, lb: r.LoadBalancer, tier: SubnetTier, ls: r.Listener
    ) -> None:
        if lb.internal is not False or tier.tier != "public":
            return  # internal, or not provably in public subnets
        if self.nacls.admits_world(lb.subnets, ls.port) is not True:
            return  # the subnets' network ACLs keep the internet out (or may)
        if lb.security_groups:
            admit = self.sgs.admits_world(lb.security_groups, ls.port)
            if admit.allowed is not True:
                return
            sg_ev = tuple(x.evidence for x in admit.rules if x.evidence)
        elif lb.lb_type == "network":
            sg_ev = ()  # an NLB without security groups admits every client
        else:
            return  # ALB on the VPC default group: admits only itself
        protocol = (ls.protocol or "?").lower()
        tls = ls.protocol in ("HTTPS", "TLS") if ls.protocol else None
        self.flows.append(
            Flow(
                INTERNET_ID,
                el.id,
                protocol,
                ls.port,
                basis="called",
                derivation=f"declared: listener {ls.address} on internet-facing {lb.address}",
                tls=tls,
                evidence=(ls.evidence, lb.evidence, *tier.evidence, *sg_ev),
            )
        )

    def instance(self, inst: r.Instance) -> None:
        zone, tier = self.zone((inst.subnet,) if inst.subnet else ())
        public_ip = inst.public_ip
        if public_ip is None and inst.subnet in self.subnets:
            public_ip = self.subnets[inst.subnet].public_ip_on_launch
        el = self.add(
            inst,
            "vm",
            "process",
            zone,
            props=facts(public_ip=public_ip),
            evidence=(inst.evidence,),
        )
        if public_ip is True and tier.tier == "public":
            for rule in self.sgs.world_ports(inst.security_groups):
                port = rule_port(rule)
                subnet = (inst.subnet,) if inst.subnet else ()
                if self.nacls.admits_world(subnet, port, _transport(rule.protocol)) is not True:
                    continue
                self.flows.append(
                    Flow(
                        INTERNET_ID,
                        el.id,
                        "tcp" if rule.protocol == "-1" else rule.protocol,
                        port,
                        basis="reachable",
                        derivation=f"inferred: {rule.address} admits the internet",
                        evidence=(*((rule.evidence,) if rule.evidence else ()), *tier.evidence),
                    )
                )

    def databases(self) -> None:
        groups = {g.ref: g for g in self.inv.db_subnet_groups}
        for db in self.inv.db_instances:
            group = groups.get(db.subnet_group or "") or next(
                (g for g in self.inv.db_subnet_groups if g.name and g.name == db.subnet_group),
                None,
            )
            zone, tier = self.zone(group.subnets if group else ())
            el = self.add(
                db,
                "relational-db",
                "datastore",
                zone,
                props=facts(
                    engine=db.engine,
                    port=db.port,
                    publicly_accessible=db.publicly_accessible,
                    encryption_at_rest=db.storage_encrypted,
                ),
                evidence=(db.evidence,),
            )
            if db.publicly_accessible is not True or tier.tier != "public":
                continue
            admit = self.sgs.admits_world(db.security_groups, db.port)
            if admit.allowed is not True:
                continue
            if self.nacls.admits_world(group.subnets if group else (), db.port) is not True:
                continue
            self.flows.append(
                Flow(
                    INTERNET_ID,
                    el.id,
                    DB_PROTOCOL.get((db.engine or "").lower(), "tcp"),
                    db.port,
                    basis="reachable",
                    derivation=(
                        f"inferred: {db.address} is publicly accessible in a public subnet "
                        f"and {admit.rules[0].address} admits the internet"
                    ),
                    evidence=(
                        db.evidence,
                        *tier.evidence,
                        *(x.evidence for x in admit.rules if x.evidence),
                    ),
                )
            )

    # --- flows between elements ------------------------------------------------------


def _transport(protocol: str) -> str:
    return "tcp" if protocol in ("-1", "?") else protocol


def _with_default_protocol(ls: r.Listener, lb: r.LoadBalancer) -> r.Listener:
    """A listener that states no protocol gets its load balancer type's default."""
    if ls.protocol != "":
        return ls
    default = {"application": "HTTP", "network": "TCP"}.get(lb.lb_type or "")
    return replace(ls, protocol=default)


def _display_name(rec: r.Record) -> str:
    """The name people use for it (identifier, name tag), else its address."""
    for attr in ("identifier", "name"):
        value = getattr(rec, attr, None)
        if isinstance(value, str) and value:
            return value
    return rec.address


def _listener_part(ls: r.Listener, rules: list[r.ListenerRule]) -> Part:
    """A listener as a part of its load balancer.

    It redirects to HTTPS only when its default action and every listener rule do: a
    rule that forwards some paths serves them in plaintext.
    """
    actions = ls.actions + tuple(a for rule in rules for a in rule.actions)
    redirects: bool | None = bool(ls.actions) and all(
        a.type == "redirect" and a.redirect_protocol == "HTTPS" for a in actions
    )
    if not redirects and any(
        a.type == "?" or (a.type == "redirect" and a.redirect_protocol == "?") for a in actions
    ):
        redirects = None  # an action whose type or target protocol is not known
    protocol = ls.protocol
    return Part(
        kind="listener",
        name=f"{protocol or '?'}:{ls.port if ls.port is not None else '?'}",
        resource=ls.address,
        props=facts(
            protocol=protocol,
            port=ls.port,
            tls=protocol in ("HTTPS", "TLS") if protocol else None,
            redirects_to_https=redirects if ls.actions else None,
            ssl_policy=ls.ssl_policy,
        ),
        evidence=(ls.evidence,),
    )


def to_fragment(inv: r.Inventory, prefix: str, scope_name: str) -> Fragment:
    """Map one scope's records to a Fragment. Pure: records in, model objects out."""
    return _Builder(inv, prefix, scope_name).build()
