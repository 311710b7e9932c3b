"""Plain-JSON readers shared by the storage, databases and messaging transforms.

Typed access to response fields (a wrong type reads as unknown, never as a crash), and
whether a resource policy is public. The Terraform side answers that question in
collectors/terraform/resource_policy.py, over evaluated HCL values that may hold
`Unknown`s; AWS hands back plain JSON text, so this is the same analysis for plain JSON
(same verdicts statement by statement), without the Terraform-only value types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

# --- typed field access -------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def flag(value: Any) -> bool | None:
    """A JSON boolean, else None (unknown)."""
    return value if isinstance(value, bool) else None


def number(value: Any) -> int | None:
    """A positive integer (ports), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def section(raw: Any, name: str) -> Mapping[str, Any]:
    """The object under `name`, or {} when it is missing or not an object."""
    value = raw.get(name) if isinstance(raw, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (anything else in it, or a non-list, is dropped)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def strings(items: Any, key: str | None = None) -> tuple[str, ...]:
    """Strings of a list, or the string field `key` of each object in it, deduplicated
    in order (`VpcSecurityGroups[].VpcSecurityGroupId`, `SubnetIds[]`)."""
    if not isinstance(items, list):
        return ()
    values: Iterable[Any] = items if key is None else (m.get(key) for m in mappings(items))
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def asset_key(service: str, kind: str, name: str | None) -> str | None:
    """The source-neutral key the Terraform builders give (`values.asset_key`)."""
    return f"{service}:{kind}:{name}" if name else None


# --- resource policies --------------------------------------------------------------------


def policy_text_is_public(document: Any) -> bool | None:
    """Whether a policy given as JSON text (as AWS returns it) is public; unreadable
    text is unknown."""
    if not isinstance(document, str):
        return None
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return policy_is_public(parsed)


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
            unknown = True
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
        if anyone and _owner_only(st.get("Condition")):
            continue  # "*" narrowed to one account or organisation (SNS's default policy)
        if anyone and st.get("Condition"):
            unknown = True  # conditions are not evaluated: not confirmed either way
        elif anyone:
            public = True
    if public:
        return None if narrowed else True
    return None if unknown else False


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
            maybe = maybe or any(not isinstance(i, str) for i in items)
        return anyone, maybe
    return False, principal is not None


_OWNER_KEYS = frozenset(
    {"aws:sourceowner", "aws:sourceaccount", "aws:principalaccount", "aws:principalorgid"}
)


def _owner_only(condition: Any) -> bool:
    """Does an equality test pin the caller (or the source) to literal account or
    organisation ids? Then "*" means "anyone in that account", not the public."""
    if not isinstance(condition, Mapping):
        return False
    for operator, test in condition.items():
        if not isinstance(test, Mapping) or str(operator) not in ("StringEquals", "ArnEquals"):
            continue
        for key, value in test.items():
            values = value if isinstance(value, list) else [value]
            literal = all(isinstance(v, str) and v and "*" not in v for v in values)
            if str(key).lower() in _OWNER_KEYS and literal:
                return True
    return False


def _transport_only(condition: Any) -> bool:
    """A condition only on aws:SecureTransport narrows how, not who (DenyInsecureTransport)."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for test in condition.values():
        if not isinstance(test, Mapping) or set(test) != {"aws:SecureTransport"}:
            return False
    return True
