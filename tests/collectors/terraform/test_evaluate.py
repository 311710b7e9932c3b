"""Tests for the Terraform expression parser, evaluator, built-in functions and modules.

Expressions are given as python-hcl2 7.3.1 renders them (the inside of `${...}`), or as
real HCL parsed as the collector parses it (collectors.terraform.parse.loads). Every
expected value is exact: `Ref`s for resources, `Unknown`s (with the resources they
depend on) for what the files do not determine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collectors.terraform import expr
from collectors.terraform.evaluate import (
    HOLE,
    Env,
    Missing,
    Ref,
    Unknown,
    evaluate,
    evaluate_value,
    is_known,
    refs_of,
)
from collectors.terraform.expr import (
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
from collectors.terraform.functions import FUNCTIONS
from collectors.terraform.modules import ModuleInstance, Resolver, instance_keys, root_inputs
from collectors.terraform.parse import Parsed, loads
from scanner.model import Diagnostic

GATE = "aws_ssm_parameter.gate"

# Resources with `count = 2` and `for_each = toset(["x", "y"])`; every other one is single.
COUNTED = {"aws_subnet.many": 2}
EACH = {"aws_subnet.each": ("x", "y")}


def resource(rtype: str, name: str) -> Any:
    address = f"{rtype}.{name}"
    if address in COUNTED:
        return [Ref(f"{address}[{i}]") for i in range(COUNTED[address])]
    if address in EACH:
        return {key: Ref(f'{address}["{key}"]') for key in EACH[address]}
    return Ref(address)


def env() -> Env:
    return Env(
        variables={
            "env": "prod",
            "n": 3,
            "l": ["a", "b"],
            "m": {"b": 2, "a": 1},
            "t": True,
            "f": False,
            # An input computed from a resource the files do not determine.
            "gate": Unknown(frozenset({GATE})),
        },
        locals_={},
        resource=resource,
        module=lambda name: Unknown(),
    )


def ev(text: str) -> Any:
    """Evaluate one expression (the inside of `${...}`)."""
    return evaluate(expr.parse(text), env())


def hcl(text: str) -> Any:
    """What the collector's parser gives for `text` on the right of an attribute."""
    doc = loads(f"locals {{\n  x = {text}\n}}\n")
    return doc["locals"][0]["x"]


def exact(value: Any, expected: Any) -> None:
    """Equal, and of the same type all the way down (1 is not 1.0, nor True)."""
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, list):
        for got, want in zip(value, expected, strict=True):
            exact(got, want)
    elif isinstance(expected, dict):
        assert list(value) == list(expected)
        for key in expected:
            exact(value[key], expected[key])


def var(name: str) -> GetAttr:
    return GetAttr(Var("var"), name)


def res(rtype: str, name: str, attr: str | None = None) -> object:
    node: object = GetAttr(Var(rtype), name)
    return GetAttr(node, attr) if attr else node


# --- expr.parse ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "node"),
    [
        # Literals.
        ("1", Lit(1)),
        ("1.5", Lit(1.5)),
        ("1e3", Lit(1000)),
        ('"a"', Lit("a")),
        ('"a\\"b\\n"', Lit('a"b\n')),
        ("true", Lit(True)),
        ("null", Lit(None)),
        # Traversals.
        ("var.env", var("env")),
        ("aws_vpc.main.id", res("aws_vpc", "main", "id")),
        ("aws_subnet.a[0].id", GetAttr(Index(res("aws_subnet", "a"), Lit(0)), "id")),
        ("aws_subnet.a.0.id", GetAttr(Index(res("aws_subnet", "a"), Lit(0)), "id")),
        ('aws_subnet.a["x"]', Index(res("aws_subnet", "a"), Lit("x"))),
        ("var.m[var.k]", Index(var("m"), var("k"))),
        # Splats: the steps after the star apply to every item.
        ("aws_subnet.a[*].id", Splat(res("aws_subnet", "a"), (GetAttr(None, "id"),))),
        ("aws_subnet.a.*.id", Splat(res("aws_subnet", "a"), (GetAttr(None, "id"),))),
        ("x[*].a[0]", Splat(Var("x"), (GetAttr(None, "a"), Index(None, Lit(0))))),
        ("x[*]", Splat(Var("x"), ())),
        # An index after an attribute-only splat applies to the splat's result.
        ("x.*.a[0]", Index(Splat(Var("x"), (GetAttr(None, "a"),)), Lit(0))),
        # Operators: precedence and associativity.
        ("1 + 2 * 3", Binary("+", Lit(1), Binary("*", Lit(2), Lit(3)))),
        ("(1 + 2) * 3", Binary("*", Binary("+", Lit(1), Lit(2)), Lit(3))),
        ("1 - 2 - 3", Binary("-", Binary("-", Lit(1), Lit(2)), Lit(3))),
        ("a || b && c", Binary("||", Var("a"), Binary("&&", Var("b"), Var("c")))),
        ("a == 1 && b", Binary("&&", Binary("==", Var("a"), Lit(1)), Var("b"))),
        ("!a", Unary("!", Var("a"))),
        ("-1", Unary("-", Lit(1))),
        # Conditionals, nested to the right.
        ("a ? b : c", Cond(Var("a"), Var("b"), Var("c"))),
        ("a ? b : c ? d : e", Cond(Var("a"), Var("b"), Cond(Var("c"), Var("d"), Var("e")))),
        ('a > 1 ? "x" : "y"', Cond(Binary(">", Var("a"), Lit(1)), Lit("x"), Lit("y"))),
        # Calls, with a quoted argument and with expansion.
        ('format("%s/*", x)', Call("format", (Lit("%s/*"), Var("x")))),
        ("f()", Call("f", ())),
        ("f(var.l...)", Call("f", (var("l"),), expand=True)),
        # Tuples and objects; python-hcl2 renders objects JSON-style with `:`.
        ("[1, 2,]", TupleExpr((Lit(1), Lit(2)))),
        ("[]", TupleExpr(())),
        ('{a = 1, "b" = 2}', ObjectExpr(((Lit("a"), Lit(1)), (Lit("b"), Lit(2))))),
        ('{"a": 1, "b": "x"}', ObjectExpr(((Lit("a"), Lit(1)), (Lit("b"), Lit("x"))))),
        ("{a: 1, b = 2}", ObjectExpr(((Lit("a"), Lit(1)), (Lit("b"), Lit(2))))),
        ("{(var.k) = 1}", ObjectExpr(((var("k"), Lit(1)),))),
        ("{}", ObjectExpr(())),
        # For expressions.
        (
            '[for s in var.l : upper(s) if s != ""]',
            ForExpr(
                None,
                "s",
                var("l"),
                None,
                Call("upper", (Var("s"),)),
                Binary("!=", Var("s"), Lit("")),
            ),
        ),
        (
            "{for k , v in var.m : k => v}",
            ForExpr("k", "v", var("m"), Var("k"), Var("v"), None),
        ),
        (
            "{for k, v in var.m : v => k ...}",
            ForExpr("k", "v", var("m"), Var("v"), Var("k"), None, group=True),
        ),
        # Templates inside an expression, with quotes inside their interpolations.
        ('"x-${var.env}"', Template(("x-", var("env")))),
        (
            '"${format("%s-%s", "a", "b")}!"',
            Template((Call("format", tuple(map(Lit, ("%s-%s", "a", "b")))), "!")),
        ),
        ('"$${var.env}"', Lit("${var.env}")),
        # What python-hcl2 renders: nested `${...}` in calls, Python reprs in conditionals.
        (
            "concat([${aws_subnet.a.id}], [])",
            Call("concat", (TupleExpr((res("aws_subnet", "a", "id"),)), TupleExpr(()))),
        ),
        (
            "var.on ? ['${aws_vpc.a.id}', 'x'] : []",
            Cond(
                var("on"),
                TupleExpr((Template((res("aws_vpc", "a", "id"),)), Lit("x"))),
                TupleExpr(()),
            ),
        ),
    ],
)
def test_parse(text: str, node: object) -> None:
    assert expr.parse(text) == node


