"""A parser for HCL expressions as python-hcl2 renders them (`${...}`), into a small AST.

python-hcl2 turns every non-literal expression into text. To evaluate variables,
conditionals, function calls, `for` expressions and splats we parse that text again:
a tokenizer plus a precedence-climbing parser for HCL's expression grammar. Parsing is
cached by text, since the same expressions repeat across a repository.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import ClassVar

from scanner.errors import CollectorError


class ExprError(CollectorError):
    """The text is not an expression this parser understands."""


# --- AST --------------------------------------------------------------------------------


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


# --- tokens -----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][\w-]*)
  | (?P<op>\.\.\.|::|=>|==|!=|<=|>=|&&|\|\||\$\{|[-+*/%<>!?:=.,()\[\]{}"])
    """,
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str  # number, ident, op, str (a parsed string template), eof
    text: str
    value: object = None


class _Parser:
    _PREC: ClassVar[dict[str, int]] = {
        "||": 1,
        "&&": 2,
        "==": 3,
        "!=": 3,
        "<": 4,
        ">": 4,
        "<=": 4,
        ">=": 4,
        "+": 5,
        "-": 5,
        "*": 6,
        "/": 6,
        "%": 6,
    }

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tok = self._next()

    # tokenizer ------------------------------------------------------------------------

    def _next(self) -> _Tok:
        while True:
            if self.pos >= len(self.text):
                return _Tok("eof", "")
            if self.text[self.pos] in "\"'":
                # HCL quotes with ", but python-hcl2 renders some nested strings with '.
                return self._string(self.text[self.pos])
            if self.text.startswith("#", self.pos) or self.text.startswith("//", self.pos):
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
                continue
            m = _TOKEN.match(self.text, self.pos)
            if not m:
                raise ExprError(f"unexpected {self.text[self.pos]!r} at {self.pos}")
            self.pos = m.end()
            kind = m.lastgroup or "op"
            if kind == "ws":
                continue
            return _Tok(kind, m.group(0))

    def _string(self, quote: str) -> _Tok:
        """A quoted template; `${...}` inside may hold quotes of its own."""
        parts: list[object] = []
        buf: list[str] = []
        i = self.pos + 1
        text = self.text
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                buf.append(_ESCAPES.get(text[i + 1], text[i + 1]))
                i += 2
                continue
            if c == quote:
                if buf:
                    parts.append("".join(buf))
                self.pos = i + 1
                return _Tok("str", "", Template(tuple(parts)))
            if text.startswith("$${", i) or text.startswith("%%{", i):
                buf.append(text[i + 1 : i + 3])
                i += 3
                continue
            if text.startswith("${", i):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                end = _matching_brace(text, i + 1, quote)
                inner = text[i + 2 : end].strip().strip("~").strip()
                parts.append(parse(inner))
                i = end + 1
                continue
            buf.append(c)
            i += 1
        raise ExprError("unterminated string")

    def _advance(self) -> _Tok:
        tok = self.tok
        self.tok = self._next()
        return tok

    def _expect(self, text: str) -> None:
        if self.tok.text != text or self.tok.kind not in ("op",):
            raise ExprError(f"expected {text!r}, found {self.tok.text!r}")
        self._advance()

    def _at(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    # grammar --------------------------------------------------------------------------

    def parse_all(self) -> object:
        node = self.expression()
        if self.tok.kind != "eof":
            raise ExprError(f"trailing {self.tok.text!r}")
        return node

    def expression(self) -> object:
        test = self.binary(1)
        if self._at("?"):
            self._advance()
            then = self.expression()
            self._expect(":")
            other = self.expression()
            return Cond(test, then, other)
        return test

    def binary(self, min_prec: int) -> object:
        left = self.unary()
        while self.tok.kind == "op" and self._PREC.get(self.tok.text, 0) >= min_prec:
            op = self._advance().text
            right = self.binary(self._PREC[op] + 1)
            left = Binary(op, left, right)
        return left

    def unary(self) -> object:
        if self._at("!") or self._at("-"):
            op = self._advance().text
            return Unary(op, self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: object) -> object:
        while True:
            if self._at("."):
                self._advance()
                if self._at("*"):
                    self._advance()
                    node = Splat(node, self._splat_steps(attr_only=True))
                    continue
                if self.tok.kind == "number":
                    text = self._advance().text
                    if not text.isdigit():
                        raise ExprError(f"invalid index .{text}")
                    node = Index(node, Lit(int(text)))
                else:
                    node = GetAttr(node, self._name())
            elif self._at("["):
                self._advance()
                if self._at("*"):
                    self._advance()
                    self._expect("]")
                    node = Splat(node, self._splat_steps(attr_only=False))
                    continue
                key = self.expression()
                self._expect("]")
                node = Index(node, key)
            else:
                return node

    def _splat_steps(self, attr_only: bool) -> tuple[object, ...]:
        steps: list[object] = []
        while True:
            if self._at("."):
                self._advance()
                steps.append(GetAttr(None, self._name()))
            elif self._at("[") and not attr_only:
                self._advance()
                key = self.expression()
                self._expect("]")
                steps.append(Index(None, key))
            else:
                return tuple(steps)

    def _name(self) -> str:
        if self.tok.kind != "ident":
            raise ExprError(f"expected a name, found {self.tok.text!r}")
        return self._advance().text

    def primary(self) -> object:
        tok = self.tok
        if tok.kind == "number":
            self._advance()
            number = float(tok.text)
            return Lit(int(number) if number.is_integer() and "." not in tok.text else number)
        if tok.kind == "str":
            self._advance()
            assert isinstance(tok.value, Template)
            parts = tok.value.parts
            if all(isinstance(p, str) for p in parts):
                return Lit("".join(str(p) for p in parts))
            return tok.value
        if tok.kind == "ident":
            self._advance()
            if tok.text in ("true", "false"):
                return Lit(tok.text == "true")
            if tok.text == "null":
                return Lit(None)
            if self._at("("):
                return self._call(tok.text)
            if self._at("::"):  # provider::aws::arn_parse(...)
                name = tok.text
                while self._at("::"):
                    self._advance()
                    name += "::" + self._name()
                return self._call(name)
            return Var(tok.text)
        if self._at("("):
            self._advance()
            node = self.expression()
            self._expect(")")
            return node
        if self._at("["):
            return self._tuple()
        if self._at("{"):
            return self._object()
        if self._at("${"):
            # A nested interpolation rendered by python-hcl2 ("${aws_x.y}" inside calls).
            self._advance()
            node = self.expression()
            self._expect("}")
            return node
        raise ExprError(f"unexpected {tok.text!r}")

    def _call(self, name: str) -> Call:
        self._expect("(")
        args: list[object] = []
        expand = False
        while not self._at(")"):
            args.append(self.expression())
            if self._at("..."):
                self._advance()
                expand = True
            if self._at(","):
                self._advance()
            elif not self._at(")"):
                raise ExprError(f"expected ',' or ')' in call to {name}")
        self._advance()
        return Call(name, tuple(args), expand)

    def _tuple(self) -> object:
        self._expect("[")
        if self.tok.kind == "ident" and self.tok.text == "for":
            return self._for(closing="]")
        items: list[object] = []
        while not self._at("]"):
            items.append(self.expression())
            if self._at(","):
                self._advance()
            elif not self._at("]"):
                raise ExprError("expected ',' or ']'")
        self._advance()
        return TupleExpr(tuple(items))

    def _object(self) -> object:
        self._expect("{")
        if self.tok.kind == "ident" and self.tok.text == "for":
            return self._for(closing="}")
        items: list[tuple[object, object]] = []
        while not self._at("}"):
            if self.tok.kind == "ident" and self.tok.text not in ("true", "false", "null"):
                name = self._advance().text
                key: object = Lit(name)
                if self._at(".") or self._at("["):
                    key = self.postfix(Var(name))
            elif self._at("("):
                self._advance()
                key = self.expression()
                self._expect(")")
            else:
                key = self.primary()
            if not (self._at("=") or self._at(":")):
                raise ExprError("expected '=' or ':' in object")
            self._advance()
            items.append((key, self.expression()))
            if self._at(","):
                self._advance()
        self._advance()
        return ObjectExpr(tuple(items))

    def _for(self, closing: str) -> ForExpr:
        self._advance()  # for
        first = self._name()
        second = None
        if self._at(","):
            self._advance()
            second = self._name()
        if not (self.tok.kind == "ident" and self.tok.text == "in"):
            raise ExprError("expected 'in'")
        self._advance()
        collection = self.expression()
        self._expect(":")
        key = None
        value = self.expression()
        group = False
        if closing == "}":
            self._expect("=>")
            key, value = value, self.expression()
            if self._at("..."):
                self._advance()
                group = True
        cond = None
        if self.tok.kind == "ident" and self.tok.text == "if":
            self._advance()
            cond = self.expression()
        self._expect(closing)
        key_var, value_var = (first, second) if second is not None else (None, first)
        return ForExpr(key_var, value_var, collection, key, value, cond, group)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _matching_brace(text: str, open_at: int, outer_quote: str = "") -> int:
    """Index of the `}` closing the `{` at open_at, skipping nested strings and braces."""
    depth, i = 0, open_at
    while i < len(text):
        c = text[i]
        if c in "\"'" and c != outer_quote:
            i += 1
            while i < len(text) and text[i] != c:
                if text[i] == "\\":
                    i += 1
                elif text.startswith("${", i):
                    i = _matching_brace(text, i + 1, c)
                i += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ExprError("unbalanced braces")


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> object:
    """Parse one expression (the inside of `${...}`)."""
    try:
        return _Parser(text).parse_all()
    except RecursionError:
        raise ExprError("expression nested too deeply") from None


@functools.lru_cache(maxsize=65536)
def parse_value(text: str) -> object:
    """Parse a python-hcl2 string value: a template with interpolations, or plain text."""
    if "${" not in text:
        return Lit(text)
    if text.startswith("${") and _matching_brace(text, 1) == len(text) - 1:
        return parse(text[2:-1])
    parts: list[object] = []
    i = 0
    while i < len(text):
        j = text.find("${", i)
        if j < 0:
            parts.append(text[i:])
            break
        if j > 0 and text[j - 1] == "$":  # $${ escape: the literal text ${
            parts.append(text[i : j - 1] + "${")
            i = j + 2
            continue
        if j > i:
            parts.append(text[i:j])
        end = _matching_brace(text, j + 1)
        parts.append(parse(text[j + 2 : end].strip()))
        i = end + 1
    return Template(tuple(parts))
