"""Terraform's built-in functions that can be computed from known values.

Each takes already-evaluated, fully known arguments (the evaluator checks), except
`try`, `can` and `coalesce`, which decide themselves. Functions that read the
filesystem or the clock (file, templatefile, timestamp, uuid) are not here: their
results stay unknown.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
from collections.abc import Callable
from typing import Any

from collectors.terraform.eval_values import Missing, is_known


def _format(fmt: str, *args: Any) -> str:
    out: list[str] = []
    i, n, it = 0, len(fmt), iter(args)
    while i < n:
        c = fmt[i]
        if c == "%" and i + 1 < n:
            spec = fmt[i + 1]
            if spec == "%":
                out.append("%")
            elif spec in "sdvtfq":
                value = next(it)
                if spec == "q":
                    out.append(json.dumps(value))
                elif spec == "d":
                    out.append(str(int(value)))
                elif isinstance(value, bool):
                    out.append("true" if value else "false")
                else:
                    out.append(str(value))
            else:
                raise ValueError(f"unsupported format verb %{spec}")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise TypeError("merge takes maps")
        out.update(m)
    return out


def _lookup(m: dict[str, Any], key: str, *default: Any) -> Any:
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise KeyError(key)


def _element(items: list[Any], index: int) -> Any:
    return items[int(index) % len(items)]


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _distinct(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _set_order(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def _toset(items: list[Any]) -> list[Any]:
    return sorted(_distinct(items), key=_set_order)


def _tonumber(value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("bool")
    number = float(value)
    return int(number) if number.is_integer() else number


def _tobool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise ValueError(value)


def _tostring(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError("tostring takes a primitive")


def _cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    newbits, netnum = int(newbits), int(netnum)
    length = net.prefixlen + newbits
    if newbits < 0 or length > net.max_prefixlen or not 0 <= netnum < 2**newbits:
        raise ValueError("netnum or newbits out of range")
    start = int(net.network_address) + (netnum << (net.max_prefixlen - length))
    return str(ipaddress.ip_network((start, length)))


def _cidrhost(prefix: str, hostnum: int) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    return str(net[int(hostnum)])


def _range(*args: Any) -> list[int | float]:
    values = [int(a) if float(a).is_integer() else a for a in args]
    if len(values) == 1:
        return list(range(values[0]))
    if len(values) == 2:
        return list(range(values[0], values[1]))
    return list(range(values[0], values[1], values[2]))


def _try(*args: Any) -> Any:
    """The first argument that is not an error; an unknown one makes the result unknown."""
    for a in args:
        if isinstance(a, Missing):
            continue
        if is_known(a):
            return a
        raise ValueError("unknown before any known argument")
    raise ValueError("every argument is an error")


def _can(value: Any) -> bool:
    if isinstance(value, Missing):
        return False
    if not is_known(value):
        raise ValueError("unknown")
    return True


def _coalesce(*args: Any) -> Any:
    for a in args:
        if not is_known(a):
            raise ValueError("unknown before a known non-empty value")
        if a is not None and a != "":
            return a
    raise ValueError("no non-empty argument")


def _one(items: list[Any]) -> Any:
    if len(items) > 1:
        raise ValueError("more than one element")
    return items[0] if items else None


def _substr(text: str, offset: int, length: int) -> str:
    offset = int(offset)
    length = int(length)
    return text[offset:] if length < 0 else text[offset : offset + length]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "base64decode": lambda s: base64.b64decode(s).decode(),
    "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
    "can": _can,
    "ceil": math.ceil,
    "chomp": lambda s: s.rstrip("\r\n"),
    "cidrhost": _cidrhost,
    "cidrsubnet": _cidrsubnet,
    "coalesce": _coalesce,
    "coalescelist": lambda *ls: next(lst for lst in ls if lst),
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "concat": lambda *ls: [i for lst in ls for i in lst],
    "contains": lambda items, v: v in items,
    "distinct": _distinct,
    "element": _element,
    "endswith": lambda s, suffix: s.endswith(suffix),
    "flatten": _flatten,
    "floor": math.floor,
    "format": _format,
    "formatlist": lambda fmt, *lists: [_format(fmt, *row) for row in zip(*lists, strict=True)],
    "join": lambda sep, items: sep.join(_tostring(i) for i in items),
    "jsondecode": json.loads,
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
    "keys": sorted,
    "length": len,
    "lookup": _lookup,
    "lower": lambda s: s.lower(),
    "max": max,
    "md5": lambda s: hashlib.md5(s.encode(), usedforsecurity=False).hexdigest(),
    "merge": _merge,
    "min": min,
    "one": _one,
    "range": _range,
    "replace": lambda s, old, new: s.replace(old, new),
    "reverse": lambda items: items[::-1],
    "sha1": lambda s: hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest(),
    "sha256": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    "slice": lambda items, start, end: items[int(start) : int(end)],
    "sort": sorted,
    "split": lambda sep, s: s.split(sep),
    "startswith": lambda s, prefix: s.startswith(prefix),
    "substr": _substr,
    "sum": sum,
    "title": lambda s: s.title(),
    "tobool": _tobool,
    "tolist": list,
    "tomap": dict,
    "tonumber": _tonumber,
    "toset": _toset,
    "tostring": _tostring,
    "trim": lambda s, chars: s.strip(chars),
    "trimprefix": lambda s, p: s.removeprefix(p),
    "trimspace": lambda s: s.strip(),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "try": _try,
    "upper": lambda s: s.upper(),
    "values": lambda m: [m[k] for k in sorted(m)],
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=True)),
}
