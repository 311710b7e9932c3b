"""Tests for collectors.terraform.values, fed with what python-hcl2 7.3.1 really produces."""

from __future__ import annotations

from typing import Any

import hcl2.api
import pytest

from collectors.terraform import values as v


def hcl(expr: str) -> Any:
    """The value python-hcl2 gives for `expr` as the right-hand side of an attribute."""
    doc = hcl2.api.loads(f"locals {{\n  x = {expr}\n}}\n", with_meta=True)
    return doc["locals"][0]["x"]


def body(text: str) -> dict[str, Any]:
    """The body of the single `resource "aws_thing" "t"` block in `text`."""
    doc = hcl2.api.loads(f'resource "aws_thing" "t" {{\n{text}\n}}\n', with_meta=True)
    result: dict[str, Any] = doc["resource"][0]["aws_thing"]["t"]
    return result


def scope(text: str) -> v.Scope:
    """A Scope built from the variable defaults and locals of real HCL `text`."""
    doc = hcl2.api.loads(text, with_meta=True)
    variables = {
        name: b["default"]
        for item in doc.get("variable", [])
        for name, b in item.items()
        if "default" in b
    }
    locals_ = {
        k: val
        for item in doc.get("locals", [])
        for k, val in item.items()
        if not k.startswith("__")
    }
    return v.Scope(variables, locals_)


# --- what python-hcl2 produces (so the inputs below are honest) ---------------------------


def test_hcl2_renders_references_as_interpolations() -> None:
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


# --- ref -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("aws_vpc.main.id", "aws_vpc.main"),
        ("aws_vpc.main", "aws_vpc.main"),
        ("aws_lb.web.arn", "aws_lb.web"),
        ("aws_subnet.a[0].id", "aws_subnet.a"),
        ('aws_subnet.a["x"].id', "aws_subnet.a"),
        ("aws_subnet.b[*].id", "aws_subnet.b"),
        ('"vpc-0abc"', "vpc-0abc"),
        ("var.vpc_id", None),
        ("local.vpc_id", None),
        ("data.aws_vpc.default.id", None),
        ("module.net.vpc_id", None),
        ("var.on ? aws_vpc.a.id : aws_vpc.b.id", None),
        ("coalesce(aws_vpc.a.id, aws_vpc.b.id)", None),
        ('"${aws_vpc.main.id}-x"', None),
        ("1", None),
        ("true", None),
        ("[aws_vpc.main.id]", None),
    ],
)
def test_ref(expr: str, expected: str | None) -> None:
    assert v.ref(hcl(expr)) == expected


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
        ("aws_subnet.all[*].id", ("aws_subnet.all",)),
        ("concat([aws_subnet.a.id], [aws_subnet.b.id])", ("aws_subnet.a", "aws_subnet.b")),
        (
            "var.on ? [aws_subnet.a.id] : [aws_subnet.b.id, aws_subnet.a.id]",
            ("aws_subnet.a", "aws_subnet.b"),
        ),
        ("var.subnet_ids", ()),
        ("data.aws_subnets.all.ids", ()),
        ("[]", ()),
        ("3", ()),
    ],
)
def test_refs(expr: str, expected: tuple[str, ...]) -> None:
    assert v.refs(hcl(expr)) == expected


# --- refs_in -------------------------------------------------------------------------------


def test_refs_in_walks_nested_values_and_skips_metadata() -> None:
    b = body(
        """
  vpc_id = aws_vpc.main.id
  name   = "web"
  note   = "see aws_vpc.other in the docs"
  policy = "${aws_s3_bucket.logs.arn}/*"
  ids    = [aws_subnet.a[0].id, data.aws_subnet.x.id, module.m.aws_subnet_id]
  tags   = { Owner = aws_iam_role.r.name }
  whole  = aws_lb.web
  ingress {
    security_groups = [aws_security_group.peer.id]
  }
"""
    )
    # The nested block carries __start_line__/__end_line__ ints: must be ignored silently.
    assert b["ingress"][0]["__start_line__"] == 10
    assert list(v.refs_in(b)) == [
        ("aws_vpc.main", "id"),
        ("aws_s3_bucket.logs", "arn"),
        ("aws_subnet.a", "id"),
        ("aws_iam_role.r", "name"),
        ("aws_lb.web", None),
        ("aws_security_group.peer", "id"),
    ]


