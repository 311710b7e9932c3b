"""The grammar of HCL expressions: tokens to the AST of `expr_nodes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from collectors.terraform import expr_nodes as nodes
from collectors.terraform.expr_tokens import Token, Tokenizer


class Parser:
    """A precedence-climbing parser of one expression's text."""

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

    def __init__(self, text: str, parse: Callable[[str], object]) -> None:
        """`parse` parses the expressions inside a string's `${...}` (cached by text)."""
        self._tokens = Tokenizer(text, parse)
        self.tok = self._tokens.next()

    # tokens ---------------------------------------------------------------------------

    def _advance(self) -> Token:
        tok = self.tok
        self.tok = self._tokens.next()
        return tok

    def _expect(self, text: str) -> None:
        if self.tok.text != text or self.tok.kind not in ("op",):
            raise nodes.ExprError(f"expected {text!r}, found {self.tok.text!r}")
        self._advance()

    def _at(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    # grammar --------------------------------------------------------------------------

    def parse_all(self) -> object:
        node = self.expression()
        if self.tok.kind != "eof":
            raise nodes.ExprError(f"trailing {self.tok.text!r}")
        return node

    def expression(self) -> object:
        test = self.binary(1)
        if self._at("?"):
            self._advance()
            then = self.expression()
            self._expect(":")
            other = self.expression()
            return nodes.Cond(test, then, other)
        return test

    def binary(self, min_prec: int) -> object:
        left = self.unary()
        while self.tok.kind == "op" and self._PREC.get(self.tok.text, 0) >= min_prec:
            op = self._advance().text
            right = self.binary(self._PREC[op] + 1)
            left = nodes.Binary(op, left, right)
        return left

    def unary(self) -> object:
        if self._at("!") or self._at("-"):
            op = self._advance().text
            return nodes.Unary(op, self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: object) -> object:
        while True:
            if self._at("."):
                self._advance()
                if self._at("*"):
                    self._advance()
                    node = nodes.Splat(node, self._splat_steps(attr_only=True))
                    continue
                if self.tok.kind == "number":
                    text = self._advance().text
                    if not text.isdigit():
                        raise nodes.ExprError(f"invalid index .{text}")
                    node = nodes.Index(node, nodes.Lit(int(text)))
                else:
                    node = nodes.GetAttr(node, self._name())
            elif self._at("["):
                self._advance()
                if self._at("*"):
                    self._advance()
                    self._expect("]")
                    node = nodes.Splat(node, self._splat_steps(attr_only=False))
                    continue
                key = self.expression()
                self._expect("]")
                node = nodes.Index(node, key)
            else:
                return node

    def _splat_steps(self, attr_only: bool) -> tuple[object, ...]:
        steps: list[object] = []
        while True:
            if self._at("."):
                self._advance()
                steps.append(nodes.GetAttr(None, self._name()))
            elif self._at("[") and not attr_only:
                self._advance()
                key = self.expression()
                self._expect("]")
                steps.append(nodes.Index(None, key))
            else:
                return tuple(steps)

    def _name(self) -> str:
        if self.tok.kind != "ident":
            raise nodes.ExprError(f"expected a name, found {self.tok.text!r}")
        return self._advance().text

    def primary(self) -> object:
        tok = self.tok
        if tok.kind == "number":
            self._advance()
            number = float(tok.text)
            return nodes.Lit(int(number) if number.is_integer() and "." not in tok.text else number)
        if tok.kind == "str":
            self._advance()
            assert isinstance(tok.value, nodes.Template)
            parts = tok.value.parts
            if all(isinstance(p, str) for p in parts):
                return nodes.Lit("".join(str(p) for p in parts))
            return tok.value
        if tok.kind == "ident":
            self._advance()
            if tok.text in ("true", "false"):
                return nodes.Lit(tok.text == "true")
            if tok.text == "null":
                return nodes.Lit(None)
            if self._at("("):
                return self._call(tok.text)
            if self._at("::"):  # provider::aws::arn_parse(...)
                name = tok.text
                while self._at("::"):
                    self._advance()
                    name += "::" + self._name()
                return self._call(name)
            return nodes.Var(tok.text)
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
        raise nodes.ExprError(f"unexpected {tok.text!r}")

    def _call(self, name: str) -> nodes.Call:
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
                raise nodes.ExprError(f"expected ',' or ')' in call to {name}")
        self._advance()
        return nodes.Call(name, tuple(args), expand)

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
                raise nodes.ExprError("expected ',' or ']'")
        self._advance()
        return nodes.TupleExpr(tuple(items))

    def _object(self) -> object:
        self._expect("{")
        if self.tok.kind == "ident" and self.tok.text == "for":
            return self._for(closing="}")
        items: list[tuple[object, object]] = []
        while not self._at("}"):
            if self.tok.kind == "ident" and self.tok.text not in ("true", "false", "null"):
                name = self._advance().text
                key: object = nodes.Lit(name)
                if self._at(".") or self._at("["):
                    key = self.postfix(nodes.Var(name))
            elif self._at("("):
                self._advance()
                key = self.expression()
                self._expect(")")
            else:
                key = self.primary()
            if not (self._at("=") or self._at(":")):
                raise nodes.ExprError("expected '=' or ':' in object")
            self._advance()
            items.append((key, self.expression()))
            if self._at(","):
                self._advance()
        self._advance()
        return nodes.ObjectExpr(tuple(items))

    def _for(self, closing: str) -> nodes.ForExpr:
        self._advance()  # for
        first = self._name()
        second = None
        if self._at(","):
            self._advance()
            second = self._name()
        if not (self.tok.kind == "ident" and self.tok.text == "in"):
            raise nodes.ExprError("expected 'in'")
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
        return nodes.ForExpr(key_var, value_var, collection, key, value, cond, group)
