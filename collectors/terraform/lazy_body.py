"""Block bodies evaluated on first read, with `dynamic` blocks expanded under their label."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from collectors.terraform.evaluate import Env, Unknown, evaluate_value
from collectors.terraform.module_declarations import section_items
from collectors.terraform.values import meta_line


class UnknownBlock(Mapping[str, Any]):
    """The blocks a `dynamic` block makes when its for_each is unknown: how many there are
    and every value in them is unknown. Every attribute reads as Unknown, even one asked
    for with a default, so no provider default is assumed for it."""

    def __init__(self, line: int | None) -> None:
        self._meta = {"__unknown__": True, "__start_line__": line}

    def __getitem__(self, key: str) -> Any:
        return self._meta[key] if key in self._meta else Unknown()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._meta)

    def __len__(self) -> int:
        return len(self._meta)


class LazyBody(Mapping[str, Any]):
    """A block body whose attributes are evaluated when first read.

    Record builders read a handful of attributes per resource; tags, descriptions and
    the rest are never evaluated. `dynamic` blocks appear as the nested blocks they
    generate, under their label.
    """

    def __init__(self, raw: Mapping[str, Any], env: Env, base: set[str] | None = None) -> None:
        self._raw = raw
        self._env = env
        self._cache: dict[str, Any] = {}
        self._deps: set[str] = set(base or ())
        self._dynamic: dict[str, Mapping[str, Any]] = {
            label: spec
            for item in section_items(raw.get("dynamic"))
            for label, spec in item.items()
            if isinstance(spec, Mapping)
        }
        self._keys = [k for k in raw if k != "dynamic"]
        self._keys += [label for label in self._dynamic if label not in raw]

    def __getitem__(self, key: str) -> Any:
        if key in self._cache:
            return self._cache[key]
        if key not in self._raw and key not in self._dynamic:
            raise KeyError(key)
        value = self._raw.get(key)
        if key.startswith("__"):
            out: Any = value
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            out = [LazyBody(v, self._env) for v in value]
        elif key in self._raw:
            with self._env.tracker.collect() as deps:
                out = evaluate_value(value, self._env)
            self._deps |= deps
        else:
            out = []
        if key in self._dynamic:
            with self._env.tracker.collect() as deps:
                generated = _dynamic_blocks(key, self._dynamic[key], self._env)
            self._deps |= deps
            out = [*(out if isinstance(out, list) else []), *generated]
        self._cache[key] = out
        return out

    def raw(self, key: str) -> Any:
        """An attribute as written, unevaluated (python-hcl2's text for expressions)."""
        return self._raw.get(key)

    def root_variables(self) -> set[str]:
        """The root variables behind every attribute read so far (nested blocks too)."""
        found = set(self._deps)
        for value in self._cache.values():
            for item in value if isinstance(value, list) else []:
                if isinstance(item, LazyBody):
                    found |= item.root_variables()
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _dynamic_blocks(label: str, spec: Mapping[str, Any], env: Env) -> list[Mapping[str, Any]]:
    content = next(iter(section_items(spec.get("content"))), None)
    if content is None:
        return []
    collection = evaluate_value(spec.get("for_each"), env)
    iterator = spec.get("iterator")
    name = iterator[2:-1] if isinstance(iterator, str) and iterator.startswith("${") else label
    if isinstance(collection, dict):
        pairs = sorted(collection.items())  # maps iterate in key order
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    else:
        # Unknown: a placeholder block whose every value is unknown.
        return [UnknownBlock(meta_line(content) or meta_line(spec))]
    return [
        LazyBody(content, env.with_iteration(**{name: {"key": k, "value": v}})) for k, v in pairs
    ]