@pytest.mark.parametrize(
    "text",
    ["", "1 +", "(1", '"abc', "a ? b", "{a 1}", "[1 2]", "f(1 2)", "a.", "[for x : y]", "@", "${"],
)
def test_parse_rejects_what_is_not_an_expression(text: str) -> None:
    with pytest.raises(ExprError):
        expr.parse(text)


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("plain", Lit("plain")),
        ("", Lit("")),
        ("${var.env}", var("env")),
        ("a-${var.env}-b", Template(("a-", var("env"), "-b"))),
        (
            '${format("%s/*", aws_s3_bucket.b.arn)}',
            Call("format", (Lit("%s/*"), res("aws_s3_bucket", "b", "arn"))),
        ),
        # A `}` inside a quoted argument does not end the interpolation.
        (
            'arn:${format("%s}", var.env)}/x',
            Template(("arn:", Call("format", (Lit("%s}"), var("env"))), "/x")),
        ),
        ("${a}${b}", Template((Var("a"), Var("b")))),
    ],
)
def test_parse_value(text: str, node: object) -> None:
    assert expr.parse_value(text) == node


# --- evaluate: operators -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("6 / 2", 3),
        ("7 % 3", 1),
        ("1.5 + 1.5", 3),
        ("-var.n", -3),
        ('"3" + 1', 4),  # Terraform converts the string
        ("1 + true", Unknown()),
        ("1 / 0", Unknown()),
        ('"a" * 2', Unknown()),
        ("var.n + var.gate", Unknown(frozenset({GATE}))),
        ("-var.gate", Unknown(frozenset({GATE}))),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 1", False),
        ("var.n >= 3", True),
        ('"a" == "a"', True),
        ('var.env != "prod"', False),
        ('1 == "1"', False),
        ("[1, 2] == [1, 2]", True),
        ("{a = 1} == {a = 1}", True),
        ('"a" < 1', Unknown()),
        ("var.gate == 1", Unknown(frozenset({GATE}))),
        ("aws_vpc.a.id == aws_vpc.b.id", Unknown(frozenset({"aws_vpc.a", "aws_vpc.b"}))),
        ("!var.t", False),
        ("!var.gate", Unknown(frozenset({GATE}))),
        ("!1", Unknown()),
    ],
)
def test_comparison_and_negation(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("var.t && var.f", False),
        ("var.t || var.f", True),
        ("var.t && var.t", True),
        # A known operand decides when it can, whichever side the unknown is on.
        ("false && var.gate", False),
        ("var.gate && false", False),
        ("true || var.gate", True),
        ("var.gate || true", True),
        # Otherwise the result is unknown, and depends on what the unknown depends on.
        ("var.gate && true", Unknown(frozenset({GATE}))),
        ("var.gate || false", Unknown(frozenset({GATE}))),
        ("var.gate && aws_vpc.a.id", Unknown(frozenset({GATE, "aws_vpc.a"}))),
        ("1 && true", Unknown()),
    ],
)
def test_logic_short_circuits_around_unknowns(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('var.t ? "a" : "b"', "a"),
        ('var.f ? "a" : "b"', "b"),
        ('var.env == "prod" ? aws_vpc.a.id : aws_vpc.b.id', Ref("aws_vpc.a", "id")),
        # An unknown test: either branch, so the refs of both (and of the test).
        (
            "var.gate ? aws_vpc.a.id : aws_vpc.b.id",
            Unknown(frozenset({GATE, "aws_vpc.a", "aws_vpc.b"})),
        ),
        ("var.gate ? 1 : 2", Unknown(frozenset({GATE}))),
        ("var.missing ? aws_vpc.a.id : null", Unknown(frozenset({"aws_vpc.a"}))),
        # A test that is not a bool is not guessed true or false.
        ('1 ? "a" : "b"', Unknown()),
    ],
)
def test_conditional(text: str, expected: Any) -> None:
    exact(ev(text), expected)


