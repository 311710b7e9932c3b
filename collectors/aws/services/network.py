"""AWS network extras: VPC endpoints, peering and NAT gateways, as facts on VPC zones."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from collectors.aws import records as r
from collectors.aws.context import Context
from scanner.model import Fact, Flow


@dataclass(frozen=True)
class VpcEndpoint(r.Record):
    vpc: str | None = None
    service: str | None = None  # com.amazonaws.<region>.s3 -> "s3"
    endpoint_type: str = "Gateway"  # Gateway | Interface | GatewayLoadBalancer
    private_dns: bool | None = None


@dataclass(frozen=True)
class PeeringConnection(r.Record):
    vpc: str | None = None
    peer_vpc: str | None = None
    cross_account: bool | None = None  # peer_owner_id names another account


@dataclass(frozen=True)
class NatGateway(r.Record):
    subnet: str | None = None
    public: bool | None = None  # connectivity_type public (default) or private


def elements(ctx: Context) -> list[Flow]:
    """No elements of their own: facts on the VPC zones they belong to."""
    notes: dict[str, dict[str, Fact]] = defaultdict(dict)
    evidence: dict[str, list[r.Record]] = defaultdict(list)
    endpoints: dict[str, set[str]] = defaultdict(set)
    for ep in ctx.inv.of(VpcEndpoint):
        if ep.vpc and ep.service:
            endpoints[ep.vpc].add(ep.service)
            evidence[ep.vpc].append(ep)
    for vpc, services in endpoints.items():
        notes[vpc]["vpc_endpoints"] = ",".join(sorted(services))
    peers: dict[str, set[str]] = defaultdict(set)
    for pc in ctx.inv.of(PeeringConnection):
        for own, other in ((pc.vpc, pc.peer_vpc), (pc.peer_vpc, pc.vpc)):
            if own:
                peers[own].add(other or "?")
                evidence[own].append(pc)
                if pc.cross_account:
                    notes[own]["cross_account_peering"] = True
    for vpc, others in peers.items():
        notes[vpc]["peered_with"] = ",".join(sorted(others))
    subnets = {s.ref: s for s in ctx.inv.subnets}
    for nat in ctx.inv.of(NatGateway):
        nat_vpc = subnets[nat.subnet].vpc if nat.subnet in subnets else None
        if nat_vpc and nat.public is not False:
            notes[nat_vpc]["nat_gateway"] = True
            evidence[nat_vpc].append(nat)
    for vpc, facts_ in sorted(notes.items()):
        zone = ctx.vpc_zone(vpc)
        for rec in evidence[vpc][:1]:
            ctx.note_zone(zone, facts_, rec.evidence)
    return []