def test_refs_in_literal_and_scalars_have_no_refs() -> None:
    assert list(v.refs_in("aws_vpc.main.id")) == []  # a literal string, not an expression
    assert list(v.refs_in(5)) == []
    assert list(v.refs_in(None)) == []
    assert list(v.refs_in({"__start_line__": "${aws_vpc.x.id}"})) == []


# --- is_complete ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[aws_subnet.a.id, aws_subnet.b.id]", True),
        ('[aws_subnet.a.id, "subnet-0123"]', True),
        ("[aws_subnet.a.id, var.other]", False),
        ("[]", True),
        ("aws_subnet.a.id", True),
        ("var.subnet_ids", False),
        ("concat([aws_subnet.a.id], [aws_subnet.b.id])", False),
        ("1", False),
    ],
)
def test_is_complete(expr: str, expected: bool) -> None:
    assert v.is_complete(hcl(expr)) is expected


# --- string, boolean, integer, strings -----------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"10.0.0.0/16"', "10.0.0.0/16"),
        ('""', ""),
        ("var.cidr", None),
        ('"${var.prefix}-web"', None),
        ("16", None),
        ("true", None),
    ],
)
def test_string(expr: str, expected: str | None) -> None:
    assert v.string(hcl(expr)) == expected


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
        ("null", None),
    ],
)
def test_boolean(expr: str, expected: bool | None) -> None:
    assert v.boolean(hcl(expr)) is expected


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
        ("true", None),
        ("false", None),
        ("var.port", None),
        ('"80-90"', None),
        ('""', None),
        ("null", None),
    ],
)
def test_integer(expr: str, expected: int | None) -> None:
    result = v.integer(hcl(expr))
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("text", ['"--5"', '"\u00b2"'])
def test_integer_of_unreadable_digit_string_is_none(text: str) -> None:
    assert v.integer(hcl(text)) is None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('["10.0.0.0/8", "192.168.0.0/16"]', ("10.0.0.0/8", "192.168.0.0/16")),
        ('"0.0.0.0/0"', ("0.0.0.0/0",)),
        ("[]", ()),
        ('["10.0.0.0/8", var.extra]', None),
        ('["10.0.0.0/8", 5]', None),
        ("var.cidrs", None),
        ("5", None),
    ],
)
def test_strings(expr: str, expected: tuple[str, ...] | None) -> None:
    assert v.strings(hcl(expr)) == expected


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
    value = body(_POLICY_ATTR)["policy"]
    assert value.startswith("${jsonencode(")
    assert v.json_document(value) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "${aws_iam_role.reader.arn}"},
                "Action": ["s3:GetObject"],
                "Resource": ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"],
                "Condition": {
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"s3:max-keys": 10},
                },
                "Sid": None,
            }
        ],
    }


def test_json_document_of_jsonencode_with_calls_and_interpolation() -> None:
    value = hcl('jsonencode({ A = lower(aws_s3_bucket.b.id), B = "${var.env}-x", C = local.arn })')
    assert v.json_document(value) == {
        "A": "${lower(aws_s3_bucket.b.id)}",
        "B": "${var.env}-x",
        "C": "${local.arn}",
    }


def test_json_document_of_jsonencode_with_quoted_arguments_keeps_the_document() -> None:
    value = hcl('jsonencode({ Effect = "Allow", Resource = format("%s/*", aws_s3_bucket.b.arn) })')
    doc = v.json_document(value)
    assert isinstance(doc, dict)
    assert doc["Effect"] == "Allow"


def test_json_document_of_heredoc() -> None:
    value = body(
        """
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "${aws_s3_bucket.b.arn}"}]
    }
  EOT
"""
    )["policy"]
    assert v.json_document(value) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "${aws_s3_bucket.b.arn}"}],
    }


def test_json_document_of_quoted_json_string() -> None:
    assert v.json_document(hcl(r'"{\"Version\": \"2012-10-17\"}"')) == {"Version": "2012-10-17"}


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
    assert v.json_document(hcl(expr)) is None