# --- evaluate: references, templates, for, splats, indexes ---------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("var.env", "prod"),
        ("var.missing", Unknown()),
        ("local.missing", Unknown()),
        ("aws_vpc.a", Ref("aws_vpc.a")),
        ("aws_vpc.a.id", Ref("aws_vpc.a", "id")),
        ("aws_vpc.a.tags.Name", Unknown(frozenset({"aws_vpc.a"}))),  # nested attribute
        ("aws_subnet.many[1].arn", Ref("aws_subnet.many[1]", "arn")),
        ('aws_subnet.each["x"].id', Ref('aws_subnet.each["x"]', "id")),
        ("aws_subnet.each.y", Ref('aws_subnet.each["y"]')),
        ("data.aws_vpc.default.id", Unknown()),
        ("module.net.vpc_id", Unknown()),
        ("path.module", "."),
        ("terraform.workspace", "default"),
        ("count.index", Unknown()),
        ("each.key", Unknown()),
        ("nothing", Unknown()),
    ],
)
def test_references(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"x-${var.env}"', "x-prod"),
        # Numbers and booleans as Terraform prints them.
        ('"${var.n}:${var.t}:${1.5}:${2.0}"', "3:true:1.5:2"),
        ('"a\\nb"', "a\nb"),
        # An unknown part leaves a HOLE in the known text.
        ('"x-${aws_vpc.a.id}-y"', Unknown(frozenset({"aws_vpc.a"}), f"x-{HOLE}-y")),
        ('"${var.env}-${var.missing}"', Unknown(frozenset(), f"prod-{HOLE}")),
        ('"${var.l}-x"', Unknown(frozenset(), f"{HOLE}-x")),  # a list has no text
        ('"${var.gate}/*"', Unknown(frozenset({GATE}), f"{HOLE}/*")),
        # A template that is a single interpolation is the value itself.
        ('"${aws_vpc.a.id}"', Ref("aws_vpc.a", "id")),
        ('"${var.l}"', ["a", "b"]),
        ('"${var.n}"', 3),
    ],
)
def test_templates(text: str, expected: Any) -> None:
    exact(ev(text), expected)


def test_escaped_interpolation_inside_an_expression_is_literal_text() -> None:
    exact(ev('"$${var.env}"'), "${var.env}")
    exact(ev('upper("$${x}")'), "${X}")


def test_escaped_interpolation_at_the_top_level_is_literal_text() -> None:
    raw = hcl('"$${var.env} ${var.env}"')
    assert raw == "$${var.env} ${var.env}"
    exact(evaluate_value(raw, env()), "${var.env} prod")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[for s in var.l : upper(s)]", ["A", "B"]),
        ('[for i, s in var.l : "${i}:${s}"]', ["0:a", "1:b"]),
        ('[for s in var.l : s if s != "a"]', ["b"]),
        # Maps are iterated in key order, as Terraform does.
        ("{for k, v in var.m : k => v * 10}", {"a": 10, "b": 20}),
        ("{for k, v in var.m : v => k}", {"1": "a", "2": "b"}),
        ("{for k, v in var.m : k => v if v > 1}", {"b": 2}),
        ('{for s in ["a", "b", "a"] : s => s...}', {"a": ["a", "a"], "b": ["b"]}),
        (
            "[for s in aws_subnet.many : s.id]",
            [Ref("aws_subnet.many[0]", "id"), Ref("aws_subnet.many[1]", "id")],
        ),
        (
            "{for k, s in aws_subnet.each : k => s.arn}",
            {"x": Ref('aws_subnet.each["x"]', "arn"), "y": Ref('aws_subnet.each["y"]', "arn")},
        ),
        ("[for s in var.gate : s]", Unknown(frozenset({GATE}))),
        ("[for s in var.l : s if var.gate]", Unknown(frozenset({GATE}))),
    ],
)
def test_for_expressions(text: str, expected: Any) -> None:
    exact(ev(text), expected)


def test_for_over_a_map_iterates_in_key_order() -> None:
    exact(ev("[for k, v in var.m : k]"), ["a", "b"])


