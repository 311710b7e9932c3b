"""Whether an IAM policy document grants any principal access without a narrowing condition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.terraform.evaluate import HOLE, Unknown


def _anyone(principal: Any) -> tuple[bool, bool]:
    """(grants everyone, cannot tell) for a statement's Principal."""
    if principal == "*":
        return True, False
    if isinstance(principal, str):
        return False, False
    if isinstance(principal, Mapping):
        anyone = maybe = False
        for value in principal.values():
            items = value if isinstance(value, list) else [value]
            anyone = anyone or "*" in items
            maybe = maybe or any(not _specific(i) for i in items)
        return anyone, maybe
    return False, principal is not None  # a reference or an unknown value


def _specific(item: Any) -> bool:
    """A principal that is known not to be "*": a string, or text with a hole in it
    (`arn:aws:iam::${account}:root` names one account whatever the account is)."""
    if isinstance(item, str):
        return True
    partial = item.partial if isinstance(item, Unknown) else None
    return isinstance(partial, str) and partial.strip() not in ("", HOLE)


def _transport_only(condition: Any) -> bool:
    """A condition only on aws:SecureTransport narrows how, not who (DenyInsecureTransport)."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for test in condition.values():
        if not isinstance(test, Mapping) or set(test) != {"aws:SecureTransport"}:
            return False
    return True


def policy_is_public(document: Any) -> bool | None:
    """Does a resource policy Allow any principal without a narrowing condition?

    True only when an Allow grants "*" (or NotPrincipal) with no Condition and no Deny
    could narrow it; a Condition, a Deny (other than a SecureTransport one), or a part
    that cannot be read makes the answer unknown, never false.
    """
    if not isinstance(document, Mapping):
        return None
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    unknown = public = narrowed = False
    for st in statements:
        if not isinstance(st, Mapping):
            unknown = True  # a statement the files do not determine
            continue
        effect = st.get("Effect", "Allow")
        if effect == "Deny":
            narrowed = narrowed or not _transport_only(st.get("Condition"))
            continue
        if effect != "Allow":
            unknown = True
            continue
        # Allow to everyone except the listed principals is as open as "*".
        anyone, maybe = _anyone("*" if "NotPrincipal" in st else st.get("Principal"))
        unknown = unknown or maybe
        if anyone and st.get("Condition"):
            unknown = True  # conditions are not evaluated: not confirmed either way
        elif anyone:
            public = True
    if public:
        return None if narrowed else True
    return None if unknown else False
