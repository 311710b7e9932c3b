"""Terraform resources of the AWS compute family: Lambda URLs, Auto Scaling, ECS and EKS."""

from __future__ import annotations

from collections.abc import Callable

from collectors.aws.records import Record
from collectors.terraform.blocks import Block
from collectors.terraform.services.compute.auto_scaling import (
    autoscaling_attachment,
    autoscaling_group,
    launch_configuration,
    launch_template,
)
from collectors.terraform.services.compute.ecs import ecs_cluster, ecs_service, ecs_task_definition
from collectors.terraform.services.compute.eks import eks_cluster, eks_node_group
from collectors.terraform.services.compute.function_urls import function_url, lambda_permission

__all__ = [
    "RESOURCES",
    "autoscaling_attachment",
    "autoscaling_group",
    "ecs_cluster",
    "ecs_service",
    "ecs_task_definition",
    "eks_cluster",
    "eks_node_group",
    "function_url",
    "lambda_permission",
    "launch_configuration",
    "launch_template",
]

# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_lambda_function_url": function_url,
    "aws_lambda_permission": lambda_permission,
    "aws_launch_template": launch_template,
    "aws_launch_configuration": launch_configuration,
    "aws_autoscaling_group": autoscaling_group,
    "aws_autoscaling_attachment": autoscaling_attachment,
    "aws_autoscaling_traffic_source_attachment": autoscaling_attachment,
    "aws_ecs_cluster": ecs_cluster,
    "aws_ecs_task_definition": ecs_task_definition,
    "aws_ecs_service": ecs_service,
    "aws_eks_cluster": eks_cluster,
    "aws_eks_node_group": eks_node_group,
}