@pytest.mark.parametrize(
    "text",
    ["{(aws_vpc.a.id) = 1}", "{for s in [1] : aws_vpc.a.id => s}"],
)
def test_unknown_object_key_keeps_its_refs(text: str) -> None:
    exact(ev(text), Unknown(frozenset({"aws_vpc.a"})))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "aws_subnet.many[*].id",
            [Ref("aws_subnet.many[0]", "id"), Ref("aws_subnet.many[1]", "id")],
        ),
        (
            "aws_subnet.many.*.id",
            [Ref("aws_subnet.many[0]", "id"), Ref("aws_subnet.many[1]", "id")],
        ),
        ("aws_subnet.many[*]", [Ref("aws_subnet.many[0]"), Ref("aws_subnet.many[1]")]),
        ("aws_vpc.a[*].id", [Ref("aws_vpc.a", "id")]),  # a single value splats to a list of one
        ("var.missing[*]", Unknown()),
        ("(null)[*]", []),  # null splats to an empty list
        ("var.gate[*].id", Unknown(frozenset({GATE}))),
    ],
)
def test_splats(text: str, expected: Any) -> None:
    exact(ev(text), expected)


def test_index_after_an_attribute_only_splat() -> None:
    exact(ev("aws_subnet.many.*.id[1]"), Ref("aws_subnet.many[1]", "id"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("var.l[0]", "a"),
        ("var.l[1.0]", "b"),
        ('var.m["a"]', 1),
        ("var.m.a", 1),
        # Out of range, a missing key, a negative index: unknown, never a guess.
        # A missing index or key of a known value is an error: Missing, which try() skips.
        ("var.l[2]", Missing()),
        ("var.l[-1]", Missing()),
        ('var.l["0"]', Unknown()),
        ("var.m.zz", Missing()),
        ("aws_subnet.many[5].id", Missing()),
        ("var.l[var.gate]", Unknown(frozenset({GATE}))),
        ("var.m[aws_vpc.a.id]", Unknown(frozenset({"aws_vpc.a"}))),
    ],
)
def test_indexes(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('split(",", "a,b")[1]', "b"),
        ("[10, 20][1]", 20),
        ("{a = 1}.a", 1),
        (
            "values(aws_subnet.each)[*].id",
            [Ref('aws_subnet.each["x"]', "id"), Ref('aws_subnet.each["y"]', "id")],
        ),
    ],
)
def test_traversal_of_a_computed_value(text: str, expected: Any) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize("text", ["var.l[1e400]", "var.l[1e400 - 1e400]"])
def test_non_finite_index_is_unknown(text: str) -> None:
    exact(ev(text), Unknown())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nosuchfn(aws_vpc.a.id, 1)", Unknown(frozenset({"aws_vpc.a"}))),
        ("nosuchfn()", Unknown()),
        ('file("policy.json")', Unknown()),
        ('templatefile("p.tpl", { arn = aws_vpc.a.arn })', Unknown(frozenset({"aws_vpc.a"}))),
        ("timestamp()", Unknown()),
    ],
)
def test_unknown_function_is_unknown_with_the_refs_of_its_arguments(
    text: str, expected: Any
) -> None:
    exact(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[1, "a", null, true]', [1, "a", None, True]),
        ('{a = 1, "b" = 2, (var.env) = 3}', {"a": 1, "b": 2, "prod": 3}),
        ('{1 = "x", true = "y"}', {"1": "x", "true": "y"}),
        ("{a = aws_vpc.a.id}", {"a": Ref("aws_vpc.a", "id")}),
    ],
)
def test_collections(text: str, expected: Any) -> None:
    exact(ev(text), expected)


