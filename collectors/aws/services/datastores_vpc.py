"""Datastores placed in a VPC: Aurora/RDS clusters, ElastiCache, OpenSearch, Redshift, EFS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.network import SubnetTier
from scanner.model import INTERNET_ID, Element, Evidence, Flow, Part, facts


def engine_protocol(engine: str | None) -> str:
    """The protocol clients speak to an engine ("tcp" when the engine is not known)."""
    low = (engine or "").lower()
    if low.startswith(("aurora-postgresql", "postgres", "redshift")):
        return "postgres"  # Redshift speaks the PostgreSQL wire protocol
    if low.startswith(("aurora", "mysql")):  # "aurora" alone is Aurora MySQL
        return "mysql"
    if low.startswith(("redis", "valkey")):  # Valkey speaks the Redis protocol
        return "redis"
    return "memcached" if low.startswith("memcached") else "tcp"


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DbCluster(r.Record):
    """An RDS DB cluster (Aurora, Multi-AZ) or a Redshift cluster."""

    service: str = "rds"  # rds | redshift
    identifier: str | None = None
    engine: str | None = None
    port: int | None = None
    # Redshift and Multi-AZ DB clusters; Aurora states it per instance (None = not stated).
    publicly_accessible: bool | None = None
    subnet_group: str | None = None  # ref or name of a DB (rds) or Redshift subnet group
    security_groups: tuple[str, ...] = ()
    storage_encrypted: bool | None = None
    iam_auth: bool | None = None


@dataclass(frozen=True)
class RdsClusterInstance(r.Record):
    identifier: str | None = None
    cluster: str | None = None
    publicly_accessible: bool | None = None


@dataclass(frozen=True)
class SubnetGroup(r.Record):
    """An ElastiCache or Redshift subnet group."""

    service: str = ""  # elasticache | redshift
    name: str | None = None
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cache(r.Record):
    """An ElastiCache cluster or replication group (the thing clients connect to)."""

    identifier: str | None = None
    engine: str | None = None
    port: int | None = None
    subnet_group: str | None = None  # ref or name of an aws_elasticache_subnet_group
    security_groups: tuple[str, ...] = ()
    transit_encryption: bool | None = None
    at_rest_encryption: bool | None = None
    authn: str | None = None  # "token", "rbac", "none", or None when not known
    replication_group: str | None = None  # a cluster that is a member of this group


@dataclass(frozen=True)
class SearchDomain(r.Record):
    name: str | None = None
    in_vpc: bool | None = False  # None: vpc_options may or may not be there
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_policy: bool | None = False  # inline access_policies grant "*" unconditionally
    enforce_https: bool | None = None
    encrypt_at_rest: bool | None = None
    node_to_node: bool | None = None
    fine_grained: bool | None = None  # advanced_security_options (fine-grained access)


@dataclass(frozen=True)
class SearchDomainPolicy(r.Record):
    domain: str | None = None  # ref or name of the domain
    public: bool | None = None


@dataclass(frozen=True)
class EfsFileSystem(r.Record):
    encrypted: bool | None = None


@dataclass(frozen=True)
class EfsMountTarget(r.Record):
    file_system: str | None = None
    subnet: str | None = None
    security_groups: tuple[str, ...] = ()


# --- mapping ------------------------------------------------------------------------------


def _group_subnets(
    groups: Iterable[r.DbSubnetGroup | SubnetGroup], wanted: str | None
) -> tuple[str, ...]:
    """The subnets of a subnet group named by ref, else by its literal name."""
    found = [g for g in groups if g.ref == wanted] or [g for g in groups if g.name == wanted]
    return found[0].subnets if found and wanted else ()


def _world_flow(
    ctx: Context,
    el: Element,
    rec: r.Record,
    groups: tuple[str, ...],
    address_ev: tuple[Evidence, ...],
    tier: SubnetTier,
) -> list[Flow]:
    """The internet flow to a VPC datastore whose address is public, when its subnet
    tier is public and its security groups admit the world on its port."""
    port, protocol = el.fact("port"), el.fact("protocol")
    if tier.tier != "public" or not isinstance(port, int) or not isinstance(protocol, str):
        return []
    admit = ctx.sgs.admits_world(groups, port)
    if admit.allowed is not True:
        return []
    return [
        Flow(
            INTERNET_ID,
            el.id,
            protocol,
            port,
            basis="reachable",
            derivation=(
                f"inferred: {address_ev[0].address if address_ev else rec.address} is publicly "
                "accessible in a public subnet "
                f"and {admit.rules[0].address} admits the internet"
            ),
            evidence=(  # the block that makes the address public first
                *address_ev,
                rec.evidence,
                *tier.evidence,
                *(x.evidence for x in admit.rules if x.evidence),
            ),
        )
    ]


def _guard(ctx: Context, el: Element, groups: tuple[str, ...]) -> None:
    port, protocol = el.fact("port"), el.fact("protocol")
    if isinstance(port, int) and isinstance(protocol, str):
        ctx.guard(el, groups, protocol, (port,), cidr_peers=True)


def _db_clusters(ctx: Context) -> list[Flow]:
    flows: list[Flow] = []
    members: dict[str, list[RdsClusterInstance]] = defaultdict(list)
    for inst in ctx.inv.of(RdsClusterInstance):
        members[inst.cluster or ""].append(inst)
    # An instance whose cluster cannot be read might belong to any cluster.
    floating = [i for i in members.pop("", []) if i.publicly_accessible is not False]
    redshift = [g for g in ctx.inv.of(SubnetGroup) if g.service == "redshift"]
    for c in ctx.inv.of(DbCluster):
        groups = redshift if c.service == "redshift" else ctx.inv.db_subnet_groups
        zone, tier = ctx.zone(_group_subnets(groups, c.subnet_group))
        keys = (c.ref, c.identifier) if c.service == "rds" else ()
        own = sorted({i.ref: i for k in keys if k for i in members.get(k, [])}.values(), key=_ref)
        # Aurora: any instance with a public address; other clusters: the cluster's own.
        stated = [i.publicly_accessible for i in own] + ([None] if keys and floating else [])
        if c.publicly_accessible is not None or not own:
            stated.append(c.publicly_accessible)
        accessible = True if True in stated else (None if None in stated else False)
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
                    f"count/for_each of {public[0].address} (it may not exist)" if maybe else None
                ),
            ),
            parts=tuple(_instance_part(i) for i in own),
            evidence=(c.evidence, *address_ev),
        )
        _guard(ctx, el, c.security_groups)
        if accessible is True:
            flows += _world_flow(ctx, el, c, c.security_groups, address_ev, tier)
    return flows


def _ref(rec: r.Record) -> str:
    return rec.ref


def _instance_part(i: RdsClusterInstance) -> Part:
    props = facts(publicly_accessible=i.publicly_accessible)
    return Part("instance", i.identifier or i.address, i.address, props, (i.evidence,))


def _caches(ctx: Context) -> None:
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
        zone, _ = ctx.zone(_group_subnets(groups, c.subnet_group))
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
                for n in sorted(nodes.get(c.ref, []), key=_ref)
            ),
            evidence=(c.evidence,),
        )
        # ElastiCache has no public endpoint: only peers inside the VPC can reach it.
        _guard(ctx, el, c.security_groups)


def _search_domains(ctx: Context) -> list[Flow]:
    flows: list[Flow] = []
    policies: dict[str, list[SearchDomainPolicy]] = defaultdict(list)
    for p in ctx.inv.of(SearchDomainPolicy):
        policies[p.domain or ""].append(p)
    # A policy whose domain cannot be read might be any domain's.
    floating = [p.public for p in policies.pop("", []) if p.public is not False][:1]
    for d in ctx.inv.of(SearchDomain):
        zone = ctx.zone(d.subnets)[0] if d.in_vpc else ctx.account
        outside = d.in_vpc is False  # a public endpoint
        attached = policies.get(d.ref, []) + (policies.get(d.name, []) if d.name else [])
        grants: list[tuple[bool | None, r.Record]] = [(d.public_policy, d)]
        grants += [(p.public, p) for p in attached]
        verdicts = [g for g, _ in grants] + [None for _ in floating]
        public = True if True in verdicts else (None if None in verdicts else False)
        grant = next((rec for g, rec in grants if g is True), d)
        maybe = grant.conditional and not d.conditional
        el = ctx.add(
            d,
            "search-index",
            "datastore",
            zone,
            props=facts(
                protocol="https",
                port=443,
                tls=d.enforce_https,
                internet_facing=None if d.in_vpc is None else outside,
                public=public if outside else None,
                encryption_at_rest=d.encrypt_at_rest,
                node_to_node_encryption=d.node_to_node,
                fine_grained_access_control=d.fine_grained,
                exposure_unconfirmed=(
                    f"count/for_each of {grant.address} (it may not exist)" if maybe else None
                ),
            ),
            evidence=(d.evidence,),
        )
        if d.in_vpc:
            _guard(ctx, el, d.security_groups)
        if not outside or public is not True:
            continue
        plain = d.enforce_https is False  # the endpoint also serves HTTP on port 80
        flows.append(
            Flow(
                INTERNET_ID,
                el.id,
                "http" if plain else "https",
                80 if plain else 443,
                basis="reachable",
                derivation=f"inferred: {grant.address} grants access to anyone",
                tls=False if plain else d.enforce_https,
                authn="none" if d.fine_grained is False else None,
                evidence=(replace(grant.evidence, fact="public_policy"), d.evidence),
            )
        )
    return flows


def _file_systems(ctx: Context) -> None:
    targets: dict[str, list[EfsMountTarget]] = defaultdict(list)
    for mt in ctx.inv.of(EfsMountTarget):
        targets[mt.file_system or ""].append(mt)
    for fs in ctx.inv.of(EfsFileSystem):
        own = sorted(targets.get(fs.ref, []), key=_ref)
        zone, _ = ctx.zone(tuple(dict.fromkeys(m.subnet for m in own if m.subnet)))
        el = ctx.add(
            fs,
            "file-system",
            "datastore",
            zone,
            props=facts(protocol="nfs", port=2049, encryption_at_rest=fs.encrypted),
            parts=tuple(
                Part("mount-target", m.address, m.address, evidence=(m.evidence,)) for m in own
            ),
            evidence=(fs.evidence,),
        )
        # Mount targets have private addresses only: peers inside the VPC, on NFS.
        groups = tuple(dict.fromkeys(g for m in own for g in m.security_groups))
        _guard(ctx, el, groups)


def elements(ctx: Context) -> list[Flow]:
    """Add this family's elements to the scope; return the flows they make."""
    flows = _db_clusters(ctx)
    _caches(ctx)
    flows += _search_domains(ctx)
    _file_systems(ctx)
    return flows
