"""The tokenizer of HCL expressions as python-hcl2 renders them, quoted templates included."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from collectors.terraform.expr_nodes import ExprError, Template

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
class Token:
    kind: str  # number, ident, op, str (a parsed string template), eof
    text: str
    value: object = None


class Tokenizer:
    """The tokens of one expression's text, read one at a time."""

    def __init__(self, text: str, parse: Callable[[str], object]) -> None:
        self.text = text
        self.pos = 0
        self._parse = parse  # parses the expression inside a string's `${...}`

    def next(self) -> Token:
        while True:
            if self.pos >= len(self.text):
                return Token("eof", "")
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
            return Token(kind, m.group(0))

    def _string(self, quote: str) -> Token:
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
                return Token("str", "", Template(tuple(parts)))
            if text.startswith("$${", i) or text.startswith("%%{", i):
                buf.append(text[i + 1 : i + 3])
                i += 3
                continue
            if text.startswith("${", i):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                end = matching_brace(text, i + 1, quote)
                inner = text[i + 2 : end].strip().strip("~").strip()
                parts.append(self._parse(inner))
                i = end + 1
                continue
            buf.append(c)
            i += 1
        raise ExprError("unterminated string")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def matching_brace(text: str, open_at: int, outer_quote: str = "") -> int:
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
                    i = matching_brace(text, i + 1, c)
                i += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ExprError("unbalanced braces")