# --- functions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # format
        ('format("%s/*", "arn:x")', "arn:x/*"),
        ('format("%s-%d", "a", 3)', "a-3"),
        ('format("%q", "a")', '"a"'),
        ('format("%t %v 100%%", true, 1)', "true 1 100%"),
        ('format("%s/*", aws_s3_bucket.b.arn)', Unknown(frozenset({"aws_s3_bucket.b"}))),
        ('format("%x", 1)', Unknown()),  # a verb it does not know: unknown, not wrong
        # join / split
        ('join(",", var.l)', "a,b"),
        ('join("-", [1, true, "x"])', "1-true-x"),
        ('join(",", [aws_vpc.a.id])', Unknown(frozenset({"aws_vpc.a"}))),
        ('split(",", "a,b,,c")', ["a", "b", "", "c"]),
        # concat / merge
        ("concat([1], [2, 3], [])", [1, 2, 3]),
        ("concat([aws_vpc.a.id], var.l)", [Ref("aws_vpc.a", "id"), "a", "b"]),
        ("concat(var.l, var.gate)", Unknown(frozenset({GATE}))),
        ("merge({a = 1, b = 1}, {b = 2}, null)", {"a": 1, "b": 2}),
        ("merge({a = 1}, var.gate)", Unknown(frozenset({GATE}))),
        # lookup
        ('lookup({a = 1}, "a", 2)', 1),
        ('lookup({a = 1}, "z", 2)', 2),
        ('lookup({a = 1}, "z")', Unknown()),
        ('lookup(aws_subnet.each, "y")', Ref('aws_subnet.each["y"]')),
        # element wraps around
        ('element(["a", "b", "c"], 4)', "b"),
        ("element(aws_subnet.many, 3)", Ref("aws_subnet.many[1]")),
        ("element([], 0)", Unknown()),
        # length
        ("length([1, 2, 3])", 3),
        ("length({a = 1})", 1),
        ('length("abc")', 3),
        ("length(aws_subnet.many)", 2),
        ("length(var.gate)", Unknown(frozenset({GATE}))),
        # cidrsubnet / cidrhost
        ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
        ('cidrsubnet("10.0.0.0/16", 4, 15)', "10.0.240.0/20"),
        ('cidrsubnet("fd00::/56", 8, 1)', "fd00:0:0:1::/64"),
        ('cidrsubnet("10.0.0.0/16", 8, 256)', Unknown()),
        ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"),
        ('cidrhost("10.0.1.0/24", -1)', "10.0.1.255"),
        ('cidrhost("10.0.1.0/24", 256)', Unknown()),
        # try / coalesce / can
        ('try(var.m.zz, "fallback")', "fallback"),
        ('try(1, "d")', 1),
        ("try(var.gate)", Unknown(frozenset({GATE}))),
        ('coalesce("", null, "x")', "x"),
        ('coalesce("a", var.gate)', "a"),
        ('coalesce(var.gate, "x")', Unknown(frozenset({GATE}))),
        ('coalesce("", null)', Unknown()),
        ("can(1)", True),
        ("can(var.gate)", Unknown(frozenset({GATE}))),
        ("can(aws_vpc.a.id)", Unknown(frozenset({"aws_vpc.a"}))),
        # jsonencode
        ('jsonencode({a = [true, null, "x"], b = 1})', '{"a":[true,null,"x"],"b":1}'),
        ('jsonencode("a")', '"a"'),
        (
            'jsonencode({a = aws_vpc.a.arn, b = "x"})',
            Unknown(frozenset({"aws_vpc.a"}), {"a": Ref("aws_vpc.a", "arn"), "b": "x"}),
        ),
        (
            'jsonencode(["${aws_vpc.a.arn}/*"])',
            Unknown(frozenset({"aws_vpc.a"}), [Unknown(frozenset({"aws_vpc.a"}), f"{HOLE}/*")]),
        ),
        # conversions
        ('tonumber("5")', 5),
        ('tonumber("2.5")', 2.5),
        ("tonumber(3)", 3),
        ("tonumber(true)", Unknown()),
        ('tonumber("x")', Unknown()),
        ("tostring(5)", "5"),
        ("tostring(true)", "true"),
        ('tostring("s")', "s"),
        ("tostring([1])", Unknown()),
        ('tobool("true")', True),
        ("tobool(false)", False),
        ('tobool("yes")', Unknown()),
        # sets, keys, values
        ("toset(var.l)", ["a", "b"]),
        ('toset(concat(var.l, ["a", "c", "b"]))', ["a", "b", "c"]),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        (
            "values(aws_subnet.each)",
            [Ref('aws_subnet.each["x"]'), Ref('aws_subnet.each["y"]')],
        ),
        # zipmap, range
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ('zipmap(["a"], [1, 2])', Unknown()),
        ("range(3)", [0, 1, 2]),
        ("range(1, 4)", [1, 2, 3]),
        ("range(0, 10, 3)", [0, 3, 6, 9]),
        ("range(3, 0, -1)", [3, 2, 1]),
        # flatten, distinct, compact
        ("flatten([[1, [2]], 3, []])", [1, 2, 3]),
        (
            "flatten([aws_subnet.many, [aws_vpc.a]])",
            [Ref("aws_subnet.many[0]"), Ref("aws_subnet.many[1]"), Ref("aws_vpc.a")],
        ),
        ('distinct([1, 2, 1, "1"])', [1, 2, "1"]),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        # expansion
        ("max([1, 5, 3]...)", 5),
        ("min(var.l...)", "a"),
        ("max(var.gate...)", Unknown(frozenset({GATE}))),
        # a function given values it rejects: Terraform would fail, so unknown
        ("upper(1)", Unknown()),
        ('cidrhost("not-a-cidr", 1)', Unknown()),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    exact(ev(text), expected)


def test_every_function_name_is_lower_case_and_callable() -> None:
    assert all(name == name.lower() and callable(fn) for name, fn in FUNCTIONS.items())
    assert {"file", "templatefile", "timestamp", "uuid"}.isdisjoint(FUNCTIONS)


def test_jsonencode_sorts_object_keys() -> None:
    exact(ev("jsonencode({b = 1, a = 2})"), '{"a":2,"b":1}')


def test_toset_orders_numbers_numerically() -> None:
    exact(ev("toset([10, 9, 10])"), [9, 10])


def test_string_list_inside_a_call() -> None:
    # python-hcl2 alone renders it `${toset([b, a])}`; the collector's parser keeps the quotes.
    raw = hcl('toset(["b", "a"])')
    assert raw == '${toset(["b", "a"])}'
    exact(evaluate_value(raw, env()), ["a", "b"])


# --- refs_of / is_known --------------------------------------------------------------------


def test_refs_of_and_is_known_walk_nested_values() -> None:
    value = {
        "a": [Ref("aws_vpc.a", "id"), "x"],
        "b": Unknown(frozenset({"aws_vpc.b"}), {"c": Ref("aws_vpc.c")}),
        "d": 1,
    }
    assert refs_of(value) == {"aws_vpc.a", "aws_vpc.b", "aws_vpc.c"}
    assert refs_of(["x", {"y": 1}]) == set()
    assert is_known(value) is False
    assert is_known({"a": [1, "x", None, {"b": True}]}) is True
    assert is_known(Ref("aws_vpc.a")) is False


# --- modules: variables, locals, resources -------------------------------------------------

