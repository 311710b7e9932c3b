"""Terraform module instances: variables, locals, outputs, count/for_each and nested modules.

A root module is loaded with its tfvars; every `module` call whose source is on disk
(a local path, or a module `terraform init` downloaded) becomes a child instance with
its inputs evaluated in the caller. Resources are expanded per count/for_each and
addressed as Terraform does (`module.net.aws_subnet.private[0]`). Evaluation is lazy
and memoised, so a value is computed once however many places read it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from collectors.terraform.blocks import Block
from collectors.terraform.datasources import DATA_SOURCES
from collectors.terraform.evaluate import Env, Ref, Tracker, Unknown, evaluate_value
from collectors.terraform.parse import Parsed
from collectors.terraform.values import meta_line
from scanner.model import Diagnostic

log = logging.getLogger(__name__)

_META_ARGS = {"source", "version", "count", "for_each", "providers", "depends_on"}


def _items(section: object) -> Iterator[Mapping[str, Any]]:
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


def _named(docs: list[Parsed], section: str) -> Iterator[tuple[Parsed, str, Mapping[str, Any]]]:
    """Named blocks of one kind (variable, module, output), with override files merged."""
    found: dict[str, tuple[Parsed, Mapping[str, Any]]] = {}
    for parsed in sorted(docs, key=lambda p: is_override(p.rel)):
        for item in _items((parsed.document or {}).get(section)):
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


@dataclass
class Resolver:
    """Finds module source directories: local paths, and what `terraform init` fetched."""

    load_dir: Callable[[str], list[Parsed]]  # dir (relative to scan root) -> parsed .tf
    read_text: Callable[[str], str | None]  # file (relative to scan root) -> text
    manifests: dict[str, dict[str, str]] = field(default_factory=dict)  # root -> key -> dir

    def source_dir(self, caller_dir: str, root_dir: str, key: str, source: str) -> str | None:
        """Where a module call's source is on disk, or None when it is not."""
        if source.startswith(("./", "../")) or source in (".", ".."):
            return _normpath(PurePosixPath(caller_dir) / source)
        if root_dir not in self.manifests:
            self.manifests[root_dir] = self._manifest(root_dir)
        found = self.manifests[root_dir].get(key)
        return _normpath(PurePosixPath(root_dir) / found) if found else None

    def _manifest(self, root_dir: str) -> dict[str, str]:
        """`.terraform/modules/modules.json`: module key -> directory (from the root)."""
        text = self.read_text(
            _normpath(PurePosixPath(root_dir) / ".terraform/modules/modules.json")
        )
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        modules = data.get("Modules", []) if isinstance(data, dict) else []
        return {
            str(m["Key"]): m["Dir"]
            for m in modules
            if isinstance(m, dict) and m.get("Key") and isinstance(m.get("Dir"), str)
        }


