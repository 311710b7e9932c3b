"""Tests for collectors.terraform.values, fed with evaluated values.

Inputs are real HCL parsed as the collector parses it (python-hcl2 7.3.1, through
collectors.terraform.parse.loads) and evaluated by the collector's evaluator, so the
accessors see exactly what the record builders see: plain data, `Ref`s for resources
and `Unknown`s for what the files do not determine.
"""

from __future__ import annotations

from typing import Any

import hcl2.api
import pytest

from collectors.terraform import values as v
from collectors.terraform.evaluate import HOLE, Env, Ref, Unknown, evaluate_value
from collectors.terraform.parse import loads

# Resources with `count = 2` and `for_each = toset(["x", "y"])`; every other resource is single.
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
    """Only `var.env` is known; every module output is unknown."""
    return Env(
        variables={"env": "prod"},
        locals_={},
        resource=resource,
        module=lambda name: Unknown(),
    )


def hcl(expr: str) -> Any:
    """What the collector's parser gives for `expr` on the right of an attribute."""
    doc = loads(f"locals {{\n  x = {expr}\n}}\n")
    return doc["locals"][0]["x"]


def value(expr: str) -> Any:
    """`expr` as the record builders see it: parsed, then evaluated."""
    return evaluate_value(hcl(expr), env())


def body(text: str) -> dict[str, Any]:
    """The evaluated body of the single `resource "aws_thing" "t"` block in `text`."""
    doc = loads(f'resource "aws_thing" "t" {{\n{text}\n}}\n')
    result: dict[str, Any] = evaluate_value(doc["resource"][0]["aws_thing"]["t"], env())
    return result


# --- what the accessors are given (so the inputs below are honest) ------------------------


def test_parser_renders_references_as_interpolations() -> None:
    assert hcl("aws_vpc.main.id") == "${aws_vpc.main.id}"
    assert hcl("[aws_subnet.a.id, aws_subnet.b.id]") == [
        "${aws_subnet.a.id}",
        "${aws_subnet.b.id}",
    ]
    assert hcl("concat([aws_subnet.a.id], [aws_subnet.b.id])") == (
        "${concat([${aws_subnet.a.id}], [${aws_subnet.b.id}])}"
    )
    assert hcl("true") is True
    assert hcl("443") == 443
    # python-hcl2 alone drops the quotes of strings in a list inside a call; the parser keeps them.
    raw = hcl2.api.loads('locals {\n  x = toset(["b", "a"])\n}\n', with_meta=True)
    assert raw["locals"][0]["x"] == "${toset([b, a])}"
    assert hcl('toset(["b", "a"])') == '${toset(["b", "a"])}'


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("aws_vpc.main.id", Ref("aws_vpc.main", "id")),
        ("aws_vpc.main", Ref("aws_vpc.main")),
        ("aws_subnet.many[1].id", Ref("aws_subnet.many[1]", "id")),
        ('aws_subnet.each["y"].arn', Ref('aws_subnet.each["y"]', "arn")),
        (
            "aws_subnet.many[*].id",
            [Ref("aws_subnet.many[0]", "id"), Ref("aws_subnet.many[1]", "id")],
        ),
        ("var.missing", Unknown()),
        ("data.aws_vpc.default.id", Unknown()),
        ("module.net.vpc_id", Unknown()),
        ("var.on ? aws_vpc.a.id : aws_vpc.b.id", Unknown(frozenset({"aws_vpc.a", "aws_vpc.b"}))),
        ('"${aws_vpc.main.id}-x"', Unknown(frozenset({"aws_vpc.main"}), f"{HOLE}-x")),
        ('"${var.env}-x"', "prod-x"),
    ],
)
def test_evaluated_values(expr: str, expected: Any) -> None:
    assert value(expr) == expected