MODULE = """
variable "env" {
  default = "prod"
}
variable "enabled" {
  default = true
}
variable "debug" {
  default = false
}
variable "cidrs" {
  default = ["10.0.0.0/16", "10.1.0.0/16"]
}
variable "port" {
  default = 443
}
variable "computed" {
  default = "${upper("x")}"
}
variable "no_default" {}
locals {
  name     = "app-${var.env}"
  same     = var.env
  tags     = { Env = var.env, Team = "core" }
  on       = var.enabled
  cidrs    = var.cidrs
  full     = "${local.name}.example.com"
  listen   = "port-${var.port}"
  flagtext = "debug=${var.debug}"
  sg_id    = aws_security_group.web.id
  cycle_a  = local.cycle_b
  cycle_b  = local.cycle_a
  itself   = local.itself
}
resource "aws_security_group" "web" {
  name = local.name
}
resource "aws_subnet" "many" {
  count      = length(var.cidrs)
  cidr_block = var.cidrs[count.index]
}
resource "aws_subnet" "each" {
  for_each   = { b = "10.2.0.0/24", a = "10.3.0.0/24" }
  cidr_block = each.value
  tags       = { Name = each.key }
}
resource "aws_subnet" "maybe" {
  count      = var.no_default ? 1 : 0
  cidr_block = "10.9.${count.index}.0/24"
}
"""


def parsed(rel: str, text: str) -> Parsed:
    return Parsed(Path(rel), rel, loads(text))


def module_instance(
    dirs: dict[str, list[Parsed]], tfvars: dict[str, Any] | None = None
) -> tuple[ModuleInstance, list[Diagnostic]]:
    """The root module in directory ".", with module sources looked up in `dirs`."""
    diagnostics: list[Diagnostic] = []
    resolver = Resolver(load_dir=lambda d: dirs.get(d, []), read_text=lambda path: None)
    root = ModuleInstance(
        ".", dirs["."], "", "", None, root_inputs(tfvars or {}), resolver, diagnostics
    )
    return root, diagnostics


@pytest.fixture
def root() -> ModuleInstance:
    instance, _ = module_instance({".": [parsed("main.tf", MODULE)]}, {"port": 8443})
    return instance


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Variables: defaults keep their type; tfvars win over defaults.
        ("var.env", "prod"),
        ("var.enabled", True),
        ("var.debug", False),
        ("var.port", 8443),
        ("var.cidrs", ["10.0.0.0/16", "10.1.0.0/16"]),
        ("var.computed", "X"),
        # Locals that reference variables, and locals that reference locals.
        ("local.name", "app-prod"),
        ("local.same", "prod"),
        ("local.on", True),
        ("local.cidrs", ["10.0.0.0/16", "10.1.0.0/16"]),
        ("local.full", "app-prod.example.com"),
        ("local.tags", {"Env": "prod", "Team": "core"}),
        ("local.sg_id", Ref("aws_security_group.web", "id")),
        # Interpolation: numbers and booleans as Terraform prints them.
        ('"${var.env}-web"', "prod-web"),
        ('"${var.env}-${local.name}"', "prod-app-prod"),
        ("local.listen", "port-8443"),
        ("local.flagtext", "debug=false"),
        ("upper(var.env)", "PROD"),
        ('var.env == "prod" ? 1 : 2', 1),
        ("var.cidrs[0]", "10.0.0.0/16"),
        # What the files do not set is unknown, never a default.
        ("var.missing", Unknown()),
        ("var.no_default", Unknown()),
        ("local.missing", Unknown()),
        ('"${var.env}-${var.no_default}"', Unknown(frozenset(), f"prod-{HOLE}")),
        # A cycle (Terraform rejects it) is unknown, not an error.
        ("local.cycle_a", Unknown()),
        ("local.itself", Unknown()),
        # Resources: one Ref per instance, addressed as Terraform does.
        ("aws_security_group.web", Ref("aws_security_group.web")),
        ("aws_subnet.many", [Ref("aws_subnet.many[0]"), Ref("aws_subnet.many[1]")]),
        ("aws_subnet.many[1].id", Ref("aws_subnet.many[1]", "id")),
        ("aws_subnet.each", {"a": Ref('aws_subnet.each["a"]'), "b": Ref('aws_subnet.each["b"]')}),
        ("aws_subnet.maybe", Unknown(frozenset({"aws_subnet.maybe"}))),
        ("aws_subnet.maybe[0].id", Unknown(frozenset({"aws_subnet.maybe"}))),
        ("aws_subnet.undeclared.id", Unknown()),
        # Literals pass through.
        ('"plain"', "plain"),
        ("8080", 8080),
        ("false", False),
    ],
)
def test_module_names(root: ModuleInstance, text: str, expected: Any) -> None:
    exact(evaluate_value(hcl(text), root.env), expected)


def test_module_evaluates_a_whole_resource_body(root: ModuleInstance) -> None:
    raw = loads(
        """
resource "aws_security_group" "x" {
  name    = "${local.name}-sg"
  vpc_id  = aws_vpc.main.id
  enabled = var.enabled
  ingress {
    cidr_blocks = var.cidrs
    from_port   = var.port
    to_port     = var.unknown_port
  }
}
"""
    )["resource"][0]["aws_security_group"]["x"]
    assert evaluate_value(raw, root.env) == {
        "name": "app-prod-sg",
        "vpc_id": Unknown(),  # aws_vpc.main is not declared in this module
        "enabled": True,
        "ingress": [
            {
                "cidr_blocks": ["10.0.0.0/16", "10.1.0.0/16"],
                "from_port": 8443,
                "to_port": Unknown(),
                "__start_line__": 6,
                "__end_line__": 10,
            }
        ],
        "__start_line__": 2,
        "__end_line__": 11,
    }


