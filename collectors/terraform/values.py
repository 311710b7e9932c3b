"""Terraform values as python-hcl2 gives them: literals, `${...}` expressions, references.

An expression that cannot be resolved from the files stays a `${...}` string; the
accessors here return None for it, so an unresolved value reads as unknown, never as a
default or as false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

# A reference to a managed resource: aws_vpc.main, aws_subnet.a[0].id, aws_lb.web.arn.
_REF = re.compile(
    r"(?<![\w.$-])(?P<type>aws_[a-z0-9_]+)\.(?P<name>[A-Za-z_][\w-]*)"
    r"(?P<index>\[[^\]]*\])?(?:\.(?P<attr>[A-Za-z_]\w*))?"
)
_WHOLE = re.compile(r"^\$\{(?P<body>[^{}]*)\}$")
_SIMPLE = re.compile(r"(?<!\$)\$\{\s*(?P<ns>var|local)\.(?P<name>[A-Za-z_][\w-]*)\s*\}")


def is_expr(value: object) -> bool:
    return isinstance(value, str) and "${" in value


def meta_line(body: Mapping[str, Any], key: str = "__start_line__") -> int | None:
    """A block's first line (or, with key="__end_line__", its last) from python-hcl2."""
    line = body.get(key)
    return line if isinstance(line, int) else None


def refs_in(value: object) -> Iterator[tuple[str, str | None]]:
    """Every (resource address, attribute) referenced anywhere inside `value`."""
    if isinstance(value, str):
        if "${" in value:
            for m in _REF.finditer(value):
                yield f"{m['type']}.{m['name']}", m["attr"]
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not k.startswith("__"):
                yield from refs_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from refs_in(v)


def ref(value: object) -> str | None:
    """The record ref a single-valued attribute points at.

    `${aws_vpc.main.id}` gives `aws_vpc.main`; a literal (`vpc-0abc`) is itself;
    anything else (conditionals, function calls, unresolved variables) is None.
    """
    if not isinstance(value, str):
        return None
    if "${" not in value:
        return value
    m = _WHOLE.match(value)
    if not m:
        return None
    inner = _REF.fullmatch(m["body"].strip())
    return f"{inner['type']}.{inner['name']}" if inner else None


def refs(value: object) -> tuple[str, ...]:
    """Refs of a list attribute (security_groups, subnet_ids); unreadable items dropped."""
    if isinstance(value, str):
        one = ref(value)
        if one is not None:
            return (one,)
        # `${[aws_subnet.a.id, aws_subnet.b.id]}` or a splat: take every reference.
        return tuple(dict.fromkeys(addr for addr, _ in refs_in(value)))
    if isinstance(value, list):
        out = [r for item in value if (r := ref(item)) is not None]
        return tuple(dict.fromkeys(out))
    return ()


def is_complete(value: object) -> bool:
    """True when a list attribute holds only readable items."""
    if isinstance(value, list):
        return all(ref(v) is not None for v in value)
    return ref(value) is not None


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


def blocks(body: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """Nested blocks of one type (python-hcl2 gives a list of dicts)."""
    value = body.get(name)
    if isinstance(value, list):
        return [b for b in value if isinstance(b, dict)]
    if isinstance(value, dict):
        return [value]
    return []


def first_block(body: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    found = blocks(body, name)
    return found[0] if found else None


class Scope:
    """Values a module's own files define: variable defaults and locals."""

    def __init__(self, variables: Mapping[str, Any], locals_: Mapping[str, Any]) -> None:
        self._values = {"var": dict(variables), "local": dict(locals_)}

    def resolve(self, value: Any, _depth: int = 0) -> Any:
        """Substitute known `var.x` / `local.x`; leave everything else as written."""
        if _depth > 8:
            return value
        if isinstance(value, str) and "${" in value:
            return self._resolve_str(value, _depth)
        if isinstance(value, list):
            return [self.resolve(v, _depth) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v, _depth) for k, v in value.items()}
        return value

    def _lookup(self, ns: str, name: str, depth: int) -> tuple[bool, Any]:
        table = self._values[ns]
        if name not in table:
            return False, None
        value = self.resolve(table[name], depth + 1)
        return (not _unresolved(value)), value

    def _resolve_str(self, text: str, depth: int) -> Any:
        whole = _SIMPLE.fullmatch(text)
        if whole:
            ok, value = self._lookup(whole["ns"], whole["name"], depth)
            return value if ok else text

        def sub(m: re.Match[str]) -> str:
            ok, value = self._lookup(m["ns"], m["name"], depth)
            if ok and isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
            if ok and isinstance(value, bool):
                return "true" if value else "false"
            return m.group(0)

        return _SIMPLE.sub(sub, text)


def _unresolved(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    if isinstance(value, dict):
        return any(_unresolved(v) for k, v in value.items() if not k.startswith("__"))
    return False


_WHOLE_EXPR = re.compile(r"^\$\{.*\}$", re.S)
_JSONENCODE = re.compile(r"^\$\{jsonencode\((?P<arg>.*)\)\}$", re.S)


def json_document(value: object) -> dict[str, Any] | list[Any] | None:
    """A JSON policy from a literal/heredoc string or a `jsonencode({...})` expression.

    Expressions inside the document (ARNs built from references, `format(...)` calls)
    become opaque `${...}` strings; returns None when the document cannot be read.
    """
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        return None
    m = _JSONENCODE.match(value.strip())
    if m:
        text = m["arg"]
    elif _WHOLE_EXPR.match(value.strip()):
        return None  # a data source's .json, templatefile(), file(): not in the files
    else:
        text = value
    for candidate in (text, None):
        try:
            doc = json.loads(candidate if candidate is not None else _quote_bare(text))
        except ValueError:
            continue
        return doc if isinstance(doc, dict | list) else None
    return None


def _read_string(text: str, start: int) -> tuple[str, int]:
    """A double-quoted HCL string at `start`; quotes inside `${...}` do not end it."""
    out: list[str] = []
    j, depth = start + 1, 0
    while j < len(text):
        c = text[j]
        if depth == 0 and c == "\\":
            out.append(text[j : j + 2])
            j += 2
            continue
        if depth == 0 and c == '"':
            return "".join(out), j + 1
        if text.startswith("${", j):
            depth += 1
            out.append("${")
            j += 2
            continue
        if depth and c == "{":
            depth += 1
        elif depth and c == "}":
            depth -= 1
        out.append(c)
        j += 1
    raise ValueError("unterminated string")


def _quote_bare(text: str) -> str:
    """Make HCL's rendering of an object JSON: quote bare expressions and odd strings."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            content, i = _read_string(text, i)
            out.append(json.dumps(content) if "${" in content else f'"{content}"')
        elif c in "{}[],:" or c.isspace():
            out.append(c)
            i += 1
        else:
            j, nest = i, 0
            while j < n and (nest > 0 or text[j] not in ",}]:"):
                if text[j] in "([{":
                    nest += 1
                elif text[j] in ")]}":
                    nest -= 1
                elif text[j] == '"':
                    j = _read_string(text, j)[1]
                    continue
                j += 1
            token = text[i:j].strip()
            if re.fullmatch(r"-?\d+(\.\d+)?|true|false|null", token):
                out.append(token)
            else:
                out.append(json.dumps("${" + token + "}"))
            i = j
    return "".join(out)