# --- ref -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("aws_vpc.main.id", "aws_vpc.main"),
        ("aws_vpc.main", "aws_vpc.main"),
        ("aws_lb.web.arn", "aws_lb.web"),
        # Instances of counted / for_each resources are addressed as Terraform does.
        ("aws_subnet.many[0].id", "aws_subnet.many[0]"),
        ('aws_subnet.each["x"].id', 'aws_subnet.each["x"]'),
        ("aws_subnet.each.y.id", 'aws_subnet.each["y"]'),
        # A splat is a list: `refs` reads it, `ref` does not.
        ("aws_subnet.many[*].id", None),
        ("aws_subnet.many[5].id", None),  # no such instance
        ('"vpc-0abc"', "vpc-0abc"),
        ("var.vpc_id", None),
        ("local.vpc_id", None),
        ("data.aws_vpc.default.id", None),
        ("module.net.vpc_id", None),
        ("var.on ? aws_vpc.a.id : aws_vpc.b.id", None),
        # A condition the files decide picks its branch.
        ('var.env == "prod" ? aws_vpc.a.id : aws_vpc.b.id', "aws_vpc.a"),
        ("coalesce(aws_vpc.a.id, aws_vpc.b.id)", None),
        ('"${aws_vpc.main.id}-x"', None),
        ("1", None),
        ("true", None),
        ("[aws_vpc.main.id]", None),
    ],
)
def test_ref(expr: str, expected: str | None) -> None:
    assert v.ref(value(expr)) == expected


def test_ref_of_none_is_none() -> None:
    assert v.ref(None) is None


# --- refs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "[aws_security_group.web.id, aws_security_group.db.id]",
            ("aws_security_group.web", "aws_security_group.db"),
        ),
        ('[aws_security_group.web.id, "sg-0123"]', ("aws_security_group.web", "sg-0123")),
        # Unreadable items are dropped, the readable ones kept.
        ("[aws_security_group.web.id, var.extra_sg]", ("aws_security_group.web",)),
        # Duplicates collapse, first occurrence wins the order.
        ("[aws_subnet.b.id, aws_subnet.a.id, aws_subnet.b.id]", ("aws_subnet.b", "aws_subnet.a")),
        ("aws_subnet.a.id", ("aws_subnet.a",)),
        # Splats and for expressions give every instance.
        ("aws_subnet.many[*].id", ("aws_subnet.many[0]", "aws_subnet.many[1]")),
        ("aws_subnet.many.*.id", ("aws_subnet.many[0]", "aws_subnet.many[1]")),
        ("aws_subnet.many", ("aws_subnet.many[0]", "aws_subnet.many[1]")),
        ("[for s in aws_subnet.many : s.id]", ("aws_subnet.many[0]", "aws_subnet.many[1]")),
        # Functions that only move references around keep them, in order.
        ("concat([aws_subnet.b.id], [aws_subnet.a.id])", ("aws_subnet.b", "aws_subnet.a")),
        ("values(aws_subnet.each)", ('aws_subnet.each["x"]', 'aws_subnet.each["y"]')),
        # An Unknown gives the resources it depends on, sorted.
        ("concat([aws_subnet.b.id, aws_subnet.a.id], var.more)", ("aws_subnet.a", "aws_subnet.b")),
        ("var.on ? aws_subnet.b.id : aws_subnet.a.id", ("aws_subnet.a", "aws_subnet.b")),
        # python-hcl2 renders tuples inside a conditional as Python reprs: still read.
        (
            "var.on ? [aws_subnet.b.id] : [aws_subnet.b.id, aws_subnet.a.id]",
            ("aws_subnet.a", "aws_subnet.b"),
        ),
        ("var.subnet_ids", ()),
        ("data.aws_subnets.all.ids", ()),
        ("[]", ()),
        ("3", ()),
    ],
)
def test_refs(expr: str, expected: tuple[str, ...]) -> None:
    assert v.refs(value(expr)) == expected


# --- refs_in -------------------------------------------------------------------------------


def test_refs_in_walks_nested_values_and_skips_metadata() -> None:
    b = body(
        """
  vpc_id = aws_vpc.main.id
  name   = "web"
  note   = "see aws_vpc.other in the docs"
  policy = "${aws_s3_bucket.logs.arn}/*"
  ids    = [aws_subnet.many[0].id, data.aws_subnet.x.id, module.m.aws_subnet_id]
  tags   = { Owner = aws_iam_role.r.name }
  whole  = aws_lb.web
  either = var.on ? aws_vpc.y.id : aws_vpc.x.id
  ingress {
    security_groups = [aws_security_group.peer.id]
  }
"""
    )
    # The nested block carries __start_line__/__end_line__ ints: must be ignored silently.
    assert b["ingress"][0]["__start_line__"] == 11
    assert list(v.refs_in(b)) == [
        ("aws_vpc.main", "id"),
        ("aws_s3_bucket.logs", None),  # inside an Unknown: the attribute is not kept
        ("aws_subnet.many[0]", "id"),
        ("aws_iam_role.r", "name"),
        ("aws_lb.web", None),
        ("aws_vpc.x", None),
        ("aws_vpc.y", None),
        ("aws_security_group.peer", "id"),
    ]