def test_json_document_of_non_string_values() -> None:
    assert v.json_document({"Version": "2012-10-17"}) == {"Version": "2012-10-17"}
    assert v.json_document(None) is None
    assert v.json_document(5) is None


def test_json_document_of_text_that_is_not_json_is_none() -> None:
    assert v.json_document(body("  policy = <<EOT\nnot json\nEOT")["policy"]) is None


# --- Scope.resolve -------------------------------------------------------------------------

_MODULE = """
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
}
"""


@pytest.fixture
def module_scope() -> v.Scope:
    return scope(_MODULE)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # Whole references keep the value's type.
        ("var.env", "prod"),
        ("var.enabled", True),
        ("var.debug", False),
        ("var.port", 443),
        ("var.cidrs", ["10.0.0.0/16", "10.1.0.0/16"]),
        # Locals that reference variables, and locals that reference locals.
        ("local.name", "app-prod"),
        ("local.same", "prod"),
        ("local.on", True),
        ("local.cidrs", ["10.0.0.0/16", "10.1.0.0/16"]),
        ("local.full", "app-prod.example.com"),
        ("local.tags", {"Env": "prod", "Team": "core"}),
        # Interpolation inside strings: numbers and booleans as Terraform prints them.
        ('"${var.env}-web"', "prod-web"),
        ('"${var.env}-${local.name}"', "prod-app-prod"),
        ("local.listen", "port-443"),
        ("local.flagtext", "debug=false"),
        # Unknown stays as written.
        ("var.missing", "${var.missing}"),
        ("var.no_default", "${var.no_default}"),
        ("local.missing", "${local.missing}"),
        ('"${var.env}-${var.missing}"', "prod-${var.missing}"),
        ('"${var.cidrs}-x"', "${var.cidrs}-x"),  # a list cannot be interpolated
        # A local whose value is itself an expression is not substituted.
        ("local.sg_id", "${local.sg_id}"),
        ("local.cycle_a", "${local.cycle_a}"),
        ("upper(var.env)", "${upper(var.env)}"),
        ('var.env == "prod" ? 1 : 2', '${var.env == "prod" ? 1 : 2}'),
        ("var.cidrs[0]", "${var.cidrs[0]}"),
        # Literals pass through.
        ('"plain"', "plain"),
        ("8080", 8080),
        ("false", False),
    ],
)
def test_scope_resolve(module_scope: v.Scope, expr: str, expected: Any) -> None:
    result = module_scope.resolve(hcl(expr))
    assert result == expected
    assert type(result) is type(expected)


def test_scope_resolve_a_whole_resource_body(module_scope: v.Scope) -> None:
    b = body(
        """
  name    = "${local.name}-sg"
  vpc_id  = aws_vpc.main.id
  enabled = var.enabled
  ingress {
    cidr_blocks = var.cidrs
    from_port   = var.port
    to_port     = var.unknown_port
  }
"""
    )
    assert module_scope.resolve(b) == {
        "name": "app-prod-sg",
        "vpc_id": "${aws_vpc.main.id}",
        "enabled": True,
        "ingress": [
            {
                "cidr_blocks": ["10.0.0.0/16", "10.1.0.0/16"],
                "from_port": 443,
                "to_port": "${var.unknown_port}",
                "__start_line__": 6,
                "__end_line__": 10,
            }
        ],
        "__start_line__": 1,
        "__end_line__": 12,
    }


def test_scope_resolved_values_feed_the_accessors(module_scope: v.Scope) -> None:
    assert v.boolean(module_scope.resolve(hcl("var.enabled"))) is True
    assert v.boolean(module_scope.resolve(hcl("var.missing"))) is None
    assert v.integer(module_scope.resolve(hcl("var.port"))) == 443
    assert v.strings(module_scope.resolve(hcl("local.cidrs"))) == ("10.0.0.0/16", "10.1.0.0/16")
    assert v.string(module_scope.resolve(hcl('"${var.missing}-x"'))) is None


def test_scope_resolve_leaves_escaped_interpolation_alone(module_scope: v.Scope) -> None:
    value = hcl('"$${var.env}"')
    assert value == "$${var.env}"
    assert module_scope.resolve(value) == "$${var.env}"