def _normpath(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."


class ModuleInstance:
    """One instance of a module: its own names, resources and children."""

    def __init__(
        self,
        directory: str,
        docs: list[Parsed],
        prefix: str,
        key: str,
        root: ModuleInstance | None,
        inputs: Callable[[str], tuple[bool, Any]],
        resolver: Resolver,
        diagnostics: list[Diagnostic],
        depth: int = 0,
        tracker: Tracker | None = None,
    ) -> None:
        self.directory = directory
        self.docs = docs
        self.prefix = prefix
        self.key = key  # manifest key: "" for the root, "vpc", "vpc.sg", ...
        self._root = root or self
        self.root_dir = self._root.directory
        self.resolver = resolver
        self.diagnostics = diagnostics
        self.depth = depth
        self._inputs = inputs
        self._variables: dict[str, Any] = {}
        self._var_deps: dict[str, set[str]] = {}
        self._expansion_deps: dict[tuple[str, str], set[str]] = {}
        self._outputs: tuple[dict[str, Any], set[str]] | None = None
        self._var_bodies = {name: body for _, name, body in _named(docs, "variable")}
        locals_: dict[str, Any] = {}
        for parsed in sorted(docs, key=lambda p: is_override(p.rel)):
            for item in _items((parsed.document or {}).get("locals")):
                locals_.update({k: v for k, v in item.items() if not k.startswith("__")})
        self._resource_list = self._resource_bodies()
        self._resources = {(t, n): (p, b) for p, t, n, b in self._resource_list}
        self._expansions: dict[tuple[str, str], list[tuple[str, dict[str, Any]]] | None] = {}
        self._calls = {name: (p, body) for p, name, body in _named(docs, "module")}
        self._children: dict[str, list[tuple[str, ModuleInstance]] | None] = {}
        self.env = Env(
            variables=_LazyMap(self._variable),
            locals_=locals_,
            resource=self._resource_value,
            module=self._module_value,
            path_module=directory,
            path_root=self.root_dir,
            data=self._data_value,
            tracker=tracker or Tracker(),
            var_deps=(lambda n: (n,)) if depth == 0 else (lambda n: self._var_deps.get(n, ())),
        )
        self._data_bodies = {
            (dtype, name): body
            for parsed in docs
            for item in _items((parsed.document or {}).get("data"))
            for dtype, named in item.items()
            if isinstance(named, Mapping) and dtype in DATA_SOURCES
            for name, body in named.items()
            if isinstance(body, Mapping)
        }
        self._data_cache: dict[tuple[str, str], Any] = {}

    # --- names -------------------------------------------------------------------------

    def _variable(self, name: str) -> Any:
        if name in self._variables:
            return self._variables[name]
        self._variables[name] = Unknown()  # guards cycles while evaluating
        with self.env.tracker.collect() as deps:
            given, value = self._inputs(name)
        self._var_deps[name] = deps
        if not given:
            body = self._var_bodies.get(name, {})
            value = evaluate_value(body["default"], _CONST_ENV) if "default" in body else Unknown()
        self._variables[name] = value
        return value

    def _resource_bodies(self) -> list[tuple[Parsed, str, str, Mapping[str, Any]]]:
        """Resource blocks in file order, with override files merged into them."""
        found: dict[tuple[str, str], tuple[Parsed, Mapping[str, Any]]] = {}
        for parsed in sorted(self.docs, key=lambda p: is_override(p.rel)):
            for item in _items((parsed.document or {}).get("resource")):
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

    def _expansion(self, rtype: str, name: str) -> list[tuple[str, dict[str, Any]]] | None:
        key = (rtype, name)
        if key not in self._expansions:
            self._expansions[key] = None
            body = self._resources[key][1]
            with self.env.tracker.collect() as deps:
                count = evaluate_value(body["count"], self.env) if "count" in body else None
                each = evaluate_value(body["for_each"], self.env) if "for_each" in body else None
            self._expansions[key] = instance_keys(count, each)
            self._expansion_deps[key] = deps
        return self._expansions[key]

    def _resource_value(self, rtype: str, name: str) -> Any:
        address = f"{self.prefix}{rtype}.{name}"
        if (rtype, name) not in self._resources:
            return Unknown()
        body = self._resources[(rtype, name)][1]
        keys = self._expansion(rtype, name)
        if keys is None:
            return Unknown(frozenset({address}))
        if "count" in body:
            return [Ref(f"{address}{suffix}") for suffix, _ in keys]
        if "for_each" in body:
            return {str(it["each.key"]): Ref(f"{address}{suffix}") for suffix, it in keys}
        return Ref(address)

    def _data_value(self, dtype: str, name: str) -> Any:
        key = (dtype, name)
        if key not in self._data_bodies:
            return Unknown()
        if key not in self._data_cache:
            self._data_cache[key] = Unknown()  # guards cycles
            body = self._data_bodies[key]
            if "count" in body or "for_each" in body:
                return Unknown()
            self._data_cache[key] = DATA_SOURCES[dtype](LazyBody(body, self.env))
        return self._data_cache[key]

    def _module_value(self, name: str) -> Any:
        children = self.children(name)
        if children is None:
            return Unknown()
        call = self._calls[name][1]
        outputs = [child.outputs() for _, child in children]
        if "count" in call:
            return outputs
        if "for_each" in call:
            return {suffix[2:-2]: out for (suffix, _), out in zip(children, outputs, strict=True)}
        return outputs[0] if outputs else Unknown()

    # --- children ----------------------------------------------------------------------

    def children(self, name: str) -> list[tuple[str, ModuleInstance]] | None:
        if name in self._children:
            return self._children[name]
        self._children[name] = None
        if name not in self._calls or self.depth > 32:
            return None
        parsed, call = self._calls[name]
        line = meta_line(call)
        source = call.get("source")
        key = f"{self.key}.{name}" if self.key else name
        if not isinstance(source, str) or "${" in source:
            self._diag(parsed.rel, line, f"module {name!r}: source is not a literal; not read")
            return None
        child_dir = self.resolver.source_dir(self.directory, self.root_dir, key, source)
        docs = self.resolver.load_dir(child_dir) if child_dir is not None else []
        if not docs:
            where = "is not on disk (run `terraform init` to fetch it)"
            if child_dir is not None:
                where = f"has no .tf files at {child_dir}"
            self._diag(parsed.rel, line, f"module {name!r} ({source}) {where}; not scanned")
            return None
        count = evaluate_value(call["count"], self.env) if "count" in call else None
        each = evaluate_value(call["for_each"], self.env) if "for_each" in call else None
        keys = instance_keys(count, each)
        if keys is None:
            self._diag(parsed.rel, line, f"module {name!r}: count/for_each unknown; not scanned")
            return None
        out = []
        for suffix, iteration in keys:
            env = self.env.with_iteration(**iteration)
            out.append(
                (
                    suffix,
                    ModuleInstance(
                        child_dir or ".",
                        docs,
                        f"{self.prefix}module.{name}{suffix}.",
                        key,
                        self._root,
                        _inputs_from(call, env),
                        self.resolver,
                        self.diagnostics,
                        self.depth + 1,
                        self.env.tracker,
                    ),
                )
            )
        self._children[name] = out
        return out

    def _diag(self, file: str, line: int | None, message: str) -> None:
        self.diagnostics.append(Diagnostic("warning", file, message, line))

    def outputs(self) -> dict[str, Any]:
        """The module's output values (computed once; reading them notes what they used)."""
        if self._outputs is None:
            self._outputs = ({}, set())
            with self.env.tracker.collect() as deps:
                values = {
                    name: evaluate_value(body.get("value"), self.env)
                    for _, name, body in _named(self.docs, "output")
                }
            self._outputs = (values, deps)
        self.env.tracker.note(self._outputs[1])
        return self._outputs[0]

    # --- blocks --------------------------------------------------------------------------

    def blocks(self) -> Iterator[Block]:
        """Every resource instance of this module and its descendants."""
        for parsed, rtype, name, body in self._resource_list:
            keys = self._expansion(rtype, name)
            conditional = keys is None
            if conditional:
                self.diagnostics.append(
                    Diagnostic(
                        "info",
                        parsed.rel,
                        f"{self.prefix}{rtype}.{name}: count/for_each is not known from the "
                        "files; it may not exist, so findings on it are unconfirmed",
                        meta_line(body),
                    )
                )
            for suffix, iteration in keys if keys is not None else [("", {})]:
                env = self.env.with_iteration(**iteration) if iteration else self.env
                if conditional:
                    env = self.env.with_iteration(
                        **{"count.index": Unknown(), "each.key": Unknown(), "each.value": Unknown()}
                    )
                evaluated = LazyBody(body, env, self._expansion_deps.get((rtype, name), set()))
                yield Block(
                    type=rtype,
                    name=name,
                    body=evaluated,
                    file=parsed.rel,
                    line=meta_line(body),
                    end_line=meta_line(body, "__end_line__"),
                    address=f"{self.prefix}{rtype}.{name}{suffix}",
                    conditional=conditional,
                )
        for name in sorted(self._calls):
            for _, child in self.children(name) or []:
                yield from child.blocks()


_CONST_ENV = Env(
    variables={},
    locals_={},
    resource=lambda t, n: Unknown(),
    module=lambda n: Unknown(),
)


class _LazyMap(Mapping[str, Any]):
    """A mapping whose values are computed on first access (module variables)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        self._compute = compute

    def __getitem__(self, key: str) -> Any:
        return self._compute(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._compute(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _inputs_from(call: Mapping[str, Any], env: Env) -> Callable[[str], tuple[bool, Any]]:
    cache: dict[str, Any] = {}

    def inputs(name: str) -> tuple[bool, Any]:
        if name in _META_ARGS or name not in call:
            return False, None
        if name not in cache:
            cache[name] = Unknown()
            cache[name] = evaluate_value(call[name], env)
        return True, cache[name]

    return inputs


def root_inputs(values: Mapping[str, Any]) -> Callable[[str], tuple[bool, Any]]:
    """Inputs of a root module: tfvars values, already plain data."""

    def inputs(name: str) -> tuple[bool, Any]:
        if name in values:
            return True, evaluate_value(values[name], _CONST_ENV)
        return False, None

    return inputs


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
            for item in _items(raw.get("dynamic"))
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
    content = next(iter(_items(spec.get("content"))), None)
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
