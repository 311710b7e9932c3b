"""Records of the AWS compute family, and how a reference finds one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from collectors.aws import records as r
from scanner.model import Evidence


@dataclass(frozen=True)
class FunctionUrl(r.Record):
    function: str | None = None  # ref of the function, or its literal name or ARN
    auth_type: str | None = None  # NONE | AWS_IAM


@dataclass(frozen=True)
class LambdaPermission(r.Record):
    function: str | None = None
    action: str | None = None
    principal: str | None = None
    url_auth_type: str | None = None  # the function_url_auth_type condition
    scoped: bool = False  # source_arn, source_account or principal_org_id narrows it


@dataclass(frozen=True)
class LaunchTemplate(r.Record):
    """A launch template or launch configuration: what every instance starts with."""

    name: str | None = None
    security_groups: tuple[str, ...] = ()
    public_ip: bool | None = None  # None: the subnet's map_public_ip_on_launch decides
    http_tokens: str | None = None  # IMDS: required | optional (None = not stated)
    calls: tuple[str, ...] = ()  # refs named in user data
    instance_profile: str | None = None


@dataclass(frozen=True)
class AutoScalingGroup(r.Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()
    launch_template: str | None = None
    target_groups: tuple[str, ...] = ()
    min_size: int | None = None
    max_size: int | None = None
    desired: int | None = None
    classic_elbs: tuple[str, ...] = ()  # `load_balancers`: classic ELBs by name or ref


@dataclass(frozen=True)
class AutoScalingAttachment(r.Record):
    group: str | None = None
    target_group: str | None = None
    classic_elb: str | None = None  # `elb`


@dataclass(frozen=True)
class Container:
    name: str | None
    ports: tuple[tuple[str, int], ...]  # (protocol, containerPort)
    env_refs: tuple[tuple[str, str], ...]  # (env var name, ref)
    privileged: bool | None


@dataclass(frozen=True)
class EcsCluster(r.Record):
    name: str | None = None


@dataclass(frozen=True)
class EcsTaskDefinition(r.Record):
    family: str | None = None
    containers: tuple[Container, ...] | None = None  # None: definitions not readable
    task_role: str | None = None  # the role its containers run as


@dataclass(frozen=True)
class EcsTarget:
    target_group: str | None
    port: int | None  # container_port
    evidence: Evidence


@dataclass(frozen=True)
class EcsService(r.Record):
    name: str | None = None
    cluster: str | None = None
    task_definition: str | None = None
    launch_type: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_ip: bool | None = None  # assign_public_ip (None: no awsvpc network config)
    targets: tuple[EcsTarget, ...] = ()
    desired: int | None = None


@dataclass(frozen=True)
class EksCluster(r.Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_endpoint: bool | None = None
    private_endpoint: bool | None = None
    public_cidrs: tuple[str, ...] | None = None
    secrets_kms_key: bool | None = None  # envelope encryption of secrets with a KMS key
    audit_logging: bool | None = None
    endpoint_evidence: Evidence | None = None


@dataclass(frozen=True)
class EksNodeGroup(r.Record):
    name: str | None = None
    cluster: str | None = None
    subnets: tuple[str, ...] = ()
    launch_template: str | None = None
    remote_port: int = 22  # 3389 for Windows AMI types
    remote_world: bool | None = None  # remote access opened to 0.0.0.0/0 by EKS
    remote_evidence: Evidence | None = None
    min_size: int | None = None
    max_size: int | None = None
    desired: int | None = None
    role: str | None = None  # the node role the kubelets and pods' hosts run as


T = TypeVar("T", bound=r.Record)


def find(records: Sequence[T], ref: str | None, name: str = "name") -> T | None:
    """The record a reference names: its ref, or its literal name (or an ARN ending in it)."""
    if not ref:
        return None
    tail = ref.rsplit("/", 1)[-1].split(":function:")[-1].split(":")[0]
    return next((x for x in records if x.ref == ref), None) or next(
        (x for x in records if getattr(x, name, None) in (ref, tail)), None
    )
