"""Records of the AWS identity family: IAM roles and policies, trails, flow logs."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws import records as r


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement as far as the source states it (unknown items dropped)."""

    effect: str  # Allow | Deny
    actions: tuple[str, ...] = ()  # patterns; NotAction's patterns when not_action
    resources: tuple[str, ...] = ()  # literal ARN patterns ("*" = every resource)
    resource_refs: tuple[str, ...] = ()  # records whose ARN a Resource is built from
    not_action: bool = False
    not_resource: bool = False
    conditional: bool = False  # has a Condition (not evaluated)


@dataclass(frozen=True)
class IamRole(r.Record):
    name: str | None = None
    assumable_by_anyone: bool | None = None  # trust policy: any principal, no Condition
    workload_identity: bool | None = None  # trust policy admits IRSA or EKS Pod Identity


@dataclass(frozen=True)
class IamPolicy(r.Record):
    """A customer managed policy, or (`role` set) a role's inline policy."""

    name: str | None = None
    role: str | None = None  # inline: the role's ref, name or ARN
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class IamPolicyAttachment(r.Record):
    role: str | None = None  # role ref, name or ARN
    policy: str | None = None  # policy ref, or a policy ARN (customer or AWS managed)


@dataclass(frozen=True)
class InstanceProfile(r.Record):
    name: str | None = None
    role: str | None = None  # role ref, name or ARN


@dataclass(frozen=True)
class Trail(r.Record):  # AWS defaults applied by the source where it states none
    name: str | None = None
    logging: bool | None = None
    multi_region: bool | None = None
    global_events: bool | None = None
    log_validation: bool | None = None
    bucket: str | None = None  # ref or name of the bucket it writes to


@dataclass(frozen=True)
class FlowLog(r.Record):
    vpc: str | None = None  # VPC ref (None: a subnet, ENI or transit gateway flow log)
    traffic_type: str | None = None  # ACCEPT | REJECT | ALL
    unread: bool = False  # the VPC's flow logs could not be listed: whether any exists is unknown