def test_refs_in_an_unknown_walks_its_partial_value() -> None:
    policy = value("jsonencode([aws_vpc.a.arn])")
    assert policy == Unknown(frozenset({"aws_vpc.a"}), [Ref("aws_vpc.a", "arn")])
    assert list(v.refs_in(policy)) == [("aws_vpc.a", None), ("aws_vpc.a", "arn")]


def test_refs_in_literal_and_scalars_have_no_refs() -> None:
    assert list(v.refs_in("aws_vpc.main.id")) == []  # a literal string, not an expression
    assert list(v.refs_in(5)) == []
    assert list(v.refs_in(None)) == []
    assert list(v.refs_in(Unknown())) == []
    assert list(v.refs_in({"__start_line__": Ref("aws_vpc.x", "id")})) == []


# --- is_complete ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[aws_subnet.a.id, aws_subnet.b.id]", True),
        ('[aws_subnet.a.id, "subnet-0123"]', True),
        ("[aws_subnet.a.id, var.other]", False),
        ("[]", True),
        ("aws_subnet.a.id", True),
        ("aws_subnet.many[*].id", True),
        ("var.subnet_ids", False),
        ("concat([aws_subnet.a.id], [aws_subnet.b.id])", True),
        ("concat([aws_subnet.a.id], var.more)", False),
        ("1", False),
    ],
)
def test_is_complete(expr: str, expected: bool) -> None:
    assert v.is_complete(value(expr)) is expected


# --- string, boolean, integer, strings -----------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"10.0.0.0/16"', "10.0.0.0/16"),
        ('""', ""),
        ("var.cidr", None),
        ('"${var.prefix}-web"', None),
        ('"${var.env}-web"', "prod-web"),
        ('upper("${var.env}")', "PROD"),
        ("aws_vpc.main.id", None),
        ("16", None),
        ("true", None),
    ],
)
def test_string(expr: str, expected: str | None) -> None:
    assert v.string(value(expr)) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("true", True),
        ("false", False),
        ('"true"', True),
        ('"false"', False),
        ('"True"', None),
        ('"yes"', None),
        ("1", None),
        ("0", None),
        ("var.enabled", None),
        ('var.env == "prod"', True),
        ('var.env != "prod"', False),
        ("null", None),
    ],
)
def test_boolean(expr: str, expected: bool | None) -> None:
    assert v.boolean(value(expr)) is expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("443", 443),
        ("-1", -1),
        ("0", 0),
        ('"8080"', 8080),
        ('"-1"', -1),
        ("3.0", 3),
        ("3.5", None),
        ("2 * 40", 80),
        ("true", None),
        ("false", None),
        ("var.port", None),
        ('"80-90"', None),
        ('""', None),
        ("null", None),
    ],
)
def test_integer(expr: str, expected: int | None) -> None:
    result = v.integer(value(expr))
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("text", ['"--5"', '"\u00b2"'])
def test_integer_of_unreadable_digit_string_is_none(text: str) -> None:
    assert v.integer(value(text)) is None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('["10.0.0.0/8", "192.168.0.0/16"]', ("10.0.0.0/8", "192.168.0.0/16")),
        ('"0.0.0.0/0"', ("0.0.0.0/0",)),
        ("[]", ()),
        ('["${var.env}-a", "b"]', ("prod-a", "b")),
        ('["10.0.0.0/8", var.extra]', None),
        ('["10.0.0.0/8", 5]', None),
        ("var.cidrs", None),
        ("5", None),
    ],
)
def test_strings(expr: str, expected: tuple[str, ...] | None) -> None:
    assert v.strings(value(expr)) == expected


# --- json_document -------------------------------------------------------------------------

_POLICY_ATTR = """
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.reader.arn }
      Action    = ["s3:GetObject"]
      Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = true }, NumericLessThan = { "s3:max-keys" = 10 } }
      Sid       = null
    }]
  })
"""


def test_json_document_of_jsonencode_with_bare_references() -> None:
    # python-hcl2 renders `AWS = aws_iam_role.reader.arn` as "${aws_iam_role.reader.arn}":
    # a template that is one interpolation is the value itself, here the Ref.
    value = body(_POLICY_ATTR)["policy"]
    assert v.json_document(value) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": Ref("aws_iam_role.reader", "arn")},
                "Action": ["s3:GetObject"],
                "Resource": [
                    Ref("aws_s3_bucket.b", "arn"),
                    Unknown(frozenset({"aws_s3_bucket.b"}), f"{HOLE}/*"),
                ],
                "Condition": {
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"s3:max-keys": 10},
                },
                "Sid": None,
            }
        ],
    }


