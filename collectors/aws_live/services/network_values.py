"""Typed reads of raw EC2 responses for the network module: never raise, None when odd.

The transforms must be total, so every field is read through these: a field of the
wrong type (a truncated or hand-edited recording, a changed API) is simply not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws_live.api import Where

# Protocol numbers AWS returns, spelled the way the Terraform builder records them.
_PROTOCOLS = {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp"}


def dicts(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list (a missing or failed list: none; odd items dropped)."""
    if not isinstance(value, list):
        return []
    return [x for x in value if isinstance(x, Mapping)]


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def texts(items: Any, key: str) -> tuple[str, ...]:
    """The distinct non-empty strings under `key` in a list of objects, in order."""
    return tuple(dict.fromkeys(t for x in dicts(items) if (t := text(x.get(key)))))


def flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def protocol(value: Any) -> str:
    """ "6"/"17"/"1" as "tcp"/"udp"/"icmp", "-1" for all, "?" when not stated."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    name = text(value)
    if name is None:
        return "?"
    return _PROTOCOLS.get(name.lower(), name.lower())


def ports(proto: str, low: Any, high: Any) -> tuple[int | None, int | None]:
    """A rule's port range; every port for "all protocols", as the Terraform builder has it."""
    if proto == "-1":
        return 0, 65535
    return number(low), number(high)


def ec2_arn(where: Where, kind: str, ident: str) -> str:
    """The ARN AWS documents for an EC2 resource (`vpc/vpc-…`), which responses omit."""
    return where.arn("ec2", f"{kind}/{ident}")
