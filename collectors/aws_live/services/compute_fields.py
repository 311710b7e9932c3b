"""Typed readers of raw responses (shared by the compute, identity and audit modules).

Transforms must be total: a field of an unexpected type reads as None (unknown) or as
nothing, never as an exception that would lose the whole module for the region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from collectors.aws_live.api import Where


def text(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def texts(value: object) -> tuple[str, ...]:
    """The non-empty strings of a list, in order, without repeats."""
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(x for x in value if isinstance(x, str) and x))


def integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def mappings(value: object) -> list[Mapping[str, Any]]:
    """The objects of a list (anything else in it is skipped)."""
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def keyed(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty one when the value is not an object."""
    return value if isinstance(value, Mapping) else {}


_QUEUE_URL = re.compile(
    r"^https://(?:sqs\.(?P<r1>[a-z0-9-]+)|(?P<r2>[a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<account>\d{12})/(?P<name>[\w.-]+)/?$"
)


def arn_refs(variables: Iterable[tuple[str, str]], where: Where) -> tuple[tuple[str, str], ...]:
    """(variable, ref) for env values that name a resource by its ref: an ARN as it is
    (records' refs are ARNs), or an SQS queue URL as its queue's ARN.

    The live twin of Terraform's env references: a deployed value is the resolved
    reference. Other values stay literals, which the mapping matches by name."""
    out = []
    for name, value in variables:
        if value.startswith("arn:"):
            out.append((name, value))
        elif m := _QUEUE_URL.match(value):
            region = m["r1"] or m["r2"]
            out.append((name, f"arn:{where.partition}:sqs:{region}:{m['account']}:{m['name']}"))
    return tuple(out)
