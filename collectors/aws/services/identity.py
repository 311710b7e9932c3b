"""AWS service family 'identity': IAM permission flows, CloudTrail and VPC flow logs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.flows import DB_PROTOCOL
from scanner.model import Element, Evidence, Flow, facts

# --- records ----------------------------------------------------------------------------


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


# --- AWS managed policies ----------------------------------------------------------------


# AWS managed policy documents (AWS Managed Policy Reference Guide), abridged to the
# statements that grant datastore actions (all on Resource "*"). Others grant none.
_MANAGED = {
    "AdministratorAccess": "*",
    "AmazonS3FullAccess": "s3:* s3-object-lambda:*",
    "AmazonS3ReadOnlyAccess": "s3:Get* s3:List* s3:Describe*",
    "AmazonDynamoDBFullAccess": "dynamodb:*",
    "AmazonDynamoDBReadOnlyAccess": "dynamodb:BatchGetItem dynamodb:GetItem dynamodb:Query "
    "dynamodb:Scan",
    "AmazonSQSFullAccess": "sqs:*",
    "AmazonSNSFullAccess": "sns:*",
    "AmazonKinesisFullAccess": "kinesis:*",
    "SecretsManagerReadWrite": "secretsmanager:*",
}
MANAGED = {k: (Statement("Allow", tuple(a.split()), ("*",)),) for k, a in _MANAGED.items()}
MANAGED["PowerUserAccess"] = (
    Statement("Allow", ("iam:*", "organizations:*", "account:*"), ("*",), not_action=True),
)
_MANAGED_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?(?P<name>[^/]+)$")

# --- datastores and the actions that read or write them ----------------------------------

_DATA = {
    "s3": "GetObject PutObject DeleteObject",
    "dynamodb": "GetItem BatchGetItem Query Scan PutItem UpdateItem DeleteItem BatchWriteItem",
    "sqs": "SendMessage ReceiveMessage",
    "sns": "Publish",
    "kinesis": "PutRecord PutRecords GetRecords",
    "secretsmanager": "GetSecretValue",
    "kms": "Decrypt Encrypt GenerateDataKey",
    "rds-db": "connect",
    "ssm": "GetParameter GetParameters GetParametersByPath PutParameter",
}
DATA_ACTIONS = {svc: tuple(f"{svc}:{a}" for a in names.split()) for svc, names in _DATA.items()}
_ALIASES = {"rds": "rds-db"}  # key / ARN service -> the IAM service of its data actions
_TF_SERVICE = {"aws_s3_bucket": "s3", "aws_db_instance": "rds", "aws_rds_cluster": "rds"}
_TF_SERVICE |= {"aws_dynamodb_table": "dynamodb", "aws_sqs_queue": "sqs", "aws_sns_topic": "sns"}
_TF_SERVICE |= {"aws_kinesis_stream": "kinesis", "aws_kms_key": "kms", "aws_ssm_parameter": "ssm"}
_TF_SERVICE |= {"aws_secretsmanager_secret": "secretsmanager"}
_BY_TYPE = {"object-store": "s3", "relational-db": "rds", "document-db": "dynamodb"}
_BY_TYPE |= {"stream": "kinesis", "key-store": "kms"}  # queue and secret-store: ambiguous
_TF_TYPE = re.compile(r"(?:^|\.)(aws_[a-z0-9_]+)\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?$")
_SECRET_SUFFIX = re.compile(r"-(?:[A-Za-z0-9?]{6}|\*)$")  # the random suffix of secret ARNs

R = TypeVar("R", bound=r.Record)


@dataclass(frozen=True)
class _Store:
    element: Element
    ref: str
    service: str
    name: str | None


@dataclass(frozen=True)
class _Grant:
    statement: Statement
    evidence: tuple[Evidence, ...]


def _glob(pattern: str, text: str, fold: bool = False) -> bool:
    """IAM wildcard match: `*` any run, `?` one character."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, re.IGNORECASE if fold else 0) is not None


def _find(records: Iterable[R], ident: str | None) -> R | None:
    """The record a reference, name or ARN (`arn:...:role/path/name`) identifies."""
    if ident is None:
        return None
    records = tuple(records)
    name = ident.rsplit("/", 1)[-1] if ident.startswith("arn:") else ident
    return next((x for x in records if x.ref == ident), None) or next(
        (x for x in records if getattr(x, "name", None) == name), None
    )


