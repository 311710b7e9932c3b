"""A module's declared blocks, with override files merged, and count/for_each instance keys."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from collectors.terraform.datasources import DATA_SOURCES
from collectors.terraform.parse import Parsed


def section_items(section: object) -> Iterator[Mapping[str, Any]]:
    """The items of a python-hcl2 section (a list of mappings, or one mapping)."""
    if isinstance(section, list):
        yield from (s for s in section if isinstance(s, Mapping))
    elif isinstance(section, Mapping):
        yield section


def is_override(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in ("override.tf", "override.tf.json") or name.endswith(
        ("_override.tf", "_override.tf.json")
    )


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's override merge: arguments and nested block types replace the base's."""
    merged = dict(base)
    merged.update({k: v for k, v in override.items() if not k.startswith("__")})
    return merged


def named_blocks(
    docs: list[Parsed], section: str
) -> Iterator[tuple[Parsed, str, Mapping[str, Any]]]:
    """Named blocks of one kind (variable, module, output), with override files merged."""
    found: dict[str, tuple[Parsed, Mapping[str, Any]]] = {}
    for parsed in sorted(docs, key=lambda p: is_override(p.rel)):
        for item in section_items((parsed.document or {}).get(section)):
            for name, body in item.items():
                if not isinstance(body, Mapping):
                    continue
                if is_override(parsed.rel) and name in found:
                    base_parsed, base = found[name]
                    found[name] = (base_parsed, _merge(base, body))
                else:
                    found[name] = (parsed, body)
    for name, (parsed, body) in found.items():
        yield parsed, name, body


def resource_bodies(docs: list[Parsed]) -> list[tuple[Parsed, str, str, Mapping[str, Any]]]:
    """Resource blocks in file order, with override files merged into them."""
    found: dict[tuple[str, str], tuple[Parsed, Mapping[str, Any]]] = {}
    for parsed in sorted(docs, key=lambda p: is_override(p.rel)):
        for item in section_items((parsed.document or {}).get("resource")):
            for rtype, named in item.items():
                if not isinstance(named, Mapping):
                    continue
                for name, body in named.items():
                    if not isinstance(body, Mapping):
                        continue
                    key = (rtype, name)
                    if is_override(parsed.rel) and key in found:
                        base_parsed, base = found[key]
                        found[key] = (base_parsed, _merge(base, body))
                    else:
                        found[key] = (parsed, body)
    return [(p, t, n, b) for (t, n), (p, b) in found.items()]


def local_bodies(docs: list[Parsed]) -> dict[str, Any]:
    """Every `locals` value, unevaluated, override files last."""
    locals_: dict[str, Any] = {}
    for parsed in sorted(docs, key=lambda p: is_override(p.rel)):
        for item in section_items((parsed.document or {}).get("locals")):
            locals_.update({k: v for k, v in item.items() if not k.startswith("__")})
    return locals_


def data_bodies(docs: list[Parsed]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The data blocks of the types that can be evaluated offline, by (type, name)."""
    return {
        (dtype, name): body
        for parsed in docs
        for item in section_items((parsed.document or {}).get("data"))
        for dtype, named in item.items()
        if isinstance(named, Mapping) and dtype in DATA_SOURCES
        for name, body in named.items()
        if isinstance(body, Mapping)
    }


def instance_keys(count: Any, for_each: Any) -> list[tuple[str, dict[str, Any]]] | None:
    """[(address suffix, iteration names)], [("", {})] when not repeated, None if unknown."""
    if count is not None:
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count)  # Terraform converts "2" to a number
        if isinstance(count, bool) or not isinstance(count, int | float):
            return None
        return [(f"[{i}]", {"count.index": i}) for i in range(int(count))]
    if for_each is not None:
        if isinstance(for_each, dict):
            pairs = sorted(for_each.items())
        elif isinstance(for_each, list) and all(isinstance(v, str) for v in for_each):
            pairs = [(v, v) for v in sorted(set(for_each))]
        else:
            return None
        return [(f"[{json.dumps(k)}]", {"each.key": k, "each.value": v}) for k, v in pairs]
    return [("", {})]
