"""Modules, tfvars, count/for_each and dynamic blocks give the same model as literals.

fixtures/shop-modules is fixtures/shop rewritten with nested local modules, variables,
terraform.tfvars, count, for_each and dynamic blocks (`terraform plan` creates the same
81 resources). Scanned, both must give the same elements, zones, flows and findings.
"""

from __future__ import annotations

from scanner.pipeline import ScanResult, scan
from tests.conftest import REPO, SHOP

MODULAR = REPO / "fixtures" / "shop-modules"

# Modular address -> flat address, for every element and every finding's sub-resource.
ADDRESSES = {
    "module.api.aws_api_gateway_rest_api.catalog": "aws_api_gateway_rest_api.catalog",
    "module.api.aws_api_gateway_rest_api.orders": "aws_api_gateway_rest_api.orders",
    "module.api.aws_apigatewayv2_api.webhooks": "aws_apigatewayv2_api.webhooks",
    'module.app.aws_instance.app["a"]': "aws_instance.app_a",
    'module.app.aws_instance.app["b"]': "aws_instance.app_b",
    "module.app.aws_instance.bastion[0]": "aws_instance.bastion",
    "module.app.aws_lambda_function.orders_handler": "aws_lambda_function.orders_handler",
    "module.data.module.orders.aws_db_instance.this": "aws_db_instance.orders",
    "module.data.module.reporting.aws_db_instance.this": "aws_db_instance.reporting",
    "module.edge.aws_alb.admin": "aws_alb.admin",
    "module.edge.aws_lb.internal": "aws_lb.internal",
    "module.edge.aws_lb.web": "aws_lb.web",
    "module.storage.aws_s3_bucket.exports": "aws_s3_bucket.exports",
    "module.storage.aws_s3_bucket.partner_feeds": "aws_s3_bucket.partner_feeds",
    'module.storage.aws_s3_bucket.private["assets"]': "aws_s3_bucket.assets",
    'module.storage.aws_s3_bucket.private["invoices"]': "aws_s3_bucket.invoices",
    "module.edge.aws_lb_listener.admin_http": "aws_lb_listener.admin_http",
    "module.api.aws_api_gateway_stage.v1": "aws_api_gateway_stage.v1",
    "module.network.aws_vpc.this": "aws_vpc.main",
    "internet": "internet",
    # The OpenAPI descriptions beside the API module (symlinks to fixtures/shop/specs).
    "modules/api/specs/orders-api.yaml": "specs/orders-api.yaml",
    "modules/api/specs/catalog-api.yaml": "specs/catalog-api.yaml",
}


def _flat(address: object) -> str:
    if isinstance(address, str) and " /" in address:
        return address  # an operation (POST /orders) is the same in both
    return ADDRESSES.get(str(address), f"<unmapped {address}>")


def _model(result: ScanResult, modular: bool) -> dict[str, set[tuple[object, ...]]]:
    g = result.graph
    name = _flat if modular else (lambda a: a)
    resource = {e.id: name(e.resource) for e in g.elements}
    zone = {b.id: (b.type, b.props.get("tier")) for b in g.boundaries}
    return {
        "elements": {
            (
                e.type,
                resource[e.id],
                zone[e.boundary] if e.boundary else None,
                tuple((k, name(v) if k == "openapi_spec" else v) for k, v in e.props.items()),
            )
            for e in g.elements
        },
        "flows": {
            (resource[f.source], resource[f.target], f.protocol, f.port, f.basis, f.tls)
            for f in g.flows
        },
        "findings": {
            (f.rule, name(f.resource), f.severity.label, f.confidence.label, f.stride)
            for f in result.findings
        },
    }


def test_modular_twin_gives_the_same_model_and_findings() -> None:
    flat, modular = _model(scan(SHOP), False), _model(scan(MODULAR), True)
    assert modular["elements"] == flat["elements"]
    assert modular["flows"] == flat["flows"]
    assert modular["findings"] == flat["findings"]


def test_modular_findings_point_into_the_modules() -> None:
    found = {
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]))
        for f in scan(MODULAR).findings
    }
    assert found == {
        (
            "TM-PUB-001",
            "module.data.module.reporting.aws_db_instance.this",
            "modules/data/modules/db-instance/main.tf",
            10,
        ),
        ("TM-PUB-001", "module.storage.aws_s3_bucket.partner_feeds", "modules/storage/main.tf", 96),
        ("TM-TLS-001", "module.edge.aws_lb_listener.admin_http", "modules/edge/main.tf", 98),
        ("TM-RATE-001", "module.api.aws_api_gateway_stage.v1", "modules/api/rest.tf", 55),
        (
            "TM-API-001",
            "modules/api/specs/orders-api.yaml",
            "modules/api/specs/orders-api.yaml",
            1,
        ),
        ("TM-API-006", "POST /orders", "modules/api/specs/orders-api.yaml", 15),
        (
            "TM-ENC-001",
            "module.data.module.reporting.aws_db_instance.this",
            "modules/data/modules/db-instance/main.tf",
            10,
        ),
        (
            "TM-NET-001",
            "module.app.aws_instance.bastion[0]",
            "modules/security/modules/sg/main.tf",
            12,
        ),
        ("TM-LOG-003", "module.edge.aws_lb.web", "modules/edge/main.tf", 5),
        ("TM-LOG-003", "module.edge.aws_alb.admin", "modules/edge/main.tf", 74),
        ("TM-LOG-002", "module.network.aws_vpc.this", "modules/network/main.tf", 17),
    }


def test_the_reporting_database_is_public_only_through_tfvars(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    repo = tmp_path / "shop-modules"
    shutil.copytree(MODULAR, repo)
    tfvars = repo / "terraform.tfvars"
    tfvars.write_text(
        "\n".join(
            line for line in tfvars.read_text().splitlines() if "reporting_db_public" not in line
        )
        + "\n"
    )
    rules = {(f.rule, f.resource) for f in scan(repo).findings}
    assert ("TM-PUB-001", "module.data.module.reporting.aws_db_instance.this") not in rules
    assert ("TM-TLS-001", "module.edge.aws_lb_listener.admin_http") in rules


def test_the_tfvars_line_that_made_it_public_is_evidence() -> None:
    finding = next(
        f
        for f in scan(MODULAR).findings
        if f.rule == "TM-PUB-001"
        and f.resource == "module.data.module.reporting.aws_db_instance.this"
    )
    assert (finding.evidence[0].file, finding.evidence[0].line) == (
        "modules/data/modules/db-instance/main.tf",
        10,
    )
    origins = [
        (e.file, e.line, e.fact) for e in finding.evidence if e.address == "var.reporting_db_public"
    ]
    assert origins == [("terraform.tfvars", 8, "var.reporting_db_public")]
    # A finding that no tfvars value decided has no such evidence.
    listener = next(f for f in scan(MODULAR).findings if f.rule == "TM-TLS-001")
    assert [e for e in listener.evidence if (e.address or "").startswith("var.")] == []
