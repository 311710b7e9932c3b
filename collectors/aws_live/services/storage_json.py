"""Plain-JSON readers shared by the storage, databases and messaging transforms.

Typed access to response fields (a wrong type reads as unknown, never as a crash), and
whether a resource policy is public: the analysis Terraform uses too
(collectors/aws/policy_public.py), over the plain JSON AWS returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from collectors.aws.policy_public import public_grant

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
    """Does a resource policy read live grant anyone access (see `public_grant`; "*"
    pinned to the account or organisation by a condition is not public)?"""
    return public_grant(document, owner_narrows=True)
