"""What VPC datastores share: engine protocols, subnet groups, who may reach them."""

from __future__ import annotations

from collections.abc import Iterable

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.network import SubnetTier
from collectors.aws.services.datastores_vpc.records import SubnetGroup
from scanner.model import INTERNET_ID, Element, Evidence, Flow


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


def group_subnets(
    groups: Iterable[r.DbSubnetGroup | SubnetGroup], wanted: str | None
) -> tuple[str, ...]:
    """The subnets of a subnet group named by ref, else by its literal name."""
    found = [g for g in groups if g.ref == wanted] or [g for g in groups if g.name == wanted]
    return found[0].subnets if found and wanted else ()


def world_flow(
    ctx: Context,
    el: Element,
    rec: r.Record,
    groups: tuple[str, ...],
    address_ev: tuple[Evidence, ...],
    tier: SubnetTier,
    subnets: tuple[str, ...],
) -> list[Flow]:
    """The internet flow to a VPC datastore whose address is public, when its subnet
    tier is public and its security groups admit the world on its port."""
    port, protocol = el.fact("port"), el.fact("protocol")
    if tier.tier != "public" or not isinstance(port, int) or not isinstance(protocol, str):
        return []
    admit = ctx.sgs.admits_world(groups, port)
    if admit.allowed is not True or ctx.nacls.admits_world(subnets, port) is not True:
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


def guard(ctx: Context, el: Element, groups: tuple[str, ...]) -> None:
    port, protocol = el.fact("port"), el.fact("protocol")
    if isinstance(port, int) and isinstance(protocol, str):
        ctx.guard(el, groups, protocol, (port,), cidr_peers=True)


def ref_of(rec: r.Record) -> str:
    return rec.ref
