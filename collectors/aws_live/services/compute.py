"""Live compute of one region: Lambda functions, ECS services, EKS clusters.

Produces the records the Terraform compute builders produce (LambdaFunction, and the
compute family's FunctionUrl, LambdaPermission, EcsCluster, EcsService,
EcsTaskDefinition, EksCluster, EksNodeGroup), with refs that are the resources' ARNs
and EC2 ids, so the shared mapping joins them with every other module's records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_ecs import ecs, read_ecs
from collectors.aws_live.services.compute_eks import eks, read_eks
from collectors.aws_live.services.compute_fields import keyed
from collectors.aws_live.services.compute_lambda import functions, read_functions

CLIENTS: tuple[str, ...] = ("lambda", "ecs", "eks")
GLOBAL: bool = False


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """The raw responses of each service (I/O only)."""
    return {
        "lambda": read_functions(apis["lambda"]),
        "ecs": read_ecs(apis["ecs"]),
        "eks": read_eks(apis["eks"]),
    }


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """Records of the region's functions, ECS services and EKS clusters (pure)."""
    return [
        *functions(keyed(raw.get("lambda")), where),
        *ecs(keyed(raw.get("ecs")), where),
        *eks(keyed(raw.get("eks")), where),
    ]
