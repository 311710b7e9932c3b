"""Decide whether request inputs are bounded: types, lengths and sizes of schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.openapi.loader import YamlMap
from collectors.openapi.refs import Resolver
from collectors.openapi.spec import Field

NO_TYPE = "no type"
STRING = "string without maxLength"
ARRAY = "array without maxItems"
OPEN = "open additionalProperties"

DEPTH_LIMIT = 6  # property nesting walked inside a request body
NESTING_LIMIT = 32  # `allOf` / `$ref` nesting followed while merging one schema
WALK_BUDGET = 2000  # schema nodes visited per request body at most
BOUNDED_FORMATS = frozenset({"uuid", "date", "date-time", "time", "ipv4", "ipv6"})
_STRING_BOUNDS = ("maxLength", "enum", "const", "pattern")
_COMPOSED = ("oneOf", "anyOf")


@dataclass(frozen=True)
class Located:
    """A schema as written: its value, the file and the line of the key that holds it."""

    value: Any
    doc: str
    line: int | None


@dataclass
class Shape:
    """A schema's effective keywords after `$ref` and `allOf` are merged in."""

    ids: set[int] = field(default_factory=set)  # the mappings it was made from
    known: bool = True  # False: a broken or cyclic reference, nothing can be said
    types: list[str] = field(default_factory=list)
    keywords: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Located] = field(default_factory=dict)
    items: Located | None = None
    alternatives: list[Located] = field(default_factory=list)

    def absorb(self, other: Shape) -> None:
        """Add a member of `allOf` (or a `$ref` target): what is already set wins."""
        self.ids |= other.ids
        self.types = self.types or other.types
        for key, value in other.keywords.items():
            self.keywords.setdefault(key, value)
        for name, prop in other.properties.items():
            self.properties.setdefault(name, prop)
        self.items = self.items or other.items
        self.alternatives.extend(other.alternatives)


