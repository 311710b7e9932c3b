"""AWS compute family: Lambda function URLs, Auto Scaling groups, ECS services and EKS."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.compute.ecs import map_ecs
from collectors.aws.services.compute.eks import map_eks
from collectors.aws.services.compute.function_urls import map_function_urls
from collectors.aws.services.compute.instance_groups import map_auto_scaling
from collectors.aws.services.compute.records import (
    AutoScalingAttachment,
    AutoScalingGroup,
    Container,
    EcsCluster,
    EcsService,
    EcsTarget,
    EcsTaskDefinition,
    EksCluster,
    EksNodeGroup,
    FunctionUrl,
    LambdaPermission,
    LaunchTemplate,
)
from collectors.aws.services.compute.shared_flows import forwarders
from scanner.model import Flow

__all__ = [
    "AutoScalingAttachment",
    "AutoScalingGroup",
    "Container",
    "EcsCluster",
    "EcsService",
    "EcsTarget",
    "EcsTaskDefinition",
    "EksCluster",
    "EksNodeGroup",
    "FunctionUrl",
    "LambdaPermission",
    "LaunchTemplate",
    "elements",
]


def elements(ctx: Context) -> list[Flow]:
    """Add this family's elements to the scope; return the flows they make."""
    forwards = forwarders(ctx)
    # Flows with one id (two rules opening one port) are merged with their evidence.
    return (
        map_function_urls(ctx)
        + map_auto_scaling(ctx, forwards)
        + map_ecs(ctx, forwards)
        + map_eks(ctx)
    )