def test_module_blocks_are_instances_with_evaluated_bodies(root: ModuleInstance) -> None:
    blocks = [
        (b.address, b.conditional, {k: v for k, v in b.body.items() if not k.startswith("__")})
        for b in root.blocks()
    ]
    assert blocks == [
        ("aws_security_group.web", False, {"name": "app-prod"}),
        ("aws_subnet.many[0]", False, {"count": 2, "cidr_block": "10.0.0.0/16"}),
        ("aws_subnet.many[1]", False, {"count": 2, "cidr_block": "10.1.0.0/16"}),
        (
            'aws_subnet.each["a"]',
            False,
            {
                "for_each": {"b": "10.2.0.0/24", "a": "10.3.0.0/24"},
                "cidr_block": "10.3.0.0/24",
                "tags": {"Name": "a"},
            },
        ),
        (
            'aws_subnet.each["b"]',
            False,
            {
                "for_each": {"b": "10.2.0.0/24", "a": "10.3.0.0/24"},
                "cidr_block": "10.2.0.0/24",
                "tags": {"Name": "b"},
            },
        ),
        # count unknown: one conditional block, count.index unknown inside it.
        (
            "aws_subnet.maybe",
            True,
            {"count": Unknown(), "cidr_block": Unknown(frozenset(), f"10.9.{HOLE}.0/24")},
        ),
    ]


NETWORK = """
variable "ports" {
  default = [443, 80]
}
variable "envs" {
  default = { prod = "10.0.0.0/16", dev = "10.1.0.0/16" }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_security_group" "web" {
  vpc_id = aws_vpc.main.id
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
      to_port   = ingress.key
    }
  }
  dynamic "egress" {
    for_each = var.unknown
    iterator = rule
    content {
      from_port = rule.value
    }
  }
}
module "net" {
  source = "./net"
  vpc_id = aws_vpc.main.id
  cidr   = "10.0.1.0/24"
}
module "envs" {
  source   = "./net"
  for_each = var.envs
  vpc_id   = aws_vpc.main.id
  cidr     = each.value
}
module "missing" {
  source = "./nowhere"
}
module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}
resource "aws_instance" "app" {
  subnet_id = module.net.subnet_id
  prod      = module.envs["prod"].subnet_id
  remote    = module.remote.vpc_id
}
"""

NET = """
variable "vpc_id" {}
variable "cidr" {}
resource "aws_subnet" "this" {
  vpc_id     = var.vpc_id
  cidr_block = var.cidr
}
output "subnet_id" {
  value = aws_subnet.this.id
}
"""


def test_module_calls_dynamic_blocks_and_outputs() -> None:
    root, diagnostics = module_instance(
        {".": [parsed("main.tf", NETWORK)], "net": [parsed("net/main.tf", NET)]}
    )
    blocks = {b.address: b for b in root.blocks()}
    assert [(a, b.file, b.line) for a, b in blocks.items()] == [
        ("aws_vpc.main", "main.tf", 8),
        ("aws_security_group.web", "main.tf", 11),
        ("aws_instance.app", "main.tf", 45),
        ('module.envs["dev"].aws_subnet.this', "net/main.tf", 4),
        ('module.envs["prod"].aws_subnet.this', "net/main.tf", 4),
        ("module.net.aws_subnet.this", "net/main.tf", 4),
    ]
    # Inputs are evaluated in the caller, outputs in the child.
    assert blocks["module.net.aws_subnet.this"].body["vpc_id"] == Ref("aws_vpc.main", "id")
    assert blocks['module.envs["dev"].aws_subnet.this'].body["cidr_block"] == "10.1.0.0/16"
    app = blocks["aws_instance.app"].body
    assert app["subnet_id"] == Ref("module.net.aws_subnet.this", "id")
    assert app["prod"] == Ref('module.envs["prod"].aws_subnet.this', "id")
    assert app["remote"] == Unknown()
    # Dynamic blocks become the nested blocks they generate; an unknown one, a placeholder.
    web = blocks["aws_security_group.web"].body
    assert web["ingress"] == [
        {"from_port": 443, "to_port": 0, "__start_line__": 15, "__end_line__": 18},
        {"from_port": 80, "to_port": 1, "__start_line__": 15, "__end_line__": 18},
    ]
    assert web["egress"] == [{"__unknown__": True, "__start_line__": 23}]
    # Modules are read lazily, so the order of diagnostics is the order of first use.
    assert sorted((d.level, d.source, d.line, d.message) for d in diagnostics) == [
        (
            "warning",
            "main.tf",
            39,
            "module 'missing' (./nowhere) has no .tf files at nowhere; not scanned",
        ),
        (
            "warning",
            "main.tf",
            42,
            "module 'remote' (terraform-aws-modules/vpc/aws) is not on disk "
            "(run `terraform init` to fetch it); not scanned",
        ),
    ]


# --- modules.instance_keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "for_each", "expected"),
    [
        (None, None, [("", {})]),
        (0, None, []),
        (2, None, [("[0]", {"count.index": 0}), ("[1]", {"count.index": 1})]),
        (2.0, None, [("[0]", {"count.index": 0}), ("[1]", {"count.index": 1})]),
        (
            None,
            {"b": 1, "a": {"x": 2}},
            [
                ('["a"]', {"each.key": "a", "each.value": {"x": 2}}),
                ('["b"]', {"each.key": "b", "each.value": 1}),
            ],
        ),
        (
            None,
            ["b", "a", "b"],
            [
                ('["a"]', {"each.key": "a", "each.value": "a"}),
                ('["b"]', {"each.key": "b", "each.value": "b"}),
            ],
        ),
        (None, {}, []),
        (None, [], []),
        # Unknown, or not a count / for_each Terraform accepts: None, never a guess.
        (Unknown(), None, None),
        (None, Unknown(frozenset({"aws_vpc.a"})), None),
        (True, None, None),
        ("2", None, [("[0]", {"count.index": 0}), ("[1]", {"count.index": 1})]),
        (None, [1, 2], None),
        (None, [Ref("aws_vpc.a")], None),
    ],
)
def test_instance_keys(count: Any, for_each: Any, expected: Any) -> None:
    assert instance_keys(count, for_each) == expected


