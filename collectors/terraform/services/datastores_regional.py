"""Terraform resources of the AWS service family 'datastores_regional' (to be filled in)."""

from __future__ import annotations

from collections.abc import Callable

from collectors.aws.records import Record
from collectors.terraform.blocks import Block

# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {}
