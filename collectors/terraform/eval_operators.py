"""HCL operators, indexing and function calls, applied to values already evaluated."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from collectors.terraform.eval_values import Missing, Ref, Unknown, is_known, refs_of
from collectors.terraform.functions import FUNCTIONS


def number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def key_text(key: Any) -> str | None:
    """An object key as text (Terraform converts bools and numbers), None if it is not one."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str | int | float):
        return key if isinstance(key, str) else number_text(key)
    return None


def get_item(value: Any, key: Any) -> Any:
    """`value.key` or `value[key]`: Missing when a known value has no such key or index."""
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


def call_function(name: str, args: list[Any], expand: bool) -> Any:
    """Call a built-in function on evaluated arguments (`expand`: the last one ends `...`)."""
    fn = FUNCTIONS.get(name.rsplit("::", maxsplit=1)[-1])
    if expand and args:
        last = args.pop()
        if not isinstance(last, list):
            return Unknown.of(last, *args)
        args.extend(last)
    if fn is None:
        return Unknown.of(*args)
    if name in ("jsonencode",) and not all(is_known(a) for a in args):
        return Unknown(frozenset(refs_of(args)), partial=args[0] if args else None)
    if name in ("try", "can", "coalesce"):
        try:
            return fn(*args)
        except Exception:
            return Unknown.of(*args)
    if name in _STRUCTURAL and all(_shape_known(name, a) for a in args):
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


def unary(op: str, value: Any) -> Any:
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


def binary(op: str, left: Any, right: Any) -> Any:
    """A comparison or arithmetic operator (not && or ||, which short-circuit)."""
    if not (is_known(left) and is_known(right)):
        return Unknown.of(left, right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    try:
        result = _COMPARE[op](_num(left), _num(right))
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