# --- properties ----------------------------------------------------------------------------

NODES = (
    Lit,
    Template,
    Var,
    GetAttr,
    Index,
    Splat,
    Call,
    Unary,
    Binary,
    Cond,
    TupleExpr,
    ObjectExpr,
    ForExpr,
)

_TOKENS = [
    *"abxyz_019.[]{}()\"'$%*,:?=<>!&|+-/\\#\n ",
    "${",
    "for ",
    " in ",
    " if ",
    "=>",
    "...",
    "var.",
    "aws_vpc.a",
    "true",
    "null",
    "1.5",
    "[*]",
    ".*",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=40), st.lists(st.sampled_from(_TOKENS), max_size=24).map("".join)
    )
)
@example(text="var.l.0.1")
def test_parse_returns_a_node_or_raises_expr_error(text: str) -> None:
    try:
        node = expr.parse(text)
    except ExprError:
        return
    assert isinstance(node, NODES)


def test_parse_of_a_dotted_numeric_index_raises_expr_error() -> None:
    with pytest.raises(ExprError, match=r"invalid index \.0\.1"):
        expr.parse("var.l.0.1")


def test_parse_of_deep_nesting_raises_expr_error() -> None:
    # Parses are cached, and hypothesis raises the recursion limit while it runs: start clean.
    expr.parse.cache_clear()
    with pytest.raises(ExprError, match="nested too deeply"):
        expr.parse("[" * 300 + "]" * 300)


def test_evaluate_value_of_deep_nesting_is_unknown() -> None:
    expr.parse.cache_clear()
    expr.parse_value.cache_clear()
    assert evaluate_value("${" + "[" * 300 + "]" * 300 + "}", env()) == Unknown()


_LEAVES = [
    "1",
    "0",
    "2.5",
    "1e400",
    '"a"',
    '"10.0.0.0/16"',
    '"x-${var.env}"',
    "true",
    "false",
    "null",
    "var.env",
    "var.n",
    "var.l",
    "var.m",
    "var.gate",
    "var.missing",
    "local.x",
    "aws_vpc.a.id",
    "aws_vpc.a",
    "aws_subnet.many",
    "aws_subnet.each",
    "count.index",
    "each.value",
    "path.module",
    "module.m.out",
    "data.aws_x.y.id",
    "s",
]


def _expressions() -> st.SearchStrategy[str]:
    names = [*sorted(FUNCTIONS), "nosuchfn"]

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(
                inner,
                st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"]),
                inner,
            ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["!", "-"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            st.tuples(st.sampled_from(names), st.lists(inner, max_size=3), st.booleans()).map(
                lambda t: f"{t[0]}({', '.join(t[1])}{'...' if t[2] and t[1] else ''})"
            ),
            st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
            st.lists(
                st.tuples(st.sampled_from(["a", "b", '"c"', "(var.env)"]), inner), max_size=3
            ).map(lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
            st.tuples(inner, st.sampled_from(["id", "a", "0"])).map(lambda t: f"({t[0]}).{t[1]}"),
            inner.map(lambda e: f"({e})[*].id"),
            st.tuples(inner, inner).map(lambda t: f"[for s in {t[0]} : {t[1]}]"),
            st.tuples(inner, inner, inner).map(
                lambda t: f"{{for k, s in {t[0]} : tostring(k) => {t[1]} if {t[2]}}}"
            ),
            st.tuples(inner, inner).map(lambda t: f'"p-${{{t[0]}}}-${{{t[1]}}}"'),
        )

    return st.recursive(st.sampled_from(_LEAVES), extend, max_leaves=12)


def _is_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_value(v) for k, v in value.items())
    if isinstance(value, Unknown):
        return all(isinstance(r, str) for r in value.refs) and (
            value.partial is None or _is_value(value.partial)
        )
    return value is None or isinstance(value, str | int | float | bool | Ref)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_expressions())
@example(text="var.l[1e400]")
def test_evaluate_of_any_parsed_node_returns_a_value(text: str) -> None:
    node = expr.parse(text)
    assert _is_value(evaluate(node, env()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('try(var.m.zz, "d")', "d"),  # a missing key is an error: try falls back
        ('try(var.l[9], var.l[0], "d")', 1),
        ('try(aws_vpc.a.tags.Name, "d")', None),  # unknown first: the result is unknown
        ("can(var.m.zz)", False),
        ("can(var.l[0])", True),
    ],
)
def test_try_and_can_tell_errors_from_unknowns(text: str, expected: object) -> None:
    env = Env(
        variables={"m": {"a": 1}, "l": [1, 2]},
        locals_={},
        resource=lambda t, n: Ref(f"{t}.{n}"),
        module=lambda n: Unknown(),
    )
    value = evaluate(expr.parse(text), env)
    if expected is None:
        assert value == Unknown(frozenset({"aws_vpc.a"}))
    else:
        assert value == expected


def test_cidrsubnet_is_arithmetic_not_enumeration() -> None:
    assert FUNCTIONS["cidrsubnet"]("10.0.0.0/8", 24, 2_000_000) == "10.30.132.128/32"
    assert FUNCTIONS["cidrsubnet"]("fd00::/56", 8, 3) == "fd00:0:0:3::/64"
