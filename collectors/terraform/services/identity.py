"""Terraform IAM roles, policies, attachments and instance profiles, trails and flow logs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from collectors.aws.records import Record
from collectors.aws.services import identity as idn
from collectors.aws.services.identity.trust import workload_identity
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.evaluate import refs_of
from collectors.terraform.resource_policy import policy_is_public


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _statement(st: Mapping[str, object]) -> idn.Statement | None:
    effect = v.string(st.get("Effect"))
    if effect not in ("Allow", "Deny"):
        return None  # an effect the files do not determine
    not_action, not_resource = "NotAction" in st, "NotResource" in st
    actions = _items(st.get("NotAction" if not_action else "Action"))
    if any(v.string(a) is None for a in actions):
        return None  # an action the files do not determine: nothing is claimed
    excluded = _items(st.get("NotResource")) if not_resource else []
    if any(v.string(i) is None and not refs_of(i) for i in excluded):
        return None  # "everything except <unknown>" could exclude any datastore
    literals: list[str] = []
    refs: set[str] = set()
    for item in _items(st.get("NotResource" if not_resource else "Resource")):
        if (text := v.string(item)) is not None:
            literals.append(text)
        else:  # an ARN built from a reference: aws_s3_bucket.b.arn, "${...arn}/*"
            refs |= refs_of(item)
    return idn.Statement(
        effect,
        tuple(a for a in map(v.string, actions) if a is not None),
        tuple(literals),
        tuple(sorted(refs)),
        not_action=not_action,
        not_resource=not_resource,
        conditional=bool(st.get("Condition")),
    )


def statements(policy: object) -> tuple[idn.Statement, ...]:
    """The statements of a policy document (jsonencode, literal, heredoc or template)."""
    doc = v.json_document(policy)
    raw = doc.get("Statement") if isinstance(doc, Mapping) else None
    out = []
    for st in _items(raw):
        if isinstance(st, Mapping) and (parsed := _statement(st)) is not None:
            out.append(parsed)
    return tuple(out)


def role(b: Block) -> list[Record]:
    """A role, its `inline_policy` blocks and its `managed_policy_arns`."""
    name = v.string(b.body.get("name"))
    out: list[Record] = [
        idn.IamRole(
            b.address,
            b.address,
            b.evidence(),
            key=v.asset_key("iam", "role", name),
            name=name,
            assumable_by_anyone=policy_is_public(v.json_document(b.body.get("assume_role_policy"))),
            workload_identity=workload_identity(v.json_document(b.body.get("assume_role_policy"))),
        )
    ]
    for i, inline in enumerate(v.blocks(b.body, "inline_policy")):
        out.append(
            idn.IamPolicy(
                f"{b.address}#inline_policy[{i}]",
                b.address,
                b.nested_evidence(inline, "inline_policy"),
                name=v.string(inline.get("name")),
                role=b.address,
                statements=statements(inline.get("policy")),
            )
        )
    for i, arn in enumerate(v.refs(b.body.get("managed_policy_arns"))):
        out.append(
            idn.IamPolicyAttachment(
                f"{b.address}#managed_policy_arns[{i}]",
                b.address,
                b.evidence("managed_policy_arns"),
                role=b.address,
                policy=arn,
            )
        )
    return out


def policy(b: Block) -> idn.IamPolicy:
    name = v.string(b.body.get("name"))
    return idn.IamPolicy(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("iam", "policy", name),
        name=name,
        statements=statements(b.body.get("policy")),
    )


def role_policy(b: Block) -> idn.IamPolicy:
    name, role_name = v.string(b.body.get("name")), v.string(b.body.get("role"))
    return idn.IamPolicy(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key(
            "iam", "role-policy", f"{role_name}/{name}" if role_name and name else None
        ),
        name=name,
        role=v.ref(b.body.get("role")),
        statements=statements(b.body.get("policy")),
    )


def role_policy_attachment(b: Block) -> idn.IamPolicyAttachment:
    return idn.IamPolicyAttachment(
        b.address,
        b.address,
        b.evidence(),
        role=v.ref(b.body.get("role")),
        policy=v.ref(b.body.get("policy_arn")),
    )


def policy_attachment(b: Block) -> list[Record]:
    """aws_iam_policy_attachment: one policy attached to several roles (users and groups
    are not compute identities, so they are not read)."""
    policy_arn = v.ref(b.body.get("policy_arn"))
    return [
        idn.IamPolicyAttachment(
            f"{b.address}#roles[{i}]", b.address, b.evidence(), role=ref, policy=policy_arn
        )
        for i, ref in enumerate(v.refs(b.body.get("roles")))
    ]


def instance_profile(b: Block) -> idn.InstanceProfile:
    name = v.string(b.body.get("name"))
    return idn.InstanceProfile(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("iam", "instance-profile", name),
        name=name,
        role=v.ref(b.body.get("role")),
    )


def trail(b: Block) -> idn.Trail:
    name = v.string(b.body.get("name"))
    return idn.Trail(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("cloudtrail", "trail", name),
        name=name,
        # Provider defaults: enable_logging true, is_multi_region_trail false,
        # include_global_service_events true, enable_log_file_validation false.
        logging=v.boolean(b.body.get("enable_logging", True)),
        multi_region=v.boolean(b.body.get("is_multi_region_trail", False)),
        global_events=v.boolean(b.body.get("include_global_service_events", True)),
        log_validation=v.boolean(b.body.get("enable_log_file_validation", False)),
        bucket=v.ref(b.body.get("s3_bucket_name")),
    )


def flow_log(b: Block) -> idn.FlowLog:
    traffic = v.string(b.body.get("traffic_type"))
    return idn.FlowLog(
        b.address,
        b.address,
        b.evidence(),
        vpc=v.ref(b.body.get("vpc_id")),
        traffic_type=traffic.upper() if traffic else None,
    )


# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_iam_role": role,
    "aws_iam_policy": policy,
    "aws_iam_role_policy": role_policy,
    "aws_iam_role_policy_attachment": role_policy_attachment,
    "aws_iam_policy_attachment": policy_attachment,
    "aws_iam_instance_profile": instance_profile,
    "aws_cloudtrail": trail,
    "aws_flow_log": flow_log,
}
