"""Accessors over evaluated Terraform values: known data, `Ref`s and `Unknown`s.

Record builders read attributes through these. Anything not known (an `Unknown`, a
`Ref` where a literal is wanted) reads as None, so an unresolved value is unknown,
never a default and never false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from collectors.terraform.evaluate import Ref, Unknown


def meta_line(body: Mapping[str, Any], key: str = "__start_line__") -> int | None:
    """A block's first line (or, with key="__end_line__", its last) from python-hcl2."""
    line = body.get(key)
    return line if isinstance(line, int) else None


def refs_in(value: object) -> Iterator[tuple[str, str | None]]:
    """Every (resource address, attribute) a value refers to, known or not."""
    if isinstance(value, Ref):
        yield value.address, value.attr
    elif isinstance(value, Unknown):
        for address in sorted(value.refs):
            yield address, None
        if value.partial is not None:
            yield from refs_in(value.partial)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not k.startswith("__"):
                yield from refs_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from refs_in(v)


_ADDRESS = re.compile(r"(?:^|\.)(?P<type>[a-z][a-z0-9_]*)\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?$")


def address_type(address: str) -> str | None:
    """The resource type of an address: `module.net.aws_subnet.a[0]` gives `aws_subnet`."""
    m = _ADDRESS.search(address)
    return m["type"] if m else None


def ref(value: object) -> str | None:
    """What a single-valued attribute points at: a resource address, or a literal id.

    `aws_vpc.main.id` gives `aws_vpc.main`; a literal (`vpc-0abc`) is itself; anything
    unknown is None.
    """
    if isinstance(value, Ref):
        return value.address
    if isinstance(value, str) and "${" not in value:
        return value
    return None


def refs(value: object) -> tuple[str, ...]:
    """Refs of a list attribute (security_groups, subnet_ids); unknown items dropped."""
    if isinstance(value, list):
        return tuple(dict.fromkeys(r for item in value if (r := ref(item)) is not None))
    if isinstance(value, Unknown):
        return tuple(sorted(value.refs))
    one = ref(value)
    return (one,) if one is not None else ()


def is_complete(value: object) -> bool:
    """True when a list attribute holds only readable items."""
    if isinstance(value, list):
        return all(ref(v) is not None for v in value)
    return ref(value) is not None


def asset_key(service: str, kind: str, name: str | None) -> str | None:
    """The source-neutral identity of a record (`rds:db-instance:orders`), when named."""
    return f"{service}:{kind}:{name}" if name else None


def upper(value: object) -> str | None:
    """A literal string in upper case; "" and unknowns are None."""
    text = string(value)
    return text.upper() if text else None


def is_set(value: object) -> bool | None:
    """An optional id attribute: absent, null or "" is unset; a reference or an id is
    set; anything else is unknown."""
    if value is None or value == "":
        return False
    return True if ref(value) is not None else None


def string(value: object) -> str | None:
    return value if isinstance(value, str) and "${" not in value else None


def boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return None


def integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def strings(value: object) -> tuple[str, ...] | None:
    """A list of literal strings, or None when any item is not known."""
    if isinstance(value, str):
        return (value,) if "${" not in value else None
    if isinstance(value, list):
        out = [string(v) for v in value]
        return None if any(v is None for v in out) else tuple(v for v in out if v is not None)
    return None


def blocks(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """Nested blocks of one type (python-hcl2 gives a list of dicts)."""
    value = body.get(name)
    if isinstance(value, list):
        return [b for b in value if isinstance(b, Mapping)]
    if isinstance(value, Mapping):
        return [value]
    return []


def first_block(body: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    found = blocks(body, name)
    return found[0] if found else None


def json_document(value: object) -> dict[str, Any] | list[Any] | None:
    """A JSON policy document: from jsonencode(), a literal or heredoc, or a template.

    Parts the files do not determine (an ARN built from a reference) are opaque
    placeholders inside the document; None when no document can be read.
    """
    if isinstance(value, Unknown):
        value = value.partial  # jsonencode() structure, or template text with holes
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict | list) else None
