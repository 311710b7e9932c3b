"""EKS clusters' API endpoints and their node groups."""

from __future__ import annotations

from dataclasses import replace

from collectors.aws.context import Context
from collectors.aws.network import WORLD
from collectors.aws.services.compute import shared_flows
from collectors.aws.services.compute.instance_groups import instances
from collectors.aws.services.compute.records import EksCluster, EksNodeGroup, LaunchTemplate, find
from scanner.model import Flow, facts


def map_eks(ctx: Context) -> list[Flow]:
    clusters = ctx.inv.of(EksCluster)
    out: list[Flow] = []
    for c in clusters:
        public = c.public_endpoint is True
        el = ctx.add(
            c,
            "kubernetes-api",
            "process",
            ctx.account if public else ctx.zone(c.subnets)[0],
            props=facts(
                endpoint_public_access=c.public_endpoint,
                endpoint_private_access=c.private_endpoint,
                public_access_cidrs=",".join(c.public_cidrs) if public and c.public_cidrs else None,
                secrets_kms_key=c.secrets_kms_key,
                audit_logging=c.audit_logging,
            ),
            evidence=(c.evidence,),
        )
        if c.private_endpoint is True:
            ctx.guard(el, c.security_groups, "https", (443,), cidr_peers=False)
        if public and any(x in WORLD for x in c.public_cidrs or ()):
            why = f"declared: {c.address} has a public API endpoint open to 0.0.0.0/0"
            # The API server still authenticates every request.
            out.append(
                shared_flows.entry(el, why, "kubernetes", (c.endpoint_evidence or c.evidence,))
            )
    for ng in ctx.inv.of(EksNodeGroup):
        cluster = find(clusters, ng.cluster)
        lt = find(ctx.inv.of(LaunchTemplate), ng.launch_template)
        key = f"eks:nodegroup:{cluster.name}/{ng.name}" if cluster and cluster.name else None
        rec = replace(ng, key=ng.key or (key if ng.name else None))
        sizes = (ng.min_size, ng.max_size, ng.desired)
        el, flows, route = instances(
            ctx, rec, ng.subnets, lt, sizes, remote_access_open=ng.remote_world
        )
        out += flows
        reachable = ctx.nacls.admits_world(ng.subnets, ng.remote_port) is True
        if ng.remote_world is True and route is not None and reachable:
            why = (
                f"inferred: remote_access of {ng.address} names no source security group, "
                f"so EKS opens port {ng.remote_port} to 0.0.0.0/0"
            )
            ev = (ng.remote_evidence or ng.evidence, *route)
            out.append(shared_flows.internet(el, "tcp", ng.remote_port, "reachable", why, ev))
        if (api := ctx.element(cluster.ref) if cluster else None) is not None:
            why = f"declared: node group {ng.address} joins {api.resource}"
            ev = (ng.evidence,)
            # Kubelets authenticate with the node role.
            out.append(
                Flow(el.id, api.id, "https", 443, "called", why, True, authn="aws-iam", evidence=ev)
            )
    return out