def _service(el: Element) -> str | None:
    """The IAM service whose data actions reach a datastore element: from its key, ARN
    or Terraform type, and only when none says, from its catalogue type."""
    m = _TF_TYPE.search(el.resource)
    if el.key:
        named = el.key.split(":", 1)[0]
    elif el.resource.startswith("arn:"):
        named = el.resource.split(":")[2]
    else:
        named = _TF_SERVICE.get(m[1], "") if m else _BY_TYPE.get(el.type, "")
    service = _ALIASES.get(named, named)
    return service if service in DATA_ACTIONS else None


def _arn_name(service: str, resource: str) -> str:
    """The name part of an ARN's resource (bucket, table/NAME, secret:NAME, ...)."""
    if service in ("sqs", "sns"):
        return resource
    if service == "s3":
        return resource.split("/", 1)[0]
    if service == "secretsmanager":
        return resource.removeprefix("secret:")
    if service == "rds-db":
        return resource.removeprefix("dbuser:").split("/", 1)[0]
    if service == "ssm":  # parameter/NAME, the name's leading "/" dropped
        return resource.removeprefix("parameter/")
    return resource.split("/")[1] if "/" in resource else resource


def _names(pattern: str, store: _Store) -> bool:
    """Does a literal Resource pattern cover the datastore?"""
    if pattern == "*" or (
        store.element.resource.startswith("arn:") and _glob(pattern, store.element.resource)
    ):
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not _glob(parts[2], store.service):
        return False
    name = _arn_name(store.service, parts[5])
    if not name.strip("*"):
        return True
    if store.name is None:
        return False
    if store.service == "secretsmanager" and _glob(_SECRET_SUFFIX.sub("", name), store.name):
        return True
    return _glob(name, store.name.lstrip("/") if store.service == "ssm" else store.name)


def _covers(st: Statement, store: _Store) -> bool:
    named = store.ref in st.resource_refs or any(_names(p, store) for p in st.resources)
    return not named if st.not_resource else named


def _acts(st: Statement, service: str) -> set[str]:
    """The service's data actions a statement names."""
    acts = DATA_ACTIONS[service]
    hit = {a for a in acts if any(_glob(p, a, fold=True) for p in st.actions)}
    return set(acts) - hit if st.not_action else hit


# --- who runs as which role ----------------------------------------------------------------


def _role(inv: r.Inventory, rec: object) -> IamRole | None:
    """The IAM role a record runs as: its `role`, or its `instance_profile`'s role."""
    ident = getattr(rec, "role", None)
    profile = getattr(rec, "instance_profile", None)
    if ident is None and isinstance(profile, str):
        found = _find(inv.of(InstanceProfile), profile)
        ident = found.role if found else None
    return _find(inv.of(IamRole), ident) if isinstance(ident, str) else None


def role_of(ctx: Context, element_ref: str) -> str | None:
    """The ref of the IAM role a compute element's record runs as, if in the scope."""
    inv = ctx.inv
    records = (*inv.functions, *inv.instances, *inv.extra)
    role = _role(inv, next((x for x in records if x.ref == element_ref), None))
    return role.ref if role else None


def _grants(inv: r.Inventory, role: IamRole) -> list[_Grant]:
    """Every statement that applies to a role, with the blocks that state it."""
    out: list[_Grant] = []
    policies = inv.of(IamPolicy)
    for inline in policies:
        if inline.role is not None and _find((role,), inline.role):
            out += [_Grant(s, (inline.evidence,)) for s in inline.statements]
    managed = [p for p in policies if p.role is None]
    for att in inv.of(IamPolicyAttachment):
        if not _find((role,), att.role) or att.policy is None:
            continue
        if m := _MANAGED_ARN.match(att.policy):
            out += [_Grant(s, (att.evidence,)) for s in MANAGED.get(m["name"], ())]
        elif policy := _find(managed, att.policy):
            out += [_Grant(s, (policy.evidence, att.evidence)) for s in policy.statements]
    return out


# --- flows -------------------------------------------------------------------------------


def _stores(ctx: Context) -> list[_Store]:
    out = []
    for rec in (*ctx.inv.buckets, *ctx.inv.db_instances, *ctx.inv.extra):
        el = ctx.element(rec.ref)
        service = _service(el) if el is not None and el.kind == "datastore" else None
        if el is not None and service is not None:
            name = getattr(rec, "name", None) or getattr(rec, "identifier", None)
            out.append(_Store(el, rec.ref, service, name if isinstance(name, str) else None))
    return out


