"""Terraform builders of the AWS service families (see collectors/aws/services)."""

from __future__ import annotations

from collections.abc import Callable

from collectors.aws.records import Record
from collectors.terraform.blocks import Block
from collectors.terraform.services import (
    compute,
    datastores_regional,
    datastores_vpc,
    edge,
    identity,
    network,
)

RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {}
for _family in (network, compute, datastores_vpc, datastores_regional, edge, identity):
    overlap = RESOURCES.keys() & _family.RESOURCES.keys()
    if overlap:
        raise RuntimeError(f"resource types claimed twice: {sorted(overlap)}")
    RESOURCES.update(_family.RESOURCES)
