"""AWS service family 'identity': IAM permission flows, CloudTrail and VPC flow logs."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.identity.audit import note_audit
from collectors.aws.services.identity.permissions import (
    WORKLOAD_ROLE,
    permission_flows,
    role_of,
    workload_grants,
)
from collectors.aws.services.identity.policies import DATA_ACTIONS, MANAGED
from collectors.aws.services.identity.privileges import note_privileges
from collectors.aws.services.identity.records import (
    FlowLog,
    IamPolicy,
    IamPolicyAttachment,
    IamRole,
    InstanceProfile,
    Statement,
    Trail,
)
from scanner.model import Flow

__all__ = [
    "DATA_ACTIONS",
    "MANAGED",
    "WORKLOAD_ROLE",
    "FlowLog",
    "IamPolicy",
    "IamPolicyAttachment",
    "IamRole",
    "InstanceProfile",
    "Statement",
    "Trail",
    "elements",
    "permission_flows",
    "role_of",
]


def elements(ctx: Context) -> list[Flow]:
    """Note audit facts on zones and administrator roles on compute; return the flows
    IAM permissions open to datastores."""
    note_audit(ctx)
    note_privileges(ctx)
    ctx.grants.extend(workload_grants(ctx))
    return permission_flows(ctx)
