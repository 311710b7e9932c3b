"""Classic load balancers, their listeners and registered instances."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.network import SubnetTier
from collectors.aws.services.compute.records import AutoScalingAttachment, AutoScalingGroup
from collectors.aws.services.edge.listeners import called_flow, listener_part
from collectors.aws.services.edge.records import (
    ClassicAttachment,
    ClassicListener,
    ClassicLoadBalancer,
)
from scanner.model import INTERNET_ID, Element, Evidence, Flow, facts


def map_classic_elbs(ctx: Context) -> list[Flow]:
    elbs = ctx.inv.of(ClassicLoadBalancer)
    by_name = {lb.name: lb.ref for lb in elbs} | {lb.ref: lb.ref for lb in elbs}
    attached: dict[str, list[tuple[str, Evidence]]] = {}
    for att in ctx.inv.of(ClassicAttachment):
        lb_ref = by_name.get(att.load_balancer or "")
        if lb_ref and att.instance:
            attached.setdefault(lb_ref, []).append((att.instance, att.evidence))
    # Auto Scaling groups register their instances with classic ELBs by name.
    for group in ctx.inv.of(AutoScalingGroup):
        for elb in group.classic_elbs:
            if lb_ref := by_name.get(elb):
                attached.setdefault(lb_ref, []).append((group.ref, group.evidence))
    groups = {g.ref: g for g in ctx.inv.of(AutoScalingGroup)} | {
        g.name: g for g in ctx.inv.of(AutoScalingGroup) if g.name
    }
    for asg_att in ctx.inv.of(AutoScalingAttachment):
        lb_ref = by_name.get(asg_att.classic_elb or "")
        group_rec = groups.get(asg_att.group or "")
        if lb_ref and group_rec is not None:
            attached.setdefault(lb_ref, []).append((group_rec.ref, asg_att.evidence))
    out: dict[str, Flow] = {}
    for lb in elbs:
        zone, tier = ctx.zone(lb.subnets)
        listeners = sorted(lb.listeners, key=lambda x: (x.lb_port or 0, x.lb_protocol or ""))
        parts = tuple(
            # Classic ELBs cannot redirect.
            listener_part(
                lb.address, ls.lb_protocol, ls.lb_port, ls.evidence, redirects_to_https=False
            )
            for ls in listeners
        )
        el = ctx.add(
            lb,
            "load-balancer",
            "process",
            zone,
            # WAF cannot be associated with a classic load balancer.
            props=facts(internal=lb.internal, access_logging=lb.access_logging, waf=False),
            parts=parts,
            evidence=(lb.evidence,),
        )
        ports = tuple(sorted({ls.lb_port for ls in listeners if ls.lb_port is not None}))
        ctx.guard(el, lb.security_groups, "tcp", ports, cidr_peers=False)
        ctx.member(el, lb.security_groups, lb.subnets)
        targets = [(i, lb.evidence) for i in lb.instances] + attached.get(lb.ref, [])
        for ls in listeners:
            for flow in _listener_flows(ctx, el, lb, tier, ls, targets):
                out.setdefault(flow.id, flow)
    return list(out.values())


def _listener_flows(
    ctx: Context,
    el: Element,
    lb: ClassicLoadBalancer,
    tier: SubnetTier,
    ls: ClassicListener,
    targets: list[tuple[str, Evidence]],
) -> list[Flow]:
    """The internet flow to one listener (as core `internet_listener_flow`), and its targets."""
    flows = []
    front = f"{ls.lb_protocol}:{ls.lb_port}"
    if lb.internal is False and tier.tier == "public" and lb.security_groups:
        admit = ctx.sgs.admits_world(lb.security_groups, ls.lb_port)
        if admit.allowed is True and ctx.nacls.admits_world(lb.subnets, ls.lb_port) is True:
            why = f"listener {front} on internet-facing {lb.address}"
            sg_ev = (x.evidence for x in admit.rules if x.evidence)
            ev = (ls.evidence, lb.evidence, *tier.evidence, *sg_ev)
            flows.append(called_flow(INTERNET_ID, el.id, ls.lb_protocol, ls.lb_port, why, *ev))
    for ref, via in targets:
        if (target := ctx.element(ref)) is not None:
            why = f"{lb.address} forwards {front} to {target.resource}"
            port = ls.instance_port
            flows.append(
                called_flow(el.id, target.id, ls.instance_protocol, port, why, ls.evidence, via)
            )
    return flows
