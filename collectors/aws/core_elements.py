"""Elements of load balancers, EC2 instances and RDS instances, and their internet flows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from collectors.aws import records as r
from collectors.aws.flows import DB_PROTOCOL
from collectors.aws.mapping_context import MappingContext
from collectors.aws.network import SubnetTier
from collectors.aws.reachability import rule_port
from scanner.model import INTERNET_ID, Element, Flow, Part, facts


def load_balancer_elements(ctx: MappingContext) -> list[Flow]:
    """Load balancers with their listeners as parts; flows from the internet to them."""
    flows: list[Flow] = []
    listeners: dict[str, list[r.Listener]] = defaultdict(list)
    for ls in ctx.inv.listeners:
        if ls.load_balancer:
            listeners[ls.load_balancer].append(ls)
    rules: dict[str, list[r.ListenerRule]] = defaultdict(list)
    for rule in ctx.inv.listener_rules:
        if rule.listener:
            rules[rule.listener].append(rule)
    for lb in ctx.inv.load_balancers:
        zone, tier = ctx.zone(lb.subnets)
        own = sorted(
            (_with_default_protocol(ls, lb) for ls in listeners[lb.ref]),
            key=lambda x: (x.port or 0, x.ref),
        )
        parts = tuple(_listener_part(ls, rules.get(ls.ref, [])) for ls in own)
        type_ = "network-load-balancer" if lb.lb_type == "network" else "load-balancer"
        el = ctx.add(
            lb,
            type_,
            "process",
            zone,
            props=facts(
                internal=lb.internal,
                waf=True if lb.ref in ctx.inv.waf_protected else None,
                access_logging=lb.access_logging,
            ),
            parts=parts,
            evidence=(lb.evidence,),
        )
        for ls in own:
            flows.extend(_internet_listener_flow(ctx, el, lb, tier, ls))
    return flows


def _internet_listener_flow(
    ctx: MappingContext, el: Element, lb: r.LoadBalancer, tier: SubnetTier, ls: r.Listener
) -> list[Flow]:
    if lb.internal is not False or tier.tier != "public":
        return []  # internal, or not provably in public subnets
    if ctx.nacls.admits_world(lb.subnets, ls.port) is not True:
        return []  # the subnets' network ACLs keep the internet out (or may)
    if lb.security_groups:
        admit = ctx.sgs.admits_world(lb.security_groups, ls.port)
        if admit.allowed is not True:
            return []
        sg_ev = tuple(x.evidence for x in admit.rules if x.evidence)
    elif lb.lb_type == "network":
        sg_ev = ()  # an NLB without security groups admits every client
    else:
        return []  # ALB on the VPC default group: admits only itself
    protocol = (ls.protocol or "?").lower()
    tls = ls.protocol in ("HTTPS", "TLS") if ls.protocol else None
    return [
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
    ]


def instance_elements(ctx: MappingContext) -> list[Flow]:
    """EC2 instances; flows from the internet to those with a public IP in a public subnet."""
    flows: list[Flow] = []
    for inst in ctx.inv.instances:
        zone, tier = ctx.zone((inst.subnet,) if inst.subnet else ())
        public_ip = inst.public_ip
        if public_ip is None and inst.subnet in ctx.subnets:
            public_ip = ctx.subnets[inst.subnet].public_ip_on_launch
        el = ctx.add(
            inst,
            "vm",
            "process",
            zone,
            props=facts(
                public_ip=public_ip,
                imds_v2_required=(inst.http_tokens == "required") if inst.http_tokens else None,
                name_tag=inst.name_tag,
            ),
            evidence=(inst.evidence,),
        )
        if public_ip is not True or tier.tier != "public":
            continue
        for rule in ctx.sgs.world_ports(inst.security_groups):
            port = rule_port(rule)
            subnet = (inst.subnet,) if inst.subnet else ()
            if ctx.nacls.admits_world(subnet, port, _transport(rule.protocol)) is not True:
                continue
            flows.append(
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
    return flows


def database_elements(ctx: MappingContext) -> list[Flow]:
    """RDS instances; flows from the internet to publicly accessible ones it can reach."""
    flows: list[Flow] = []
    groups = {g.ref: g for g in ctx.inv.db_subnet_groups}
    for db in ctx.inv.db_instances:
        group = groups.get(db.subnet_group or "") or next(
            (g for g in ctx.inv.db_subnet_groups if g.name and g.name == db.subnet_group),
            None,
        )
        zone, tier = ctx.zone(group.subnets if group else ())
        el = ctx.add(
            db,
            "relational-db",
            "datastore",
            zone,
            props=facts(
                engine=db.engine,
                port=db.port,
                publicly_accessible=db.publicly_accessible,
                encryption_at_rest=db.storage_encrypted,
                iam_database_authentication=db.iam_auth,
            ),
            evidence=(db.evidence,),
        )
        if db.publicly_accessible is not True or tier.tier != "public":
            continue
        admit = ctx.sgs.admits_world(db.security_groups, db.port)
        if admit.allowed is not True:
            continue
        if ctx.nacls.admits_world(group.subnets if group else (), db.port) is not True:
            continue
        flows.append(
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
    return flows


def _transport(protocol: str) -> str:
    return "tcp" if protocol in ("-1", "?") else protocol


def _with_default_protocol(ls: r.Listener, lb: r.LoadBalancer) -> r.Listener:
    """A listener that states no protocol gets its load balancer type's default."""
    if ls.protocol != "":
        return ls
    default = {"application": "HTTP", "network": "TCP"}.get(lb.lb_type or "")
    return replace(ls, protocol=default)


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
