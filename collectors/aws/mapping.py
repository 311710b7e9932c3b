"""AWS records to DFD: elements, trust boundaries and flows (shared by every AWS source)."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws import records as r
from collectors.aws.exposure import api_elements, bucket_elements
from collectors.aws.network import SecurityGroups, SubnetTier, element_tier, subnet_tiers
from collectors.aws.reachability import Member, Service, security_group_flows
from scanner.catalogue import technology
from scanner.model import (
    INTERNET_BOUNDARY,
    INTERNET_ID,
    Element,
    Flow,
    Fragment,
    Part,
    TrustBoundary,
    facts,
)

_TRUST = {"public": 2, "private": 3, "isolated": 4}
_DB_PROTOCOL = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}


class _Builder:
    def __init__(self, inv: r.Inventory, prefix: str, scope_name: str) -> None:
        self.inv = inv
        self.prefix = prefix
        self.sgs = SecurityGroups(inv)
        self.tiers = subnet_tiers(inv)
        self.subnets = {s.ref: s for s in inv.subnets}
        self.elements: dict[str, Element] = {}  # record ref -> element
        self.flows: list[Flow] = []
        self.account = f"{prefix}account"
        self.boundaries: dict[str, TrustBoundary] = {
            self.account: TrustBoundary(self.account, "account", scope_name, INTERNET_BOUNDARY, 1)
        }

    def eid(self, ref: str) -> str:
        return f"{self.prefix}{ref}"

    # --- boundaries ------------------------------------------------------------------

    def zone(self, subnets: tuple[str, ...]) -> tuple[str, SubnetTier]:
        """The boundary for something placed in `subnets` (tier zone, VPC or account)."""
        vpcs = {self.subnets[s].vpc for s in subnets if s in self.subnets}
        if len(vpcs) != 1 or None in vpcs:
            return self.account, SubnetTier(None, ())
        vpc = next(iter(vpcs))
        assert vpc is not None
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

    def add(self, rec: r.Record, type_: str, kind: str, zone: str, **kw: object) -> Element:
        tech = technology(type_)
        assert tech.kind == kind
        el = Element(
            id=self.eid(rec.ref),
            kind=tech.kind,
            type=type_,
            name=rec.ref.split(".", 1)[-1],
            resource=rec.address,
            boundary=zone,
            key=rec.key,
            **kw,  # type: ignore[arg-type]
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
        self.integration_flows()
        self.lb_target_flows()
        self.reference_flows()
        self.security_group_flows()
        return Fragment(
            elements=tuple(self.elements.values()),
            flows=tuple(self.flows),
            boundaries=tuple(self.boundaries.values()),
        )

    def load_balancers(self) -> None:
        listeners: dict[str, list[r.Listener]] = defaultdict(list)
        for ls in self.inv.listeners:
            if ls.load_balancer:
                listeners[ls.load_balancer].append(ls)
        for lb in self.inv.load_balancers:
            zone, tier = self.zone(lb.subnets)
            own = sorted(listeners[lb.ref], key=lambda x: (x.port or 0, x.ref))
            parts = tuple(_listener_part(ls) for ls in own)
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
                port = rule.from_port if rule.from_port == rule.to_port else None
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
                    storage_encrypted=db.storage_encrypted,
                ),
                evidence=(db.evidence,),
            )
            if db.publicly_accessible is not True or tier.tier != "public":
                continue
            admit = self.sgs.admits_world(db.security_groups, db.port)
            if admit.allowed is not True:
                continue
            self.flows.append(
                Flow(
                    INTERNET_ID,
                    el.id,
                    _DB_PROTOCOL.get((db.engine or "").lower(), "tcp"),
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

    def integration_flows(self) -> None:
        for integ in self.inv.api_integrations:
            api = self.elements.get(integ.api or "")
            target = self.elements.get(integ.target or "")
            if api is None or target is None:
                continue
            self.flows.append(
                Flow(
                    api.id,
                    target.id,
                    "https",
                    443,
                    basis="called",
                    derivation=f"declared: integration {integ.address}",
                    tls=True,
                    evidence=(integ.evidence,),
                )
            )

    def lb_target_flows(self) -> None:
        groups = {tg.ref: tg for tg in self.inv.target_groups}
        attachments: dict[str, list[r.TargetAttachment]] = defaultdict(list)
        for att in self.inv.target_attachments:
            if att.target_group:
                attachments[att.target_group].append(att)
        routes: list[tuple[str | None, r.Record, tuple[r.Action, ...]]] = [
            (ls.load_balancer, ls, ls.actions) for ls in self.inv.listeners
        ]
        by_listener = {ls.ref: ls for ls in self.inv.listeners}
        for rule in self.inv.listener_rules:
            parent = by_listener.get(rule.listener or "")
            routes.append((parent.load_balancer if parent else None, rule, rule.actions))
        for lb_ref, via, actions in routes:
            lb = self.elements.get(lb_ref or "")
            if lb is None:
                continue
            for action in actions:
                for tg_ref in action.target_groups:
                    tg = groups.get(tg_ref)
                    for att in attachments.get(tg_ref, ()):
                        target = self.elements.get(att.target or "")
                        if target is None or tg is None:
                            continue
                        protocol = (tg.protocol or "tcp").lower()
                        self.flows.append(
                            Flow(
                                lb.id,
                                target.id,
                                protocol,
                                att.port or tg.port,
                                basis="called",
                                derivation=f"declared: {via.address} forwards to {tg.address}",
                                tls=protocol in ("https", "tls") if tg.protocol else None,
                                evidence=(att.evidence, tg.evidence, via.evidence),
                            )
                        )

    def reference_flows(self) -> None:
        calls: list[tuple[r.Record, str, str]] = []
        for fn in self.inv.functions:
            calls += [(fn, target, f"env {name} of {fn.address}") for name, target in fn.env_refs]
        for inst in self.inv.instances:
            calls += [(inst, target, f"user data of {inst.address}") for target in inst.calls]
        for src_rec, target_ref, why in calls:
            src = self.elements.get(src_rec.ref)
            dst = self.elements.get(target_ref)
            if src is None or dst is None or dst.kind != "datastore":
                continue
            protocol, port = _service_port(dst)
            self.flows.append(
                Flow(
                    src.id,
                    dst.id,
                    protocol,
                    port,
                    basis="called",
                    derivation=f"inferred: {why} references {dst.resource}",
                    tls=True if protocol == "https" else None,
                    evidence=(src_rec.evidence,),
                )
            )

    def security_group_flows(self) -> None:
        """`reachable` flows where a target's ingress admits a source's group or subnet."""
        members = [
            Member(self.elements[i.ref], i.security_groups, (i.subnet,) if i.subnet else ())
            for i in self.inv.instances
        ]
        members += [
            Member(self.elements[f.ref], f.security_groups, f.subnets) for f in self.inv.functions
        ]
        members += [
            Member(self.elements[lb.ref], lb.security_groups, lb.subnets)
            for lb in self.inv.load_balancers
        ]
        # Datastores: any peer their rules admit, by group or by CIDR. Instances and load
        # balancers: peers admitted by group only, so a VPC-wide CIDR rule does not turn
        # the diagram into a complete graph (that breadth is a zone fact, not n^2 flows).
        services = [
            Service(
                self.elements[db.ref],
                db.security_groups,
                _DB_PROTOCOL.get((db.engine or "").lower(), "tcp"),
                (db.port,),
                cidr_peers=True,
            )
            for db in self.inv.db_instances
            if db.port is not None
        ]
        services += [
            Service(self.elements[i.ref], i.security_groups, "tcp", None, cidr_peers=False)
            for i in self.inv.instances
        ]
        listener_ports: dict[str, list[int]] = defaultdict(list)
        for ls in self.inv.listeners:
            if ls.load_balancer and ls.port is not None:
                listener_ports[ls.load_balancer].append(ls.port)
        services += [
            Service(
                self.elements[lb.ref],
                lb.security_groups,
                "tcp",
                tuple(sorted(listener_ports[lb.ref])),
                cidr_peers=False,
            )
            for lb in self.inv.load_balancers
        ]
        already = {(f.source, f.target) for f in self.flows}
        self.flows.extend(security_group_flows(self.sgs, self.subnets, members, services, already))


def _service_port(el: Element) -> tuple[str, int | None]:
    if el.type == "object-store":
        return "https", 443
    port = el.fact("port")
    engine = str(el.fact("engine") or "").lower()
    return _DB_PROTOCOL.get(engine, "tcp"), port if isinstance(port, int) else None


def _listener_part(ls: r.Listener) -> Part:
    redirects = bool(ls.actions) and all(
        a.type == "redirect" and a.redirect_protocol == "HTTPS" for a in ls.actions
    )
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
