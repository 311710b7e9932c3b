"""Whether an IAM resource or trust policy grants any principal access, for every AWS
source: plain JSON read live, or Terraform values (whose `specific` test knows their
unresolved parts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_OWNER_KEYS = frozenset(
    {"aws:sourceowner", "aws:sourceaccount", "aws:principalaccount", "aws:principalorgid"}
)


def _is_text(item: Any) -> bool:
    return isinstance(item, str)


def public_grant(
    document: Any,
    specific: Callable[[Any], bool] = _is_text,
    owner_narrows: bool = False,
) -> bool | None:
    """Does a policy Allow any principal without a narrowing condition?

    True only when an Allow grants "*" (or NotPrincipal) with no Condition and no Deny
    could narrow it; a Condition, a Deny (other than a SecureTransport one), or a part
    that cannot be read makes the answer unknown, never false. `specific` says whether a
    principal item is known not to be "*"; with `owner_narrows`, an equality test
    pinning the caller to literal account or organisation ids (SNS's default topic
    policy) makes "*" not public.
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
            unknown = True  # a statement the source does not determine
            continue
        effect = st.get("Effect", "Allow")
        if effect == "Deny":
            narrowed = narrowed or not _transport_only(st.get("Condition"))
            continue
        if effect != "Allow":
            unknown = True
            continue
        # Allow to everyone except the listed principals is as open as "*".
        anyone, maybe = _anyone("*" if "NotPrincipal" in st else st.get("Principal"), specific)
        unknown = unknown or maybe
        if anyone and owner_narrows and _owner_only(st.get("Condition")):
            continue
        if anyone and st.get("Condition"):
            unknown = True  # conditions are not evaluated: not confirmed either way
        elif anyone:
            public = True
    if public:
        return None if narrowed else True
    return None if unknown else False


def _anyone(principal: Any, specific: Callable[[Any], bool]) -> tuple[bool, bool]:
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
            maybe = maybe or any(not specific(i) for i in items)
        return anyone, maybe
    return False, principal is not None  # a reference or an unknown value


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
