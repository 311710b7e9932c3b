"""OpenAPI descriptions joined to the infrastructure that serves them, end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

from scanner.pipeline import ScanOptions, ScanResult, scan
from tests.conftest import REPO, SHOP

K8S_SHOP = REPO / "fixtures" / "k8s-shop"

ORDERS_BEHIND_INGRESS = """\
openapi: 3.0.3
info: {title: Orders, version: "2.0"}
servers:
  - url: https://shop.example.com/api/orders
security:
  - session: []
paths:
  /:
    get:
      responses: {"200": {description: OK}}
  /{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
      responses: {"200": {description: OK}}
components:
  securitySchemes:
    session: {type: apiKey, in: cookie, name: SESSION}
"""


def findings(result: ScanResult) -> set[tuple[str, str, str, str]]:
    return {(f.rule, f.resource, f.element, f.confidence.label) for f in result.findings}


def run(path: Path) -> ScanResult:
    return scan(path, options=ScanOptions(use_cache=False))


def test_shop_specs_land_on_their_api_gateways() -> None:
    result = run(SHOP)
    g = result.graph
    assert not [e.id for e in g.elements if e.id.startswith("oas:")]
    orders = g.element("tf:.//aws_api_gateway_rest_api.orders")
    catalog = g.element("tf:.//aws_api_gateway_rest_api.catalog")
    assert [(p.kind, p.name) for p in orders.parts if p.kind != "stage"] == [
        ("api", "specs/orders-api.yaml"),
        ("operation", "POST /orders"),
        ("operation", "GET /orders/{orderId}"),
        ("server", "https://api.shop.example.com/v1"),
    ]
    assert [p.name for p in catalog.parts if p.kind == "operation"] == [
        "GET /products",
        "GET /products/{sku}",
        "GET /health",
    ]
    assert orders.fact("openapi_spec") == "specs/orders-api.yaml"
    assert orders.evidence[0].file == "api.tf"  # the gateway's own location stays first
    api_findings = {f for f in findings(result) if f[0].startswith(("TM-API", "TM-RATE"))}
    assert api_findings == {
        ("TM-API-001", "specs/orders-api.yaml", orders.id, "high"),
        ("TM-API-006", "POST /orders", orders.id, "high"),
        ("TM-RATE-001", "aws_api_gateway_stage.v1", orders.id, "high"),
    }


def test_rate_limit_finding_disappears_when_the_stage_is_throttled(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    with (repo / "api.tf").open("a") as fh:
        fh.write(
            '\nresource "aws_api_gateway_method_settings" "v1_all" {\n'
            "  rest_api_id = aws_api_gateway_rest_api.orders.id\n"
            "  stage_name  = aws_api_gateway_stage.v1.stage_name\n"
            '  method_path = "*/*"\n'
            "  settings {\n"
            "    throttling_rate_limit  = 50\n"
            "    throttling_burst_limit = 100\n"
            "  }\n"
            "}\n"
        )
    rules = {f[0] for f in findings(run(repo))}
    assert "TM-RATE-001" not in rules and "TM-API-005" not in rules
    assert {"TM-API-001", "TM-API-006"} <= rules  # the rest of the spec's findings stay


def _k8s_with_spec(tmp_path: Path) -> Path:
    repo = tmp_path / "k8s-shop"
    shutil.copytree(K8S_SHOP, repo)
    (repo / "shop" / "orders-openapi.yaml").write_text(ORDERS_BEHIND_INGRESS)
    return repo


def test_ingress_host_places_the_spec_and_an_nginx_limit_silences_the_rate_finding(
    tmp_path: Path,
) -> None:
    repo = _k8s_with_spec(tmp_path)
    result = run(repo)
    ingress = result.graph.element("k8s:Ingress/shop/shop")
    assert [p.name for p in ingress.parts if p.kind == "operation"] == ["GET /", "GET /{id}"]
    api = {f for f in findings(result) if f[0].startswith("TM-API")}
    # Nothing in the manifests says whether the entry point limits requests: unconfirmed.
    assert api == {("TM-API-005", "shop/orders-openapi.yaml", ingress.id, "low")}
    assert any(
        d.source == "shop/orders-openapi.yaml"
        and d.message == "served by Ingress/shop/shop: it serves shop.example.com"
        for d in result.diagnostics
    )
    manifest = repo / "shop" / "ingress.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    nginx.ingress.kubernetes.io/proxy-body-size: 2m\n",
            "    nginx.ingress.kubernetes.io/proxy-body-size: 2m\n"
            '    nginx.ingress.kubernetes.io/limit-rps: "20"\n',
            1,
        )
    )
    assert not {f for f in findings(run(repo)) if f[0].startswith("TM-API")}


def test_a_spec_nothing_serves_stands_alone_on_the_internet(tmp_path: Path) -> None:
    (tmp_path / "partner.yaml").write_text(
        ORDERS_BEHIND_INGRESS.replace(
            "https://shop.example.com/api/orders", "http://partner.example.org"
        )
    )
    result = run(tmp_path)
    assert [e.id for e in result.graph.elements] == ["internet", "oas:partner.yaml"]
    assert [f.id for f in result.graph.flows] == ["internet->oas:partner.yaml:http/80"]
    assert findings(result) == {
        ("TM-API-004", "http://partner.example.org", "oas:partner.yaml", "high"),
        ("TM-API-005", "partner.yaml", "oas:partner.yaml", "low"),
    }
    (warning,) = [d for d in result.diagnostics if d.level == "warning"]
    assert warning.source == "partner.yaml" and warning.message.startswith(
        "could not be placed: nothing scanned serves partner.example.org; "
    )


def test_a_malformed_spec_is_a_diagnostic_and_the_others_are_read(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(ORDERS_BEHIND_INGRESS)
    (tmp_path / "bad.yaml").write_text("openapi: 3.0.3\ninfo: {title: x\npaths:\n  /a: [\n")
    result = run(tmp_path)
    errors = [(d.source, d.line) for d in result.diagnostics if d.level == "error"]
    assert errors == [("bad.yaml", 3)]
    assert [e.id for e in result.graph.elements] == ["internet", "oas:good.yaml"]
    assert result.inputs == ("good.yaml",)
