"""The small AST of HCL expressions that the parser builds and the evaluator walks."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import CollectorError


class ExprError(CollectorError):
    """The text is not an expression this parser understands."""


@dataclass(frozen=True)
class Lit:
    value: object


@dataclass(frozen=True)
class Template:
    """A string with interpolations: parts are str or expression nodes."""

    parts: tuple[object, ...]


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class GetAttr:
    target: object
    name: str


@dataclass(frozen=True)
class Index:
    target: object
    key: object


@dataclass(frozen=True)
class Splat:
    """`x[*].a.b` / `x.*.a`: apply `steps` (GetAttr/Index with target None) to each item."""

    target: object
    steps: tuple[object, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[object, ...]
    expand: bool = False  # f(list...)


@dataclass(frozen=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Cond:
    test: object
    then: object
    other: object


@dataclass(frozen=True)
class TupleExpr:
    items: tuple[object, ...]


@dataclass(frozen=True)
class ObjectExpr:
    items: tuple[tuple[object, object], ...]  # key expr (Lit for bare names), value


@dataclass(frozen=True)
class ForExpr:
    key_var: str | None
    value_var: str
    collection: object
    key: object | None  # object form: key expression; tuple form: None
    value: object
    cond: object | None
    group: bool = False
