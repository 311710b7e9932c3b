"""Terraform builders of ECS clusters, task definitions and services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.services import compute as c
from collectors.terraform import values as v
from collectors.terraform.blocks import Block

_FARGATE = ("FARGATE", "FARGATE_SPOT")


def ecs_cluster(b: Block) -> c.EcsCluster:
    name = v.string(b.body.get("name"))
    return c.EcsCluster(
        b.address, b.address, b.evidence(), key=v.asset_key("ecs", "cluster", name), name=name
    )


def _container(item: Mapping[str, Any], fallback: tuple[str, ...]) -> c.Container:
    ports = []
    for pm in v.blocks(item, "portMappings"):
        if (port := v.integer(pm.get("containerPort"))) is not None:
            ports.append(((v.string(pm.get("protocol", "tcp")) or "tcp").lower(), port))
    env: list[tuple[str, str]] = []
    for var in v.blocks(item, "environment"):
        if (name := v.string(var.get("name"))) is None:
            continue
        refs = [a for a, _ in v.refs_in(var.get("value"))]
        if not refs and v.string(var.get("value")) is None and "value" in var:
            refs = list(fallback)  # text template: its one reference
        env += [(name, ref) for ref in refs]
    return c.Container(
        name=v.string(item.get("name")),
        ports=tuple(ports),
        env_refs=tuple(env),
        privileged=v.boolean(item.get("privileged", False)),  # ECS default: false
    )


def ecs_task_definition(b: Block) -> c.EcsTaskDefinition:
    raw = b.body.get("container_definitions")
    doc = v.json_document(raw)
    # A heredoc or template with holes keeps its references only as a whole: an env
    # value with a hole can be attributed only when the document names one resource.
    refs = tuple(dict.fromkeys(a for a, _ in v.refs_in(raw)))
    fallback = refs if len(refs) == 1 else ()
    family = v.string(b.body.get("family"))
    return c.EcsTaskDefinition(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("ecs", "task-definition", family),
        family=family,
        containers=(
            tuple(_container(x, fallback) for x in doc if isinstance(x, Mapping))
            if isinstance(doc, list)
            else None
        ),
        task_role=v.ref(b.body.get("task_role_arn")),
    )


def ecs_service(b: Block) -> c.EcsService:
    net = v.first_block(b.body, "network_configuration")
    launch_type = v.upper(b.body.get("launch_type"))
    providers = [
        v.string(s.get("capacity_provider")) for s in v.blocks(b.body, "capacity_provider_strategy")
    ]
    if launch_type is None and providers and all(p in _FARGATE for p in providers):
        launch_type = "FARGATE"
    return c.EcsService(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        cluster=v.ref(b.body.get("cluster")),
        task_definition=_one_ref(b.body.get("task_definition"), "aws_ecs_task_definition"),
        launch_type=launch_type,
        subnets=v.refs(net.get("subnets")) if net else (),
        security_groups=v.refs(net.get("security_groups")) if net else (),
        # Provider default: false.
        public_ip=v.boolean(net.get("assign_public_ip", False)) if net else None,
        targets=tuple(
            c.EcsTarget(
                v.ref(lb.get("target_group_arn")),
                v.integer(lb.get("container_port")),
                b.nested_evidence(lb, "load_balancer"),
            )
            for lb in v.blocks(b.body, "load_balancer")
        ),
        desired=v.integer(b.body.get("desired_count")),
    )


def _one_ref(value: object, type_: str) -> str | None:
    """What an attribute names: a literal or reference, else the one resource of `type_`
    it is built from ("${aws_ecs_task_definition.app.family}:${...revision}")."""
    if (found := v.ref(value)) is not None:
        return found
    refs = [x for x in v.refs(value) if v.address_type(x) == type_]
    return refs[0] if len(refs) == 1 else None
