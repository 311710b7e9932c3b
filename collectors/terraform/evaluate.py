"""Evaluate HCL expressions as far as a module's files allow; the rest stays Unknown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from collectors.terraform import expr as x
from collectors.terraform.eval_operators import (
    binary,
    call_function,
    get_item,
    key_text,
    number_text,
    unary,
)
from collectors.terraform.eval_values import (
    HOLE,
    Missing,
    Ref,
    Tracker,
    Unknown,
    is_known,
    refs_of,
)

__all__ = [
    "HOLE",
    "Env",
    "Missing",
    "Ref",
    "Tracker",
    "Unknown",
    "evaluate",
    "evaluate_value",
    "is_known",
    "refs_of",
]

log = logging.getLogger(__name__)


@dataclass
class Env:
    """What names mean inside one module instance.

    `resource` resolves `TYPE.NAME` to the Ref(s) of its instances (module-qualified);
    `module` resolves `module.NAME` to the called module's outputs.
    """

    variables: Mapping[str, Any]
    locals_: Mapping[str, Any]  # raw python-hcl2 values, evaluated lazily
    resource: Callable[[str, str], Any]
    module: Callable[[str], Any]
    path_module: str = "."
    path_root: str = "."
    data: Callable[[str, str], Any] = field(default=lambda t, n: Unknown())
    iteration: dict[str, Any] = field(default_factory=dict)  # count.index, each.*
    tracker: Tracker = field(default_factory=Tracker)
    # The root variables a variable of this module depends on (a root variable: itself).
    var_deps: Callable[[str], Iterable[str]] = field(default=lambda name: ())
    _local_cache: dict[str, Any] = field(default_factory=dict)
    _local_deps: dict[str, set[str]] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def with_iteration(self, **names: Any) -> Env:
        return replace(self, iteration={**self.iteration, **names})

    def local(self, name: str) -> Any:
        if name in self._local_cache:
            self.tracker.note(self._local_deps.get(name, ()))
            return self._local_cache[name]
        if name not in self.locals_:
            return Unknown()
        if name in self._evaluating:
            return Unknown()  # a cycle (Terraform rejects it): unknown, not an error
        self._evaluating.add(name)
        try:
            with self.tracker.collect() as deps:
                value = evaluate_value(self.locals_[name], self)
        finally:
            self._evaluating.discard(name)
        self._local_cache[name] = value
        self._local_deps[name] = deps
        self.tracker.note(deps)
        return value


def evaluate_value(raw: Any, env: Env) -> Any:
    """Evaluate a python-hcl2 value (strings may hold `${...}`), recursively."""
    if isinstance(raw, str):
        if "${" not in raw:
            return raw
        try:
            node = x.parse_value(raw)
        except (x.ExprError, RecursionError) as e:
            log.debug("cannot parse expression %r: %s", raw, e)
            return Unknown.of()
        return evaluate(node, env)
    if isinstance(raw, list):
        return [evaluate_value(v, env) for v in raw]
    if isinstance(raw, dict):
        return {k: evaluate_value(v, env) for k, v in raw.items()}
    return raw


def evaluate(node: object, env: Env) -> Any:
    try:
        return _eval(node, env)
    except RecursionError:
        return Unknown()


def _eval(node: object, env: Env) -> Any:
    if isinstance(node, x.Lit):
        return node.value
    if isinstance(node, x.Template):
        return _template(node, env)
    if isinstance(node, x.Var | x.GetAttr | x.Index | x.Splat):
        return _traverse(node, env)
    if isinstance(node, x.Call):
        return _call(node, env)
    if isinstance(node, x.Unary):
        return unary(node.op, _eval(node.operand, env))
    if isinstance(node, x.Binary):
        return _binary(node, env)
    if isinstance(node, x.Cond):
        test = _eval(node.test, env)
        if isinstance(test, bool):
            return _eval(node.then if test else node.other, env)
        return Unknown.of(test, _eval(node.then, env), _eval(node.other, env))
    if isinstance(node, x.TupleExpr):
        return [_eval(i, env) for i in node.items]
    if isinstance(node, x.ObjectExpr):
        return _object(node, env)
    if isinstance(node, x.ForExpr):
        return _for(node, env)
    return Unknown()


def _template(node: x.Template, env: Env) -> Any:
    if len(node.parts) == 1 and not isinstance(node.parts[0], str):
        return _eval(node.parts[0], env)  # "${x}" is x itself, not its text
    parts: list[str] = []
    unknown: list[Any] = []
    for part in node.parts:
        value = part if isinstance(part, str) else _eval(part, env)
        if isinstance(value, bool):
            parts.append("true" if value else "false")
        elif isinstance(value, int | float | str):
            parts.append(number_text(value) if not isinstance(value, str) else value)
        else:
            unknown.append(value)
            parts.append(HOLE)
    if not unknown:
        return "".join(parts)
    # Keep the text around the holes: a heredoc policy stays readable as a document.
    return Unknown(frozenset(refs_of(unknown)), partial="".join(parts))


def _root(name: str, rest: list[object], env: Env) -> tuple[Any, list[object]]:
    """Resolve the first one or two steps of a traversal (var.x, aws_x.y, module.m)."""
    first = rest[0] if rest else None
    attr = first.name if isinstance(first, x.GetAttr) else None
    if name in ("var", "local", "module", "count", "each", "path", "terraform", "data"):
        if attr is None:
            return Unknown(), []
        tail = rest[1:]
        if name == "var":
            value = env.variables.get(attr, Unknown())
            env.tracker.note(env.var_deps(attr))
            return value, tail
        if name == "local":
            return env.local(attr), tail
        if name == "module":
            return env.module(attr), tail
        if name in ("count", "each"):
            return env.iteration.get(f"{name}.{attr}", Unknown()), tail
        if name == "path":
            return {"module": env.path_module, "root": env.path_root, "cwd": "."}.get(
                attr, Unknown()
            ), tail
        if name == "terraform":
            return ("default" if attr == "workspace" else Unknown()), tail
        # data.TYPE.NAME: only data sources computable offline have values.
        if len(rest) >= 2 and isinstance(rest[1], x.GetAttr):
            return env.data(attr, rest[1].name), rest[2:]
        return Unknown(), []
    if name in env.iteration:
        return env.iteration[name], rest
    if attr is not None and "_" in name:
        return env.resource(name, attr), rest[1:]
    return Unknown(), []


def _traverse(node: object, env: Env) -> Any:
    if isinstance(node, x.Splat):
        base = _eval(node.target, env)
        if isinstance(base, Unknown):
            return base
        items = base if isinstance(base, list) else [] if base is None else [base]
        return [_apply_steps(item, node.steps, env) for item in items]
    steps: list[object] = []
    while isinstance(node, x.GetAttr | x.Index):
        steps.append(node)
        node = node.target
    steps.reverse()
    if isinstance(node, x.Var):
        value, rest = _root(node.name, steps, env)
        return _apply_steps(value, tuple(rest), env)
    # A traversal of a computed value: split(",", s)[1], [10, 20][0], {a = 1}.a
    return _apply_steps(_eval(node, env), tuple(steps), env)


def _apply_steps(value: Any, steps: tuple[object, ...], env: Env) -> Any:
    for step in steps:
        if isinstance(value, Unknown):
            return value
        if isinstance(step, x.GetAttr):
            value = get_item(value, step.name)
        elif isinstance(step, x.Index):
            value = get_item(value, _eval(step.key, env))
    return value


def _call(node: x.Call, env: Env) -> Any:
    return call_function(node.name, [_eval(a, env) for a in node.args], node.expand)


def _binary(node: x.Binary, env: Env) -> Any:
    left = _eval(node.left, env)
    if node.op == "&&" and left is False:
        return False
    if node.op == "||" and left is True:
        return True
    right = _eval(node.right, env)
    if node.op in ("&&", "||"):
        if isinstance(left, bool) and isinstance(right, bool):
            return left and right if node.op == "&&" else left or right
        if node.op == "&&" and right is False:
            return False
        if node.op == "||" and right is True:
            return True
        return Unknown.of(left, right)
    return binary(node.op, left, right)


def _object(node: x.ObjectExpr, env: Env) -> Any:
    out: dict[str, Any] = {}
    for key_node, value_node in node.items:
        raw_key = _eval(key_node, env)
        key = key_text(raw_key)
        value = _eval(value_node, env)
        if key is None:
            return Unknown.of(value, raw_key)
        out[key] = value
    return out


def _for(node: x.ForExpr, env: Env) -> Any:
    collection = _eval(node.collection, env)
    if isinstance(collection, dict):
        pairs = sorted(collection.items())  # Terraform iterates maps in key order
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    else:
        return Unknown.of(collection)
    items: list[Any] = []
    keyed: dict[str, Any] = {}
    for k, v in pairs:
        names = {node.value_var: v}
        if node.key_var:
            names[node.key_var] = k
        inner = env.with_iteration(**names)
        if node.cond is not None:
            keep = _eval(node.cond, inner)
            if not isinstance(keep, bool):
                return Unknown.of(keep)
            if not keep:
                continue
        value = _eval(node.value, inner)
        if node.key is None:
            items.append(value)
            continue
        raw_key = _eval(node.key, inner)
        key = key_text(raw_key)
        if key is None:
            return Unknown.of(value, raw_key)
        if node.group:
            keyed.setdefault(key, []).append(value)
        else:
            keyed[key] = value
    return items if node.key is None else keyed
