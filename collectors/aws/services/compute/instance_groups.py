"""Groups of like EC2 instances: Auto Scaling groups, and the vm element node groups share."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.reachability import rule_port
from collectors.aws.services.compute import shared_flows
from collectors.aws.services.compute.records import (
    AutoScalingAttachment,
    AutoScalingGroup,
    LaunchTemplate,
    find,
)
from scanner.model import Element, Evidence, Flow, facts


def map_auto_scaling(ctx: Context, forwards: shared_flows.Forwards) -> list[Flow]:
    groups = ctx.inv.of(AutoScalingGroup)
    attached: dict[str, list[tuple[str, int | None, Evidence]]] = defaultdict(list)
    for att in ctx.inv.of(AutoScalingAttachment):
        if (asg := find(groups, att.group)) is not None and att.target_group:
            attached[asg.ref].append((att.target_group, None, att.evidence))
    out: list[Flow] = []
    for asg in groups:
        lt = find(ctx.inv.of(LaunchTemplate), asg.launch_template)
        sizes = (asg.min_size, asg.max_size, asg.desired)
        el, flows, _ = instances(ctx, asg, asg.subnets, lt, sizes)
        tgs = [(tg, None, asg.evidence) for tg in asg.target_groups] + attached[asg.ref]
        out += flows + shared_flows.lb_flows(ctx, forwards, el, tgs)
    return out


def instances(
    ctx: Context,
    rec: r.Record,
    subnets: tuple[str, ...],
    lt: LaunchTemplate | None,
    sizes: tuple[int | None, int | None, int | None],
    **props: bool | None,
) -> tuple[Element, list[Flow], tuple[Evidence, ...] | None]:
    """A group of like instances as one vm element, with its internet and user-data flows.

    Like a single instance: reachable from the internet on the ports its security
    groups open to the world when it gets a public IP in a public subnet (whose route
    evidence is returned; None when no instance provably does).
    """
    by_ref = {s.ref: s for s in ctx.inv.subnets}
    stated = lt.public_ip if lt else None
    ips: list[bool | None] = []
    route: tuple[Evidence, ...] | None = None  # a public subnet where they get public IPs
    for s in subnets:
        default = by_ref[s].public_ip_on_launch if s in by_ref else None
        ips.append(stated if stated is not None else default)
        tier = ctx.zone((s,))[1]
        if ips[-1] is True and tier.tier == "public" and route is None:
            route = tier.evidence
    public_ip = True if True in ips else (False if ips and None not in ips else stated)
    el = ctx.add(
        rec,
        "vm",
        "process",
        ctx.zone(subnets)[0],
        props=facts(
            public_ip=public_ip,
            instances_min=sizes[0],
            instances_max=sizes[1],
            instances_desired=sizes[2],
            imds_v2_required=(lt.http_tokens == "required") if lt and lt.http_tokens else None,
            **props,
        ),
        evidence=(rec.evidence, *((lt.evidence,) if lt else ())),
    )
    groups = lt.security_groups if lt else ()
    ctx.member(el, groups, subnets)
    ctx.guard(el, groups, "tcp", None, cidr_peers=False)
    out: list[Flow] = []
    for rule in ctx.sgs.world_ports(groups) if route is not None else ():
        protocol, port = shared_flows.rule_protocol(rule), rule_port(rule)
        if ctx.nacls.admits_world(subnets, port, protocol) is not True:
            continue  # the subnets' network ACLs keep the internet out (or may)
        why = f"inferred: {rule.address} admits the internet"
        ev = (*((rule.evidence,) if rule.evidence else ()), *(route or ()))
        out.append(
            shared_flows.internet(
                el, shared_flows.rule_protocol(rule), rule_port(rule), "reachable", why, ev
            )
        )
    if lt is not None:
        why = f"user data of {lt.address}"
        out += shared_flows.reference_flows(ctx, el, [(t, why, lt.evidence) for t in lt.calls])
    return el, out, route
