"""Terraform module instances: variables, locals, outputs, count/for_each and nested modules.

A root module is loaded with its tfvars; every `module` call whose source is on disk
(a local path, or a module `terraform init` downloaded) becomes a child instance with
its inputs evaluated in the caller. Resources are expanded per count/for_each and
addressed as Terraform does (`module.net.aws_subnet.private[0]`). Evaluation is lazy
and memoised, so a value is computed once however many places read it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from collectors.terraform.blocks import Block
from collectors.terraform.datasources import DATA_SOURCES
from collectors.terraform.evaluate import Env, Ref, Tracker, Unknown, evaluate_value
from collectors.terraform.lazy_body import LazyBody, UnknownBlock
from collectors.terraform.module_declarations import (
    data_bodies,
    instance_keys,
    is_override,
    local_bodies,
    named_blocks,
    resource_bodies,
)
from collectors.terraform.module_inputs import CONST_ENV, LazyMap, call_inputs, root_inputs
from collectors.terraform.module_sources import Resolver
from collectors.terraform.parse import Parsed
from collectors.terraform.values import meta_line
from scanner.model import Diagnostic

__all__ = [
    "LazyBody",
    "ModuleInstance",
    "Resolver",
    "UnknownBlock",
    "instance_keys",
    "is_override",
    "root_inputs",
]

log = logging.getLogger(__name__)


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
        self._var_bodies = {name: body for _, name, body in named_blocks(docs, "variable")}
        locals_ = local_bodies(docs)
        self._resource_list = resource_bodies(docs)
        self._resources = {(t, n): (p, b) for p, t, n, b in self._resource_list}
        self._expansions: dict[tuple[str, str], list[tuple[str, dict[str, Any]]] | None] = {}
        self._calls = {name: (p, body) for p, name, body in named_blocks(docs, "module")}
        self._children: dict[str, list[tuple[str, ModuleInstance]] | None] = {}
        self.env = Env(
            variables=LazyMap(self._variable),
            locals_=locals_,
            resource=self._resource_value,
            module=self._module_value,
            path_module=directory,
            path_root=self.root_dir,
            data=self._data_value,
            tracker=tracker or Tracker(),
            var_deps=(lambda n: (n,)) if depth == 0 else (lambda n: self._var_deps.get(n, ())),
        )
        self._data_bodies = data_bodies(docs)
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
            value = evaluate_value(body["default"], CONST_ENV) if "default" in body else Unknown()
        self._variables[name] = value
        return value

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
                        call_inputs(call, env),
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
                    for _, name, body in named_blocks(self.docs, "output")
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
