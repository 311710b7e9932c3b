"""Evaluate HCL expressions as far as a module's files allow; the rest stays Unknown.

Values are plain Python (str, int, float, bool, None, list, dict) when known. A
reference to a managed resource evaluates to a `Ref` (its identity: ids, ARNs and
endpoints are not in the files); anything that cannot be computed is `Unknown`,
carrying the resources it depended on so that flows can still be inferred from it.
Unknown is never guessed and never treated as false.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from collectors.terraform import expr as x
from collectors.terraform.functions import FUNCTIONS

log = logging.getLogger(__name__)


HOLE = "${?}"  # stands for an unknown part inside partly known text


@dataclass(frozen=True)
class Ref:
    """A managed resource (instance) address and the attribute read from it."""

    address: str
    attr: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A value the files do not determine; `refs` are the resources it depends on."""

    refs: frozenset[str] = frozenset()
    partial: Any = None  # what is known: jsonencode() structure, or text with HOLEs

    @staticmethod
    def of(*values: object) -> Unknown:
        refs: set[str] = set()
        for v in values:
            refs |= refs_of(v)
        return Unknown(frozenset(refs))


@dataclass(frozen=True)
class Missing(Unknown):
    """A key or index a known value does not have: an error in Terraform, which try()
    and can() can test for. Otherwise it reads as unknown like any Unknown."""


def refs_of(value: object) -> set[str]:
    """Every resource address a value (or the unknown parts of it) depends on."""
    if isinstance(value, Ref):
        return {value.address}
    if isinstance(value, Unknown):
        return set(value.refs) | (refs_of(value.partial) if value.partial is not None else set())
    if isinstance(value, list):
        out: set[str] = set()
        for v in value:
            out |= refs_of(v)
        return out
    if isinstance(value, dict):
        out = set()
        for v in value.values():
            out |= refs_of(v)
        return out
    return set()


def is_known(value: object) -> bool:
    if isinstance(value, Ref | Unknown):
        return False
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    return True


class Tracker:
    """Which root variables the values being evaluated came from (for evidence: a
    finding decided by a tfvars value points at that tfvars line too)."""

    def __init__(self) -> None:
        self._open: list[set[str]] = []

    def note(self, names: Iterable[str]) -> None:
        for deps in self._open:
            deps.update(names)

    @contextlib.contextmanager
    def collect(self) -> Iterator[set[str]]:
        deps: set[str] = set()
        self._open.append(deps)
        try:
            yield deps
        finally:
            self._open.pop()


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
        return _unary(node.op, _eval(node.operand, env))
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
            parts.append(_number_text(value) if not isinstance(value, str) else value)
        else:
            unknown.append(value)
            parts.append(HOLE)
    if not unknown:
        return "".join(parts)
    # Keep the text around the holes: a heredoc policy stays readable as a document.
    return Unknown(frozenset(refs_of(unknown)), partial="".join(parts))


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
            value = _get(value, step.name)
        elif isinstance(step, x.Index):
            value = _get(value, _eval(step.key, env))
    return value


def _get(value: Any, key: Any) -> Any:
    if isinstance(key, Unknown | Ref):
        return Unknown.of(value, key)
    if isinstance(value, Ref):
        if value.attr is None and isinstance(key, str):
            return Ref(value.address, key)
        return Unknown(frozenset({value.address}))  # a nested attribute of a resource
    if isinstance(value, dict):
        if not isinstance(key, str | int):
            return Unknown()
        return value[str(key)] if str(key) in value else Missing()
    if isinstance(value, list) and isinstance(key, int | float) and not isinstance(key, bool):
        if not math.isfinite(key):
            return Unknown()
        i = int(key)
        return value[i] if 0 <= i < len(value) else Missing()
    return Unknown.of(value)


def _call(node: x.Call, env: Env) -> Any:
    fn = FUNCTIONS.get(node.name.split("::")[-1])
    args = [_eval(a, env) for a in node.args]
    if node.expand and args:
        last = args.pop()
        if not isinstance(last, list):
            return Unknown.of(last, *args)
        args.extend(last)
    if fn is None:
        return Unknown.of(*args)
    if node.name in ("jsonencode",) and not all(is_known(a) for a in args):
        return Unknown(frozenset(refs_of(args)), partial=args[0] if args else None)
    if node.name in ("try", "can", "coalesce"):
        try:
            return fn(*args)
        except Exception:
            return Unknown.of(*args)
    if node.name in _STRUCTURAL and all(_shape_known(node.name, a) for a in args):
        # Shape-only functions work on known containers of references: Terraform knows
        # length(aws_subnet.public) before it knows the subnets' ids.
        try:
            return fn(*args)
        except Exception:
            return Unknown.of(*args)
    if not all(is_known(a) for a in args):
        return Unknown.of(*args)
    try:
        return fn(*args)
    except Exception:  # a function given values it rejects: Terraform would error out
        return Unknown()


_STRUCTURAL = frozenset(
    {
        "length",
        "element",
        "one",
        "concat",
        "slice",
        "reverse",
        "tolist",
        "values",
        "keys",
        "merge",
        "lookup",
        "zipmap",
        "coalescelist",
        "flatten",
        "contains",
    }
)
# Functions whose result depends on what the items are, not only on how many there are.
_ITEMS_MATTER = frozenset({"coalescelist", "flatten", "contains"})


def _shape_known(name: str, value: object) -> bool:
    """Is the container known (its items may be references or unknown values)?"""
    if isinstance(value, Unknown | Ref):
        return False
    if name in _ITEMS_MATTER and isinstance(value, list):
        return all(not isinstance(v, Unknown) for v in value)
    return True


def _unary(op: str, value: Any) -> Any:
    if op == "!" and isinstance(value, bool):
        return not value
    if op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
        return -value
    return Unknown.of(value)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
}


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
    if not (is_known(left) and is_known(right)):
        return Unknown.of(left, right)
    if node.op == "==":
        return left == right
    if node.op == "!=":
        return left != right
    try:
        result = _COMPARE[node.op](_num(left), _num(right))
    except (TypeError, ValueError, ZeroDivisionError, KeyError):
        return Unknown()
    return int(result) if isinstance(result, float) and result.is_integer() else result


def _num(value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return float(value) if "." in value else int(value)
    raise TypeError(f"not a number: {value!r}")


def _key_text(key: Any) -> str | None:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str | int | float):
        return key if isinstance(key, str) else _number_text(key)
    return None


def _object(node: x.ObjectExpr, env: Env) -> Any:
    out: dict[str, Any] = {}
    for key_node, value_node in node.items:
        raw_key = _eval(key_node, env)
        key = _key_text(raw_key)
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
        key = _key_text(raw_key)
        if key is None:
            return Unknown.of(value, raw_key)
        if node.group:
            keyed.setdefault(key, []).append(value)
        else:
            keyed[key] = value
    return items if node.key is None else keyed
