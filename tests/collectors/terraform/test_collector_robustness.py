"""Odd but valid HCL never crashes the Terraform collector: it yields a Fragment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.terraform.collector import TerraformCollector
from collectors.terraform.inventory import SUPPORTED

ATTRIBUTES = [
    "vpc_id",
    "subnet_id",
    "subnet_ids",
    "subnets",
    "security_groups",
    "vpc_security_group_ids",
    "security_group_id",
    "cidr_block",
    "cidr_blocks",
    "cidr_ipv4",
    "from_port",
    "to_port",
    "protocol",
    "ip_protocol",
    "type",
    "internal",
    "port",
    "publicly_accessible",
    "engine",
    "bucket",
    "acl",
    "policy",
    "rest_api_id",
    "api_id",
    "stage_name",
    "method_path",
    "load_balancer_arn",
    "target_group_arn",
    "target_id",
    "route_table_id",
    "gateway_id",
    "nat_gateway_id",
    "destination_cidr_block",
    "user_data",
    "db_subnet_group_name",
    "referenced_security_group_id",
    "source_security_group_id",
    "self",
    "uri",
    "integration_uri",
    "resource_arn",
    "default_route_table_id",
    "map_public_ip_on_launch",
]
BLOCKS = [
    "ingress",
    "egress",
    "route",
    "default_action",
    "action",
    "redirect",
    "forward",
    "settings",
    "throttle_settings",
    "api_stages",
    "default_route_settings",
    "vpc_config",
    "environment",
    "endpoint_configuration",
    "subnet_mapping",
    "access_control_policy",
]

scalar = st.one_of(
    st.integers(-70000, 70000).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.sampled_from(
        [
            '"0.0.0.0/0"',
            '"::/0"',
            '"HTTP"',
            '"-1"',
            '"tcp"',
            '"*/*"',
            '"nope"',
            '"public-read"',
            "var.missing",
            "aws_vpc.a.id",
            "aws_security_group.s.id",
            "local.nothing",
            'jsonencode({ Statement = [{ Effect = "Allow", Principal = "*" }] })',
            "null",
            '"${var.x}-y"',
            "true ? 1 : 2",
            "aws_subnet.p[*].id",
        ]
    ),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.sampled_from(["a", "b", "Name", "variables"]), inner, max_size=2).map(
            lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"
        ),
    ),
    max_leaves=4,
)


@st.composite
def body(draw: st.DrawFn, depth: int = 0) -> str:
    lines = [
        f"  {a} = {draw(value)}"
        for a in draw(st.lists(st.sampled_from(ATTRIBUTES), unique=True, max_size=6))
    ]
    if depth < 2:
        for b in draw(st.lists(st.sampled_from(BLOCKS), max_size=3)):
            lines.append(f"  {b} {{\n{draw(body(depth + 1))}\n  }}")
    return "\n".join(lines)


@st.composite
def module(draw: st.DrawFn) -> str:
    types = sorted(SUPPORTED)
    blocks = []
    for i in range(draw(st.integers(1, 6))):
        rtype = draw(st.sampled_from(types))
        name = draw(st.sampled_from(["a", "s", "p", "main"])) + str(i % 2)
        blocks.append(f'resource "{rtype}" "{name}" {{\n{draw(body())}\n}}\n')
    return "\n".join(blocks)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=module())
def test_any_valid_module_yields_a_fragment(tmp_path: Path, text: str) -> None:
    (tmp_path / "main.tf").write_text(text)
    fragment = TerraformCollector(workers=1).collect(tmp_path, [tmp_path / "main.tf"])
    # Either it parsed (and mapped without raising) or a diagnostic says why not.
    assert fragment.inputs == ("main.tf",) or any(
        d.source == "main.tf" for d in fragment.diagnostics
    )
    # Whatever came out is reportable: ids unique per kind, evidence points at the file.
    assert len({e.id for e in fragment.elements}) == len(fragment.elements)
    for e in fragment.elements:
        assert all(ev.file == "main.tf" for ev in e.evidence)
    json.dumps([f.id for f in fragment.flows])


def test_a_builder_that_raises_loses_only_its_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collectors.terraform import inventory
    from scanner.pipeline import ScanOptions, scan

    (tmp_path / "main.tf").write_text(
        'resource "aws_vpc" "a" {\n  cidr_block = "10.0.0.0/16"\n}\n\n'
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    )

    def broken(block: object) -> object:
        raise ValueError("boom")

    monkeypatch.setitem(inventory._SIMPLE, "aws_vpc", ("vpcs", broken))
    result = scan(tmp_path, options=ScanOptions(use_cache=False))  # really evaluate
    assert [e.resource for e in result.graph.elements] == ["internet", "aws_s3_bucket.b"]
    assert [(d.level, d.source, d.line, d.message) for d in result.diagnostics] == [
        ("error", "main.tf", 1, "aws_vpc.a: could not be read (ValueError); skipped")
    ]


def test_a_family_that_raises_is_a_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collectors.aws.services import edge
    from scanner.pipeline import ScanOptions, scan

    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')

    def broken(ctx: object) -> list[object]:
        raise RuntimeError("bug")

    monkeypatch.setattr(edge, "elements", broken)
    result = scan(tmp_path, options=ScanOptions(use_cache=False))  # really evaluate
    assert [e.resource for e in result.graph.elements] == ["internet", "aws_s3_bucket.b"]
    assert [(d.level, d.source, d.message) for d in result.diagnostics] == [
        ("error", ".", "AWS edge resources could not be mapped (RuntimeError)")
    ]
