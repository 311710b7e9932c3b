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
        if not isinstance(p, Mapping):
            continue
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
        if isinstance(c, Mapping) and isinstance(c.get("test"), str):
            conditions.setdefault(c["test"], {})[str(c.get("variable"))] = c.get("values")
    if conditions:
        st["Condition"] = conditions
    return st


def policy_document(body: Mapping[str, Any]) -> dict[str, Any]:
    """`data "aws_iam_policy_document"`: its `json` attribute (known or partly known)."""
    statements = body.get("statement", [])
    doc = {
        "Version": body.get("version", "2012-10-17"),
        "Statement": [
            _statement(s)
            for s in statements
            if isinstance(statements, list) and isinstance(s, Mapping)
        ],
    }
    text: Any
    if is_known(doc):
        text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
    else:
        text = Unknown(frozenset(refs_of(doc)), partial=doc)
    return {"json": text, "minified_json": text}


DATA_SOURCES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "aws_iam_policy_document": policy_document,
}
