"""Flows from compute elements to the datastores their IAM roles may read or write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.flows import DB_PROTOCOL
from collectors.aws.services.compute.records import EcsTaskDefinition, LaunchTemplate
from collectors.aws.services.compute.records import find as find_record
from collectors.aws.services.identity.policies import (
    MANAGED,
    MANAGED_ARN,
    Store,
    covers,
    glob_match,
    named_actions,
    service_of,
)
from collectors.aws.services.identity.records import (
    IamPolicy,
    IamPolicyAttachment,
    IamRole,
    InstanceProfile,
    Statement,
)
from scanner.model import Element, Evidence, Flow

R = TypeVar("R", bound=r.Record)


@dataclass(frozen=True)
class Grant:
    statement: Statement
    evidence: tuple[Evidence, ...]


def find_named(records: Iterable[R], ident: str | None) -> R | None:
    """The record a reference, name or ARN (`arn:...:role/path/name`) identifies."""
    if ident is None:
        return None
    records = tuple(records)
    name = ident.rsplit("/", 1)[-1] if ident.startswith("arn:") else ident
    return next((x for x in records if x.ref == ident), None) or next(
        (x for x in records if getattr(x, "name", None) == name), None
    )


# --- who runs as which role ----------------------------------------------------------------


def _runs_with(inv: r.Inventory, rec: object) -> object:
    """The record that states the identity: an Auto Scaling group's or node group's
    launch template, an ECS service's task definition, else the record itself."""
    template = getattr(rec, "launch_template", None)
    if isinstance(template, str):
        found = find_record(inv.of(LaunchTemplate), template)
        if found is not None:
            return found
    task = getattr(rec, "task_definition", None)
    if isinstance(task, str):
        found_task = find_record(inv.of(EcsTaskDefinition), task, name="family")
        if found_task is not None:
            return found_task
    return rec


def role_for(inv: r.Inventory, rec: object) -> IamRole | None:
    """The IAM role a record runs as: its `role` (an ECS task role), or its
    `instance_profile`'s role, following launch templates and task definitions."""
    ident = getattr(rec, "role", None)
    profile = getattr(rec, "instance_profile", None)
    if ident is None and profile is None:
        rec = _runs_with(inv, rec)
        ident = getattr(rec, "role", None) or getattr(rec, "task_role", None)
        profile = getattr(rec, "instance_profile", None)
    if ident is None and isinstance(profile, str):
        found = find_named(inv.of(InstanceProfile), profile)
        ident = found.role if found else None
    return find_named(inv.of(IamRole), ident) if isinstance(ident, str) else None


def role_of(ctx: Context, element_ref: str) -> str | None:
    """The ref of the IAM role a compute element's record runs as, if in the scope."""
    inv = ctx.inv
    records = (*inv.functions, *inv.instances, *inv.extra)
    role = role_for(inv, next((x for x in records if x.ref == element_ref), None))
    return role.ref if role else None


def grants_of(inv: r.Inventory, role: IamRole) -> list[Grant]:
    """Every statement that applies to a role, with the blocks that state it."""
    out: list[Grant] = []
    policies = inv.of(IamPolicy)
    for inline in policies:
        if inline.role is not None and find_named((role,), inline.role):
            out += [Grant(s, (inline.evidence,)) for s in inline.statements]
    managed = [p for p in policies if p.role is None]
    for att in inv.of(IamPolicyAttachment):
        if not find_named((role,), att.role) or att.policy is None:
            continue
        if m := MANAGED_ARN.match(att.policy):
            out += [Grant(s, (att.evidence,)) for s in MANAGED.get(m["name"], ())]
        elif policy := find_named(managed, att.policy):
            out += [Grant(s, (policy.evidence, att.evidence)) for s in policy.statements]
    return out


# --- flows -------------------------------------------------------------------------------


def _stores(ctx: Context) -> list[Store]:
    out = []
    for rec in (*ctx.inv.buckets, *ctx.inv.db_instances, *ctx.inv.extra):
        el = ctx.element(rec.ref)
        service = service_of(el) if el is not None and el.kind == "datastore" else None
        if (
            service == "rds-db"
            and el is not None
            and el.fact("iam_database_authentication") is not True
        ):
            # rds-db:connect opens nothing on a database that does not take IAM tokens:
            # the network and the database's own users decide who connects.
            continue
        if el is not None and service is not None:
            name = getattr(rec, "name", None) or getattr(rec, "identifier", None)
            out.append(Store(el, rec.ref, service, name if isinstance(name, str) else None))
    return out


def _transport(store: Store) -> tuple[str, int | None]:
    """AWS APIs take HTTPS on 443; IAM database authentication opens a DB session."""
    if store.service != "rds-db":
        return "https", 443
    port = store.element.fact("port")
    engine = str(store.element.fact("engine") or "").lower()
    return DB_PROTOCOL.get(engine, "tcp"), port if isinstance(port, int) else None


def _label(st: Statement, granted: set[str]) -> list[str]:
    if st.not_action:
        return [f"all actions but {', '.join(st.actions)}"]
    return [p for p in st.actions if any(glob_match(p, a, fold=True) for a in granted)]


def _flow(src: Element, role: IamRole, store: Store, grants: list[Grant]) -> Flow | None:
    """The `reachable` flow a role's grants open to a datastore, after explicit denies.

    An unconditional Deny removes the actions it names; an Allow with a Condition still
    opens the flow, marked conditional, when no unconditional Allow does."""
    relevant = [g for g in grants if covers(g.statement, store)]
    denied: set[str] = set()
    for g in relevant:
        if g.statement.effect == "Deny" and not g.statement.conditional:
            denied |= named_actions(g.statement, store.service)
    allows = [(g, named_actions(g.statement, store.service) - denied) for g in relevant]
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


def compute_roles(ctx: Context) -> list[tuple[str, Element, IamRole]]:
    """Each compute element (by record ref) whose role is in the scope, with the role."""
    out = []
    for rec in (*ctx.inv.instances, *ctx.inv.functions, *ctx.inv.extra):
        src = ctx.element(rec.ref)
        role = role_for(ctx.inv, rec) if src is not None and src.kind == "process" else None
        if src is not None and role is not None:
            out.append((rec.ref, src, role))
    return out


WORKLOAD_ROLE = "iam-role:"  # the source of a role's grant flows (see Fragment.grants)


def workload_grants(ctx: Context) -> list[Flow]:
    """For each role Kubernetes workloads may assume (IRSA, EKS Pod Identity), the flows
    its permissions open, from `iam-role:<role name>@<role address>`: a join with the
    workloads that run as the role turns them into the workloads' flows."""
    stores = _stores(ctx)
    out: list[Flow] = []
    for role in ctx.inv.of(IamRole):
        if role.workload_identity is not True or not role.name:
            continue
        holder = Element(
            f"{WORKLOAD_ROLE}{role.name}@{role.address}", "process", "container", role.name, ""
        )
        grants = grants_of(ctx.inv, role)
        out += [f for st in stores if (f := _flow(holder, role, st, grants)) is not None]
    return out


def permission_flows(ctx: Context) -> list[Flow]:
    """For each compute element, flows to the datastores its role may read or write."""
    stores = _stores(ctx)
    grants: dict[str, list[Grant]] = {}
    out: list[Flow] = []
    for _, src, role in compute_roles(ctx):
        if role.ref not in grants:
            grants[role.ref] = grants_of(ctx.inv, role)
        out += [f for st in stores if (f := _flow(src, role, st, grants[role.ref])) is not None]
    return out
