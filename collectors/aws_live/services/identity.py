"""Live IAM of one account: roles, their policies and attachments, instance profiles.

One GetAccountAuthorizationDetails call (paginated) gives every role with its trust
policy, inline policies, attached policy ARNs and instance profiles, and every customer
managed policy with its versions. AWS managed policies are not read: an attachment
keeps their ARN, which the mapping resolves from its own abridged documents.

Policy documents are parsed here, not with the Terraform collector's parser, which
reads Terraform values (references, unknowns) and would drop IAM policy variables like
`${aws:username}` as unresolved: a live document is plain JSON, every item literal.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from collectors.aws.policy_public import public_grant
from collectors.aws.record_base import Record
from collectors.aws.services.identity.records import (
    IamPolicy,
    IamPolicyAttachment,
    IamRole,
    InstanceProfile,
    Statement,
)
from collectors.aws.services.identity.trust import workload_identity
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_fields import keyed, mappings, text

CLIENTS: tuple[str, ...] = ("iam",)
GLOBAL: bool = True


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """Roles and customer managed policies (users and groups are not compute
    identities), and every instance profile (also those without a role)."""
    iam = apis["iam"]
    return {
        "details": iam.call(
            "GetAccountAuthorizationDetails", Filter=["Role", "LocalManagedPolicy"]
        ),
        "InstanceProfiles": iam.items("ListInstanceProfiles", "InstanceProfiles"),
    }


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """IamRole, IamPolicy, IamPolicyAttachment and InstanceProfile records (pure)."""
    details = keyed(raw.get("details"))
    out: list[Record] = []
    profiles: list[object] = []
    for role in mappings(details.get("RoleDetailList")):
        if (arn := text(role.get("Arn"))) is not None:
            out += _role(role, arn, where)
            profiles += mappings(role.get("InstanceProfileList"))
    out += [_policy(p, where) for p in mappings(details.get("Policies")) if text(p.get("Arn"))]
    seen: set[str] = set()
    for profile in [*profiles, *mappings(raw.get("InstanceProfiles"))]:
        found = _profile(profile, where)
        if found is not None and found.ref not in seen:
            seen.add(found.ref)
            out.append(found)
    return out


# --- records ---------------------------------------------------------------------------


def _role(role: Mapping[str, Any], arn: str, where: Where) -> list[Record]:
    """A role, its inline policies and its attached (customer or AWS managed) policies."""
    name = text(role.get("RoleName"))
    out: list[Record] = [
        IamRole(
            arn,
            arn,
            where.evidence(arn),
            key=f"iam:role:{name}" if name else None,
            name=name,
            assumable_by_anyone=open_to_anyone(document(role.get("AssumeRolePolicyDocument"))),
            workload_identity=workload_identity(document(role.get("AssumeRolePolicyDocument"))),
        )
    ]
    for inline in mappings(role.get("RolePolicyList")):
        policy = text(inline.get("PolicyName"))
        ref = f"{arn}#inline-policy/{policy or '?'}"
        out.append(
            IamPolicy(
                ref,
                ref,
                where.evidence(arn, detail=f"inline policy {policy or '?'}"),
                key=f"iam:role-policy:{name}/{policy}" if name and policy else None,
                name=policy,
                role=arn,
                statements=statements(document(inline.get("PolicyDocument"))),
            )
        )
    for attached in mappings(role.get("AttachedManagedPolicies")):
        if (policy_arn := text(attached.get("PolicyArn"))) is not None:
            ref = f"{arn}#attached/{policy_arn}"
            out.append(
                IamPolicyAttachment(
                    ref,
                    ref,
                    where.evidence(arn, detail=f"attached policy {policy_arn}"),
                    role=arn,
                    policy=policy_arn,
                )
            )
    return out


def _policy(policy: Mapping[str, Any], where: Where) -> IamPolicy:
    """A customer managed policy as its default version states it."""
    arn = str(policy["Arn"])
    name = text(policy.get("PolicyName")) or arn.rsplit("/", 1)[-1]
    default = text(policy.get("DefaultVersionId"))
    versions = mappings(policy.get("PolicyVersionList"))
    current = next((v for v in versions if v.get("IsDefaultVersion") is True), None) or next(
        (v for v in versions if default and v.get("VersionId") == default), None
    )
    return IamPolicy(
        arn,
        arn,
        where.evidence(arn, detail=f"default version {default or '?'}"),
        key=f"iam:policy:{name}",
        name=name,
        statements=statements(document(current.get("Document"))) if current else (),
    )


def _profile(profile: object, where: Where) -> InstanceProfile | None:
    """An instance profile and the one role it can hold."""
    body = keyed(profile)
    if (arn := text(body.get("Arn"))) is None:
        return None
    name = text(body.get("InstanceProfileName"))
    roles = [a for r in mappings(body.get("Roles")) if (a := text(r.get("Arn")))]
    return InstanceProfile(
        arn,
        arn,
        where.evidence(arn),
        key=f"iam:instance-profile:{name}" if name else None,
        name=name,
        role=roles[0] if roles else None,
    )


# --- policy documents ------------------------------------------------------------------


def document(value: object) -> Mapping[str, Any] | None:
    """A policy document: boto3 decodes IAM's URL-encoded JSON into an object; the raw
    API's text form is decoded here too. None when it cannot be read."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str):
        return None
    for candidate in (value, urllib.parse.unquote(value)):
        try:
            doc = json.loads(candidate)
        except ValueError:
            continue
        return doc if isinstance(doc, Mapping) else None
    return None


def statements(doc: object) -> tuple[Statement, ...]:
    """The statements of an identity policy (malformed ones dropped: nothing claimed)."""
    out = []
    raw = doc.get("Statement") if isinstance(doc, Mapping) else None
    for st in mappings([raw] if isinstance(raw, Mapping) else raw):
        effect = st.get("Effect")
        not_action, not_resource = "NotAction" in st, "NotResource" in st
        actions = _items(st.get("NotAction" if not_action else "Action"))
        resources = _items(st.get("NotResource" if not_resource else "Resource"))
        if effect not in ("Allow", "Deny") or actions is None or resources is None:
            continue
        out.append(
            Statement(
                str(effect),
                actions,
                resources,
                not_action=not_action,
                not_resource=not_resource,
                conditional=bool(st.get("Condition")),
            )
        )
    return tuple(out)


def open_to_anyone(doc: object) -> bool | None:
    """Does a trust (or resource) policy Allow any principal without a Condition? (the
    Terraform collector's semantics: see `public_grant`)."""
    return public_grant(doc)


# --- plain JSON readers --------------------------------------------------------------------


def _items(value: object) -> tuple[str, ...] | None:
    """A string-or-list field (Action, Resource); None when an item is not a string."""
    items = _list(value)
    return tuple(items) if all(isinstance(i, str) for i in items) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
