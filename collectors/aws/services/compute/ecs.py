"""ECS services, their containers and the flows to and from them."""

from __future__ import annotations

from dataclasses import replace

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.reachability import rule_port
from collectors.aws.services.compute import shared_flows
from collectors.aws.services.compute.records import (
    Container,
    EcsCluster,
    EcsService,
    EcsTaskDefinition,
    find,
)
from scanner.model import Flow, Part, facts


def map_ecs(ctx: Context, forwards: shared_flows.Forwards) -> list[Flow]:
    out: list[Flow] = []
    for svc in ctx.inv.of(EcsService):
        cluster = find(ctx.inv.of(EcsCluster), svc.cluster)
        td = find(ctx.inv.of(EcsTaskDefinition), svc.task_definition, "family")
        containers = td.containers if td else None
        ports = tuple(dict.fromkeys(p for c in containers or () for p in c.ports))
        zone, tier = ctx.zone(svc.subnets)
        key = f"ecs:service:{cluster.name}/{svc.name}" if cluster and cluster.name else None
        el = ctx.add(
            replace(svc, key=svc.key or (key if svc.name else None)),
            "container",
            "process",
            zone,
            props=facts(
                cluster=cluster.name if cluster else None,
                launch_type=svc.launch_type,
                public_ip=svc.public_ip,
                ports=",".join(str(p) for _, p in ports) if ports else None,
                instances_desired=svc.desired,
            ),
            parts=tuple(_container_part(td, c) for c in containers or ()) if td else (),
            evidence=(svc.evidence, *((td.evidence,) if td else ())),
        )
        groups = svc.security_groups
        ctx.member(el, groups, svc.subnets)
        tcp = tuple(p for proto, p in ports if proto == "tcp")
        ctx.guard(el, groups, "tcp", tcp if containers is not None else None, cidr_peers=False)
        if svc.public_ip is True and tier.tier == "public":
            # The ports its containers listen on; unknown containers: what the groups open.
            hits: list[tuple[str, int | None, tuple[r.SecurityGroupRule, ...]]] = []
            if containers is None:
                hits = [
                    (shared_flows.rule_protocol(x), rule_port(x), (x,))
                    for x in ctx.sgs.world_ports(groups)
                ]
            for proto, listen in ports:
                if (admit := ctx.sgs.admits_world(groups, listen, proto)).allowed is True:
                    hits.append((proto, listen, admit.rules))
            for proto, port, rules in hits:
                if ctx.nacls.admits_world(svc.subnets, port, proto) is not True:
                    continue  # the subnets' network ACLs keep the internet out (or may)
                why = (
                    f"inferred: {svc.address} has a public IP in a public subnet "
                    f"and {rules[0].address} admits the internet"
                )
                ev = (svc.evidence, *tier.evidence, *(x.evidence for x in rules if x.evidence))
                out.append(shared_flows.internet(el, proto, port, "reachable", why, ev))
        tgs = [(t.target_group, t.port, t.evidence) for t in svc.targets if t.target_group]
        out += shared_flows.lb_flows(ctx, forwards, el, tgs)
        if td is not None:
            env = [
                (ref, f"env {n} of {td.address}", td.evidence)
                for c in containers or ()
                for n, ref in c.env_refs
            ]
            out += shared_flows.reference_flows(ctx, el, env)
    return out


def _container_part(td: EcsTaskDefinition, c: Container) -> Part:
    return Part(
        kind="container",
        name=c.name or "?",
        resource=td.address,
        props=facts(
            ports=",".join(str(p) for _, p in c.ports) if c.ports else None,
            privileged=c.privileged,
        ),
        evidence=(td.evidence,),
    )