def _transport(store: _Store) -> tuple[str, int | None]:
    """AWS APIs take HTTPS on 443; IAM database authentication opens a DB session."""
    if store.service != "rds-db":
        return "https", 443
    port = store.element.fact("port")
    engine = str(store.element.fact("engine") or "").lower()
    return DB_PROTOCOL.get(engine, "tcp"), port if isinstance(port, int) else None


def _label(st: Statement, granted: set[str]) -> list[str]:
    if st.not_action:
        return [f"all actions but {', '.join(st.actions)}"]
    return [p for p in st.actions if any(_glob(p, a, fold=True) for a in granted)]


def _flow(src: Element, role: IamRole, store: _Store, grants: list[_Grant]) -> Flow | None:
    """The `reachable` flow a role's grants open to a datastore, after explicit denies.

    An unconditional Deny removes the actions it names; an Allow with a Condition still
    opens the flow, marked conditional, when no unconditional Allow does."""
    relevant = [g for g in grants if _covers(g.statement, store)]
    denied: set[str] = set()
    for g in relevant:
        if g.statement.effect == "Deny" and not g.statement.conditional:
            denied |= _acts(g.statement, store.service)
    allows = [(g, _acts(g.statement, store.service) - denied) for g in relevant]
    allows = [(g, acts) for g, acts in allows if g.statement.effect == "Allow" and acts]
    used = [x for x in allows if not x[0].statement.conditional] or allows
    if not used:
        return None
    conditional = " (conditional)" if used[0][0].statement.conditional else ""
    labels = dict.fromkeys(label for g, acts in used for label in _label(g.statement, acts))
    protocol, port = _transport(store)
    return Flow(
        src.id,
        store.element.id,
        protocol,
        port,
        basis="reachable",
        derivation=(
            f"inferred{conditional}: {role.address} allows {', '.join(labels)} "
            f"on {store.element.resource}"
        ),
        tls=True if protocol == "https" else None,
        authn="aws-iam",
        evidence=tuple(dict.fromkeys(ev for g, _ in used for ev in g.evidence)),
    )


def permission_flows(ctx: Context) -> list[Flow]:
    """For each compute element, flows to the datastores its role may read or write."""
    stores = _stores(ctx)
    grants: dict[str, list[_Grant]] = {}
    out: list[Flow] = []
    for rec in (*ctx.inv.instances, *ctx.inv.functions, *ctx.inv.extra):
        src = ctx.element(rec.ref)
        role = _role(ctx.inv, rec) if src is not None and src.kind == "process" else None
        if src is None or role is None:
            continue
        if role.ref not in grants:
            grants[role.ref] = _grants(ctx.inv, role)
        out += [f for st in stores if (f := _flow(src, role, st, grants[role.ref])) is not None]
    return out


# --- audit -------------------------------------------------------------------------------


def _any(values: Iterable[bool | None]) -> bool | None:
    """True if one is True; None if one is unknown; False if all are False (or none)."""
    values = list(values)
    return True if True in values else (None if None in values else False)


def _audit(ctx: Context) -> None:
    """CloudTrail facts on the account zone; VPC flow logs on their VPC's zone."""
    trails = ctx.inv.of(Trail)
    logging = [None if t.conditional else t.logging for t in trails]  # may not exist
    on = [t for t, state in zip(trails, logging, strict=True) if state is True]
    audit = facts(
        audit_trail=_any(logging) if trails else None,
        audit_multi_region=_any(t.multi_region for t in on) if on else None,
        audit_global_events=_any(t.global_events for t in on) if on else None,
        audit_log_validation=_any(t.log_validation for t in on) if on else None,
    )
    for t in on or trails:
        ctx.note_zone(ctx.account, audit, t.evidence)
    by_vpc: dict[str, list[FlowLog]] = {}
    for fl in ctx.inv.of(FlowLog):
        if fl.vpc is not None and not fl.conditional:
            by_vpc.setdefault(fl.vpc, []).append(fl)
    for vpc, logs in sorted(by_vpc.items()):
        kinds = {fl.traffic_type for fl in logs}
        both = "ALL" in kinds or {"ACCEPT", "REJECT"} <= kinds
        traffic = "ALL" if both else next(iter(kinds)) if len(kinds) == 1 else None
        for fl in logs:
            ctx.note_zone(
                ctx.eid(vpc), facts(flow_logs=True, flow_log_traffic=traffic), fl.evidence
            )


def elements(ctx: Context) -> list[Flow]:
    """Note audit facts on zones; return the flows IAM permissions open to datastores."""
    _audit(ctx)
    return permission_flows(ctx)
