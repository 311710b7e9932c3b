"""Server URLs, public hosts, and the Terraform side of the join (body files, domains)."""

from __future__ import annotations

import pytest

from collectors.openapi.mapping import public_host, split_server
from collectors.terraform.aws_api import spec_file
from collectors.terraform.blocks import Block


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/v1", ("https", "api.example.com", None)),
        ("http://api.example.com:8080", ("http", "api.example.com", 8080)),
        ("//petstore.example.com/v2", (None, "petstore.example.com", None)),
        ("api.example.com/v1", (None, "api.example.com", None)),
        ("/v1", (None, None, None)),
        ("https://{tenant}.example.com", ("https", None, None)),
    ],
)
def test_split_server(url: str, expected: tuple[str | None, str | None, int | None]) -> None:
    assert split_server(url) == expected


@pytest.mark.parametrize(
    ("host", "public"),
    [
        ("api.example.com", True),
        ("8.8.8.8", True),
        ("localhost", False),
        ("10.0.0.5", False),
        ("orders", False),  # a single label resolves only inside a network
        ("orders.shop.svc.cluster.local", False),
        ("billing.internal", False),
        (None, None),
    ],
)
def test_public_host(host: str | None, public: bool | None) -> None:
    assert public_host(host) is public


@pytest.mark.parametrize(
    ("body", "file", "expected"),
    [
        ('${file("${path.module}/openapi.yaml")}', "main.tf", "openapi.yaml"),
        (
            '${templatefile("${path.module}/specs/a.yaml", {"x": 1})}',
            "modules/api/rest.tf",
            "modules/api/specs/a.yaml",
        ),
        ('${file("${path.root}/specs/a.yaml")}', "infra/prod/main.tf", "infra/prod/specs/a.yaml"),
        ('${file("specs/a.json")}', "main.tf", "specs/a.json"),
        ('${file("${path.module}/../../../outside.yaml")}', "modules/api/rest.tf", None),
        ('${jsonencode({"openapi": "3.0.1"})}', "main.tf", None),
        (None, "main.tf", None),
    ],
)
def test_spec_file_from_an_api_body(body: str | None, file: str, expected: str | None) -> None:
    block = Block("aws_api_gateway_rest_api", "x", {"body": body} if body else {}, file, 1)
    assert spec_file(block) == expected


def test_path_root_inside_a_module_is_not_guessed() -> None:
    body = '${file("${path.root}/specs/a.yaml")}'
    block = Block(
        "aws_api_gateway_rest_api",
        "x",
        {"body": body},
        "modules/api/rest.tf",
        1,
        address="module.api.aws_api_gateway_rest_api.x",
    )
    assert spec_file(block) is None
