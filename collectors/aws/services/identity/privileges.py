"""Which compute runs as an administrator: `Action: *` on `Resource: *`, allowed outright.

A compute element whose role is granted an unconditioned Allow of every action on
every resource (inline, customer managed, or AWS's AdministratorAccess), with no Deny
that could carve it back, gets the fact `iam_admin` and an `iam-role` part (the role,
with the statement that grants it as evidence). Other roles add nothing: "not an
administrator" is not worth a fact on every function, and a role with a policy the scan
cannot read is not judged.
"""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.identity.permissions import Grant, compute_roles, grants_of
from collectors.aws.services.identity.records import (
    Statement,
)
from scanner.model import Part, facts

_EVERYTHING = frozenset({"*", "*:*"})


def _admin(st: Statement) -> bool:
    """An Allow of every action on every resource, with no condition to narrow it."""
    return (
        st.effect == "Allow"
        and not st.conditional
        and not st.not_action
        and not st.not_resource
        and bool(_EVERYTHING & set(st.actions))
        and "*" in st.resources
    )


def note_privileges(ctx: Context) -> None:
    """Mark each compute element whose role is known with the role and its admin fact."""
    cache: dict[str, Grant | None] = {}
    for ref, _, role in compute_roles(ctx):
        if role.ref not in cache:
            grants = grants_of(ctx.inv, role)
            admin = next((g for g in grants if _admin(g.statement)), None)
            denied = any(g.statement.effect == "Deny" for g in grants)
            cache[role.ref] = None if denied else admin
        grant = cache[role.ref]
        if grant is None:
            continue
        part = Part(
            "iam-role",
            role.name or role.address,
            role.address,
            facts(admin=True),
            evidence=tuple(dict.fromkeys((role.evidence, *grant.evidence))),
        )
        ctx.extend(ref, {"iam_admin": True}, (part,))
