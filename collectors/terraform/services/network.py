"""Terraform VPC endpoints, peering connections and NAT gateways to network records."""

from __future__ import annotations

from collections.abc import Callable

from collectors.aws.records import Record
from collectors.aws.services import network as n
from collectors.terraform import values as v
from collectors.terraform.blocks import Block


def vpc_endpoint(b: Block) -> n.VpcEndpoint:
    service = v.string(b.body.get("service_name"))
    return n.VpcEndpoint(
        b.address,
        b.address,
        b.evidence(),
        vpc=v.ref(b.body.get("vpc_id")),
        service=service.rsplit(".", 1)[-1] if service else None,
        endpoint_type=v.string(b.body.get("vpc_endpoint_type", "Gateway")) or "?",
        private_dns=v.boolean(b.body.get("private_dns_enabled")),
    )


def peering(b: Block) -> n.PeeringConnection:
    owner = b.body.get("peer_owner_id")
    return n.PeeringConnection(
        b.address,
        b.address,
        b.evidence(),
        vpc=v.ref(b.body.get("vpc_id")),
        peer_vpc=v.ref(b.body.get("peer_vpc_id")),
        # Without peer_owner_id the peer is in the same account.
        cross_account=False if owner is None else (True if v.string(owner) else None),
    )


def nat_gateway(b: Block) -> n.NatGateway:
    connectivity = v.string(b.body.get("connectivity_type", "public"))
    return n.NatGateway(
        b.address,
        b.address,
        b.evidence(),
        subnet=v.ref(b.body.get("subnet_id")),
        public=None if connectivity is None else connectivity == "public",
    )


RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_vpc_endpoint": vpc_endpoint,
    "aws_vpc_peering_connection": peering,
    "aws_nat_gateway": nat_gateway,
}
