"""Aurora/RDS DB clusters and Redshift clusters, with their instances."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from collectors.aws.context import Context
from collectors.aws.services.datastores_vpc.records import (
    DbCluster,
    RdsClusterInstance,
    SubnetGroup,
)
from collectors.aws.services.datastores_vpc.vpc_access import (
    engine_protocol,
    group_subnets,
    guard,
    ref_of,
    world_flow,
)
from scanner.model import Flow, Part, any_of, facts


def map_db_clusters(ctx: Context) -> list[Flow]:
    flows: list[Flow] = []
    members: dict[str, list[RdsClusterInstance]] = defaultdict(list)
    for inst in ctx.inv.of(RdsClusterInstance):
        members[inst.cluster or ""].append(inst)
    # An instance whose cluster cannot be read might belong to any cluster.
    floating = [i for i in members.pop("", []) if i.publicly_accessible is not False]
    redshift = [g for g in ctx.inv.of(SubnetGroup) if g.service == "redshift"]
    for c in ctx.inv.of(DbCluster):
        groups = redshift if c.service == "redshift" else ctx.inv.db_subnet_groups
        subnets = group_subnets(groups, c.subnet_group)
        zone, tier = ctx.zone(subnets)
        keys = (c.ref, c.identifier) if c.service == "rds" else ()
        own = sorted({i.ref: i for k in keys if k for i in members.get(k, [])}.values(), key=ref_of)
        # Aurora: any instance with a public address; other clusters: the cluster's own.
        stated = [i.publicly_accessible for i in own] + ([None] if keys and floating else [])
        if c.publicly_accessible is not None or not own:
            stated.append(c.publicly_accessible)
        accessible = any_of(stated)
        public = [i for i in own if i.publicly_accessible is True]
        address_ev = tuple(replace(i.evidence, fact="publicly_accessible") for i in public)
        maybe = bool(public) and all(i.conditional for i in public) and not c.publicly_accessible
        el = ctx.add(
            c,
            "relational-db",
            "datastore",
            zone,
            props=facts(
                engine=c.engine,
                protocol=engine_protocol(c.engine) if c.engine else None,
                port=c.port,
                publicly_accessible=accessible,
                encryption_at_rest=c.storage_encrypted,
                iam_database_authentication=c.iam_auth,
                exposure_unconfirmed=(
                    f"the count/for_each of {public[0].address} (it may not exist)"
                    if maybe
                    else None
                ),
            ),
            parts=tuple(_instance_part(i) for i in own),
            evidence=(c.evidence, *address_ev),
        )
        guard(ctx, el, c.security_groups)
        if accessible is True:
            flows += world_flow(ctx, el, c, c.security_groups, address_ev, tier, subnets)
    return flows


def _instance_part(i: RdsClusterInstance) -> Part:
    props = facts(publicly_accessible=i.publicly_accessible)
    return Part("instance", i.identifier or i.address, i.address, props, (i.evidence,))
