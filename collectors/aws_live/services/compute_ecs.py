"""ECS clusters, their services, and the task definitions those services run.

Container environment values are configuration (read for the resources they name) and
are never logged or printed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws.services.compute.records import (
    Container,
    EcsCluster,
    EcsService,
    EcsTarget,
    EcsTaskDefinition,
)
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_fields import (
    arn_refs,
    flag,
    integer,
    keyed,
    mappings,
    text,
    texts,
)

_FARGATE = ("FARGATE", "FARGATE_SPOT")
_PUBLIC_IP = {"ENABLED": True, "DISABLED": False}


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def read_ecs(api: Api) -> dict[str, Any]:
    """Cluster ARNs and the descriptions read (a cluster whose description failed is
    known by its ARN); per cluster ARN its services (None: unknown); per task definition
    ARN a service names, its description (None: unknown)."""
    arns = api.items("ListClusters", "clusterArns")
    described = [  # DescribeClusters takes up to 100
        api.items("DescribeClusters", "clusters", clusters=batch)
        for batch in _batches(texts(arns), 100)
    ]
    clusters = None if arns is None else [c for found in described for c in found or ()]
    services = {cluster: _services(api, cluster) for cluster in texts(arns)}
    definitions: dict[str, Any] = {}
    for svcs in services.values():
        for svc in mappings(svcs):
            td = text(svc.get("taskDefinition"))
            if td is not None and td not in definitions:
                found = api.call("DescribeTaskDefinition", taskDefinition=td)
                definitions[td] = None if found is None else found.get("taskDefinition")
    return {
        "clusterArns": arns,
        "clusters": clusters,
        "services": services,
        "taskDefinitions": definitions,
    }


def _services(api: Api, cluster: str) -> list[Any] | None:
    """A cluster's service descriptions; None when they could not be listed (a failed
    DescribeServices batch leaves those services out, recorded as a diagnostic)."""
    arns = api.items("ListServices", "serviceArns", cluster=cluster)
    if arns is None:
        return None
    out: list[Any] = []
    for batch in _batches(texts(arns), 10):  # DescribeServices takes up to 10
        out += api.items("DescribeServices", "services", cluster=cluster, services=batch) or []
    return out


def ecs(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """EcsCluster, EcsService and EcsTaskDefinition records of one region."""
    described = {text(c.get("clusterArn")): c for c in mappings(raw.get("clusters"))}
    out: list[Record] = []
    for arn in texts(raw.get("clusterArns")):
        name = text(keyed(described.get(arn)).get("clusterName")) or arn.rsplit("/", 1)[-1]
        out.append(EcsCluster(arn, arn, where.evidence(arn), key=f"ecs:cluster:{name}", name=name))
    for cluster, svcs in keyed(raw.get("services")).items():
        out += [s for svc in mappings(svcs) if (s := _service(svc, cluster, where))]
    for arn, td in keyed(raw.get("taskDefinitions")).items():
        if isinstance(arn, str) and arn:
            out.append(_task_definition(arn, td, where))
    return out


def _service(svc: Mapping[str, Any], cluster: str, where: Where) -> EcsService | None:
    arn = text(svc.get("serviceArn"))
    if arn is None:
        return None
    launch_type = text(svc.get("launchType"))
    providers = [
        text(s.get("capacityProvider")) for s in mappings(svc.get("capacityProviderStrategy"))
    ]
    if launch_type is None and providers and all(p in _FARGATE for p in providers):
        launch_type = "FARGATE"
    awsvpc = keyed(svc.get("networkConfiguration")).get("awsvpcConfiguration")
    net = keyed(awsvpc)
    return EcsService(
        arn,
        arn,
        where.evidence(arn),
        name=text(svc.get("serviceName")),
        cluster=text(svc.get("clusterArn")) or cluster,
        task_definition=text(svc.get("taskDefinition")),
        launch_type=launch_type.upper() if launch_type else None,
        subnets=texts(net.get("subnets")),
        security_groups=texts(net.get("securityGroups")),
        # No awsvpc configuration (bridge or host networking): no public IP setting.
        public_ip=_PUBLIC_IP.get(str(net.get("assignPublicIp"))) if awsvpc is not None else None,
        targets=tuple(
            EcsTarget(
                text(lb.get("targetGroupArn")),
                integer(lb.get("containerPort")),
                where.evidence(arn, detail=f"load balancer {lb.get('containerName') or '?'}"),
            )
            for lb in mappings(svc.get("loadBalancers"))
        ),
        desired=integer(svc.get("desiredCount")),
    )


def _task_definition(arn: str, td: object, where: Where) -> EcsTaskDefinition:
    """A task definition; one that could not be described has unknown containers."""
    body = keyed(td)
    # arn:...:task-definition/FAMILY:REVISION
    family = text(body.get("family")) or arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] or None
    defs = body.get("containerDefinitions")
    return EcsTaskDefinition(
        arn,
        arn,
        where.evidence(arn),
        key=f"ecs:task-definition:{family}" if family else None,
        family=family,
        containers=tuple(_container(c, where) for c in mappings(defs))
        if isinstance(defs, list)
        else None,
        task_role=text(body.get("taskRoleArn")),
    )


def _container(c: Mapping[str, Any], where: Where) -> Container:
    ports = []
    for pm in mappings(c.get("portMappings")):
        if (port := integer(pm.get("containerPort"))) is not None:
            ports.append(((text(pm.get("protocol")) or "tcp").lower(), port))
    env = [
        (name, value)
        for e in mappings(c.get("environment"))
        if isinstance(name := e.get("name"), str) and isinstance(value := e.get("value"), str)
    ]
    return Container(
        name=text(c.get("name")),
        ports=tuple(ports),
        env_refs=arn_refs(env, where),
        privileged=flag(c.get("privileged", False)),  # ECS default: false
    )