class Bounds:
    """Schema shapes (cached per mapping) and the reasons an input is unbounded."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._shapes: dict[int, Shape] = {}
        self._active: set[int] = set()

    def shape(self, schema: Located) -> Shape:
        raw = schema.value
        if isinstance(raw, YamlMap) and "$ref" in raw and len(raw) > 1:  # 3.1: `$ref` + siblings
            return self._cached(raw)
        target = self._resolver.deref(raw, schema.doc, schema.line)
        if target is None:
            return Shape(known=False)
        if target.value is True:  # 3.1 boolean schema: anything goes
            return Shape()
        if not isinstance(target.value, YamlMap):
            return Shape(known=False)
        return self._cached(target.value)

    def _cached(self, mapping: YamlMap) -> Shape:
        key = id(mapping)
        if key in self._active or len(self._active) >= NESTING_LIMIT:
            return Shape(ids={key}, known=False)  # a schema that contains itself: stop here
        if key not in self._shapes:
            self._active.add(key)
            try:
                self._shapes[key] = self._own(mapping)
            finally:
                self._active.discard(key)
        return self._shapes[key]

    def _own(self, mapping: YamlMap) -> Shape:
        shape = Shape(ids={id(mapping)})
        kind = mapping.get("type")
        named = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
        shape.types = [k for k in named if k != "null"] or named  # `[string, "null"]`: string
        for key in (*_STRING_BOUNDS, "format", "maxItems", "additionalProperties", "readOnly"):
            if key in mapping:
                shape.keywords[key] = mapping[key]
        props = mapping.get("properties")
        if isinstance(props, YamlMap):
            for name, prop in props.items():
                shape.properties[name] = Located(prop, props.doc, props.key_line(name))
        if "items" in mapping:
            shape.items = Located(mapping["items"], mapping.doc, mapping.key_line("items"))
        for key in _COMPOSED:
            members = mapping.get(key)
            for member in members if isinstance(members, list) else []:
                line = member.line if isinstance(member, YamlMap) else mapping.key_line(key)
                shape.alternatives.append(Located(member, mapping.doc, line))
        parts: list[Shape] = []
        members = mapping.get("allOf")
        for member in members if isinstance(members, list) else []:
            line = member.line if isinstance(member, YamlMap) else mapping.key_line("allOf")
            parts.append(self.shape(Located(member, mapping.doc, line)))
        if "$ref" in mapping:
            target = self._resolver.deref(mapping, mapping.doc, mapping.line)
            value = target.value if target is not None else None
            parts.append(self._cached(value) if isinstance(value, YamlMap) else Shape(known=False))
        for part in parts:
            shape.absorb(part)
        if not shape.types and any(not part.known for part in parts):
            shape.known = False  # the type may be in the part that cannot be read
        return shape

    def own_reasons(self, shape: Shape) -> list[str]:
        """Why this node itself is unbounded (not its properties or items)."""
        if not shape.known:
            return []
        kinds = shape.types or _implied(shape)
        if not kinds:
            if "enum" in shape.keywords or "const" in shape.keywords:
                return []
            return [] if shape.alternatives else [NO_TYPE]
        reasons: list[str] = []
        for kind in kinds:
            if kind == "string" and not _bounded_string(shape.keywords):
                reasons.append(STRING)
            elif kind == "array" and "maxItems" not in shape.keywords:
                reasons.append(ARRAY)
            elif kind == "object" and _open(shape.keywords.get("additionalProperties")):
                reasons.append(OPEN)
        return reasons

    def reasons(self, schema: Located, depth: int = 0) -> tuple[str, ...]:
        """Why a parameter is unbounded: its own reasons, its items' and its alternatives'."""
        shape = self.shape(schema)
        found = self.own_reasons(shape)
        if depth < DEPTH_LIMIT:
            nested = [shape.items] if shape.items is not None else []
            for part in (*nested, *(shape.alternatives if not shape.types else [])):
                found.extend(self.reasons(part, depth + 1))
        return tuple(dict.fromkeys(found))

    def body_fields(
        self, schema: Located | None, home: str, line: int | None, name: str = "body"
    ) -> list[Field]:
        """The unbounded nodes of a request body, named `body.items[].sku`; lines in `home`."""
        if schema is None:
            return [Field(name, "body", (NO_TYPE,), line)]
        walk = _Walk(home)
        self._walk(schema, name, line, 0, frozenset(), walk)
        return [
            Field(found, "body", tuple(dict.fromkeys(reasons)), at)
            for found, (reasons, at) in walk.found.items()
            if reasons
        ]

    def _walk(
        self,
        schema: Located,
        name: str,
        anchor: int | None,
        depth: int,
        path: frozenset[int],
        walk: _Walk,
    ) -> None:
        if walk.budget <= 0:
            return
        walk.budget -= 1
        line = schema.line if schema.doc == walk.home else anchor
        shape = self.shape(schema)
        if shape.ids & path or (depth and shape.keywords.get("readOnly") is True):
            return  # recursion, or not an input
        reasons, _ = walk.found.setdefault(name, ([], line))
        reasons.extend(self.own_reasons(shape))
        if depth >= DEPTH_LIMIT:
            return
        inner = path | shape.ids
        for key, prop in shape.properties.items():
            self._walk(prop, f"{name}.{key}", line, depth + 1, inner, walk)
        if shape.items is not None:
            self._walk(shape.items, f"{name}[]", line, depth + 1, inner, walk)
        for alternative in shape.alternatives if not shape.types else []:
            self._walk(alternative, name, line, depth + 1, inner, walk)


@dataclass
class _Walk:
    """One request body's walk: what was found under each name, and what is left to visit."""

    home: str
    found: dict[str, tuple[list[str], int | None]] = field(default_factory=dict)
    budget: int = WALK_BUDGET


def _implied(shape: Shape) -> list[str]:
    """The type a schema without `type` is evidently meant to have."""
    if shape.properties or "additionalProperties" in shape.keywords:
        return ["object"]
    return ["array"] if shape.items is not None else []


def _bounded_string(keywords: dict[str, Any]) -> bool:
    kind = keywords.get("format")
    return any(k in keywords for k in _STRING_BOUNDS) or (
        isinstance(kind, str) and kind in BOUNDED_FORMATS
    )


def _open(value: Any) -> bool:
    return value is True or (isinstance(value, YamlMap) and not value)