def test_json_document_of_jsonencode_keeps_references_as_leaves() -> None:
    doc = v.json_document(
        value('jsonencode({ Version = "2012-10-17", Resource = [aws_s3_bucket.b.arn] })')
    )
    assert doc == {"Version": "2012-10-17", "Resource": [Ref("aws_s3_bucket.b", "arn")]}
    assert v.json_document(value("jsonencode([aws_s3_bucket.b.arn])")) == [
        Ref("aws_s3_bucket.b", "arn")
    ]


def test_json_document_of_jsonencode_with_calls_and_interpolation() -> None:
    doc = v.json_document(
        value(
            'jsonencode({ A = "arn:${lower(aws_s3_bucket.b.id)}", B = "${var.env}-x", '
            'C = "${local.arn}/*", D = ["s3:GetObject"], E = { F = 1 }, '
            "G = lower(aws_s3_bucket.b.id), H = local.arn })"
        )
    )
    assert doc == {
        "A": Unknown(frozenset({"aws_s3_bucket.b"}), f"arn:{HOLE}"),
        "B": "prod-x",
        "C": Unknown(frozenset(), f"{HOLE}/*"),
        "D": ["s3:GetObject"],
        "E": {"F": 1},
        "G": Unknown(frozenset({"aws_s3_bucket.b"})),
        "H": Unknown(),
    }


def test_json_document_of_jsonencode_with_quoted_arguments_keeps_the_document() -> None:
    doc = v.json_document(
        value('jsonencode({ Effect = "Allow", Resource = format("%s/*", aws_s3_bucket.b.arn) })')
    )
    assert doc == {"Effect": "Allow", "Resource": Unknown(frozenset({"aws_s3_bucket.b"}))}


def test_json_document_of_known_jsonencode() -> None:
    policy = value('jsonencode({ Version = "2012-10-17", Action = ["s3:GetObject"] })')
    assert policy == '{"Action":["s3:GetObject"],"Version":"2012-10-17"}'
    assert v.json_document(policy) == {"Version": "2012-10-17", "Action": ["s3:GetObject"]}


def test_json_document_of_heredoc_holds_a_placeholder_for_the_unknown_part() -> None:
    policy = body(
        """
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "${aws_s3_bucket.b.arn}"}]
    }
  EOT
"""
    )["policy"]
    assert isinstance(policy, Unknown)
    assert policy.refs == frozenset({"aws_s3_bucket.b"})
    assert v.json_document(policy) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": HOLE}],
    }


def test_json_document_of_heredoc_with_known_interpolation() -> None:
    policy = body(
        """
  policy = <<-EOT
    {"Sid": "${var.env}-read", "Resource": "arn:aws:s3:::${var.env}-logs/*"}
  EOT
"""
    )["policy"]
    assert v.json_document(policy) == {"Sid": "prod-read", "Resource": "arn:aws:s3:::prod-logs/*"}


def test_json_document_of_quoted_json_string() -> None:
    assert v.json_document(value(r'"{\"Version\": \"2012-10-17\"}"')) == {"Version": "2012-10-17"}


@pytest.mark.parametrize(
    "expr",
    [
        "data.aws_iam_policy_document.p.json",
        'templatefile("policy.json.tpl", { bucket = aws_s3_bucket.b.id })',
        'file("${path.module}/policy.json")',
        "var.policy",
    ],
)
def test_json_document_of_whole_expression_is_none(expr: str) -> None:
    assert v.json_document(value(expr)) is None


def test_json_document_of_non_string_values() -> None:
    assert v.json_document({"Version": "2012-10-17"}) == {"Version": "2012-10-17"}
    assert v.json_document([{"Effect": "Allow"}]) == [{"Effect": "Allow"}]
    assert v.json_document(None) is None
    assert v.json_document(5) is None
    assert v.json_document(Ref("aws_s3_bucket.b", "arn")) is None


@pytest.mark.parametrize(
    "text",
    [
        "  policy = <<EOT\nnot json\nEOT",
        "  policy = <<EOT\nnot json: ${aws_s3_bucket.b.arn}\nEOT",
        '  policy = "5"',
    ],
)
def test_json_document_of_text_that_is_not_a_json_document_is_none(text: str) -> None:
    assert v.json_document(body(text)["policy"]) is None
