"""ElastiCache clusters and replication groups."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws.context import Context
from collectors.aws.services.datastores_vpc.records import Cache, SubnetGroup
from collectors.aws.services.datastores_vpc.vpc_access import (
    engine_protocol,
    group_subnets,
    guard,
    ref_of,
)
from scanner.model import Part, facts


def map_caches(ctx: Context) -> None:
    groups = [g for g in ctx.inv.of(SubnetGroup) if g.service == "elasticache"]
    caches = ctx.inv.of(Cache)
    ids = {k: c.ref for c in caches for k in (c.ref, c.identifier) if k}
    nodes: dict[str, list[Cache]] = defaultdict(list)
    for c in caches:
        if c.replication_group in ids:  # a member node of a group: a part, not a datastore
            nodes[ids[c.replication_group or ""]].append(c)
    for c in caches:
        if c.replication_group in ids:
            continue
        zone, _ = ctx.zone(group_subnets(groups, c.subnet_group))
        el = ctx.add(
            c,
            "cache",
            "datastore",
            zone,
            props=facts(
                engine=c.engine,
                protocol=engine_protocol(c.engine) if c.engine else None,
                port=c.port,
                tls=c.transit_encryption,
                encryption_at_rest=c.at_rest_encryption,
                authn=c.authn,
            ),
            parts=tuple(
                Part("node", n.identifier or n.address, n.address, evidence=(n.evidence,))
                for n in sorted(nodes.get(c.ref, []), key=ref_of)
            ),
            evidence=(c.evidence,),
        )
        # ElastiCache has no public endpoint: only peers inside the VPC can reach it.
        guard(ctx, el, c.security_groups)
