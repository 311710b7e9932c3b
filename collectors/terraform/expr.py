"""A parser for HCL expressions as python-hcl2 renders them (`${...}`), into a small AST.

python-hcl2 turns every non-literal expression into text. To evaluate variables,
conditionals, function calls, `for` expressions and splats we parse that text again:
a tokenizer plus a precedence-climbing parser for HCL's expression grammar. Parsing is
cached by text, since the same expressions repeat across a repository.
"""

from __future__ import annotations

import functools

from collectors.terraform.expr_nodes import (
    Binary,
    Call,
    Cond,
    ExprError,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    ObjectExpr,
    Splat,
    Template,
    TupleExpr,
    Unary,
    Var,
)
from collectors.terraform.expr_parser import Parser
from collectors.terraform.expr_tokens import matching_brace

__all__ = [
    "Binary",
    "Call",
    "Cond",
    "ExprError",
    "ForExpr",
    "GetAttr",
    "Index",
    "Lit",
    "ObjectExpr",
    "Splat",
    "Template",
    "TupleExpr",
    "Unary",
    "Var",
    "parse",
    "parse_value",
]


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> object:
    """Parse one expression (the inside of `${...}`)."""
    try:
        return Parser(text, parse).parse_all()
    except RecursionError:
        raise ExprError("expression nested too deeply") from None


@functools.lru_cache(maxsize=65536)
def parse_value(text: str) -> object:
    """Parse a python-hcl2 string value: a template with interpolations, or plain text."""
    if "${" not in text:
        return Lit(text)
    if text.startswith("${") and matching_brace(text, 1) == len(text) - 1:
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
        end = matching_brace(text, j + 1)
        parts.append(parse(text[j + 2 : end].strip()))
        i = end + 1
    return Template(tuple(parts))
