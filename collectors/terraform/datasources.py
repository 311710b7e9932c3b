"""Data sources whose result is a pure function of their arguments, evaluated offline.

Most data sources ask the provider (an AMI, an account id): those stay unknown. A few
only compute from their arguments; the most common is `aws_iam_policy_document`, which
builds the JSON policies that bucket, queue and key policies are written with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from collectors.terraform.evaluate import Unknown, is_known, refs_of


def _list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _principals(blocks: Any) -> Any:
    out: dict[str, Any] = {}
    for p in blocks if isinstance(blocks, list) else []:
        if not isinstance(p, Mapping) or p.get("__unknown__"):
            return Unknown()  # a dynamic block over unknown items
        kind, ids = p.get("type"), p.get("identifiers")
        if kind == "*":
            return "*"
        if isinstance(kind, str):
            out[kind] = ids
    return out


def _statement(block: Mapping[str, Any]) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
    for key, name in (
        ("sid", "Sid"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if key in block:
            st[name] = _list(block[key]) if key != "sid" else block[key]
    if "principals" in block:
        st["Principal"] = _principals(block["principals"])
    if "not_principals" in block:
        st["NotPrincipal"] = _principals(block["not_principals"])
    conditions: dict[str, Any] = {}
    for c in block.get("condition", []) if isinstance(block.get("condition"), list) else []:
        if not isinstance(c, Mapping) or c.get("__unknown__") or not isinstance(c.get("test"), str):
            st["Condition"] = Unknown()  # a condition the files do not determine
            return st
        conditions.setdefault(c["test"], {})[str(c.get("variable"))] = c.get("values")
    if conditions:
        st["Condition"] = conditions
    return st


def _statements_of(document: Any) -> list[Any]:
    """The statements of a source or override document (Unknown when not readable)."""
    if isinstance(document, Unknown) and isinstance(document.partial, Mapping):
        document = document.partial
    elif isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return [Unknown()]
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        return [statements]
    return list(statements) if isinstance(statements, list) else [Unknown()]


def policy_document(body: Mapping[str, Any]) -> dict[str, Any]:
    """`data "aws_iam_policy_document"`: its `json` attribute (known or partly known).

    Statements of `source_policy_documents` and `override_policy_documents` are added
    (overrides are not matched by Sid: more statements, never fewer); a statement from
    a `dynamic` block over unknown items is an unknown statement."""
    merged: list[Any] = []
    for key in ("source_policy_documents", "override_policy_documents"):
        sources = body.get(key) or []
        for source in sources if isinstance(sources, list) else [Unknown()]:
            merged += _statements_of(source)
    blocks = body.get("statement", [])
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, Mapping) and not block.get("__unknown__"):
            merged.append(_statement(block))
        else:
            merged.append(Unknown())
    doc = {"Version": body.get("version", "2012-10-17"), "Statement": merged}
    text: Any
    if is_known(doc):
        text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
    else:
        text = Unknown(frozenset(refs_of(doc)), partial=doc)
    return {"json": text, "minified_json": text}


DATA_SOURCES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "aws_iam_policy_document": policy_document,
}
