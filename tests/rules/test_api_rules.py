"""The API rules on real-looking descriptions (fixtures/openapi): exact findings per operation.

Each description is scanned alone, so nothing serves it: it stands as its own element,
internet-facing through its public servers, and what its entry point does is unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.pipeline import ScanOptions, scan
from tests.conftest import REPO

OPENAPI = REPO / "fixtures" / "openapi"

Row = tuple[str, str, str, int, str, str]  # rule, resource, file, line, severity, confidence


def api_findings(path: Path) -> set[Row]:
    result = scan(path, options=ScanOptions(use_cache=False))
    rows = [
        (
            f.rule,
            f.resource,
            str(f.location["file"]),
            int(f.location["line"]),
            f.severity.label,
            f.confidence.label,
        )
        for f in result.findings
    ]
    assert len(rows) == len(set(rows)), rows
    return set(rows)


PETSTORE_V2 = {
    # basic credentials next to an http:// scheme
    ("TM-API-004", "http://petstore.example.com/v2", "petstore-v2.yaml", 8, "high", "high"),
    # api_key is a query parameter for three operations: one finding on the scheme
    ("TM-API-003", "securityDefinitions.api_key", "petstore-v2.yaml", 27, "medium", "high"),
    # username and password in the query string of the login operation
    ("TM-API-003", "GET /user/login", "petstore-v2.yaml", 190, "medium", "high"),
    # the API authorizes by OAuth2 scope, but DELETE takes an API key and basic credentials
    ("TM-API-002", "DELETE /pet/{petId}", "petstore-v2.yaml", 136, "medium", "high"),
    ("TM-API-006", "POST /pet", "petstore-v2.yaml", 43, "low", "high"),
    ("TM-API-006", "POST /pet/{petId}", "petstore-v2.yaml", 116, "low", "high"),
    ("TM-API-006", "POST /pet/{petId}/uploadImage", "petstore-v2.yaml", 154, "low", "high"),
    # only GET /user/login documents a limit; nothing is known of the entry point
    ("TM-API-005", "petstore-v2.yaml", "petstore-v2.yaml", 1, "medium", "low"),
    # DELETE /pet/{petId} takes basic credentials
    ("TM-API-007", "securityDefinitions.basic_auth", "petstore-v2.yaml", 25, "low", "high"),
}

ORDERS_V3 = {
    # `[{bearer: []}, {}]`: one way in is anonymous (a read: medium)
    ("TM-API-001", "GET /orders", "orders-v3.yaml", 29, "medium", "high"),
    # POST /orders asks for orders:write; these writes ask for no scope
    ("TM-API-002", "PATCH /orders/{orderId}", "orders-v3.yaml", 104, "medium", "high"),
    ("TM-API-002", "DELETE /orders/{orderId}", "orders-v3.yaml", 118, "medium", "high"),
    ("TM-API-002", "POST /orders/{orderId}/notes", "orders-v3.yaml", 129, "medium", "high"),
    ("TM-API-002", "POST /categories", "orders-v3.yaml", 176, "medium", "high"),
    ("TM-API-004", "http://staging-api.shop.example.com/v1", "orders-v3.yaml", 9, "high", "high"),
    ("TM-API-006", "POST /orders/{orderId}/notes", "orders-v3.yaml", 129, "low", "high"),
    # the cyclic Category schema: children is an array without maxItems
    ("TM-API-006", "POST /categories", "orders-v3.yaml", 176, "low", "high"),
    ("TM-API-005", "orders-v3.yaml", "orders-v3.yaml", 1, "medium", "low"),
}

CATALOG_V31 = {
    # no security anywhere: one finding on the document, not six
    ("TM-API-001", "catalog-v31/openapi.yaml", "catalog-v31/openapi.yaml", 1, "high", "high"),
    # operations are located in the file that holds them
    ("TM-API-006", "POST /products", "catalog-v31/paths/products.yaml", 24, "low", "high"),
    (
        "TM-API-006",
        "PUT /products/{productId}",
        "catalog-v31/paths/products.yaml",
        54,
        "low",
        "high",
    ),
    ("TM-API-005", "catalog-v31/openapi.yaml", "catalog-v31/openapi.yaml", 1, "medium", "low"),
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("petstore-v2.yaml", PETSTORE_V2),
        ("orders-v3.yaml", ORDERS_V3),
        ("catalog-v31", CATALOG_V31),
    ],
)
def test_exact_findings_per_operation(path: str, expected: set[Row], tmp_path: Path) -> None:
    # Scan from a directory holding only this description, so file paths stay as above.
    import shutil

    source = OPENAPI / path
    target = tmp_path / path
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    assert api_findings(tmp_path) == expected


def test_no_security_anywhere_names_every_operation() -> None:
    result = scan(OPENAPI / "catalog-v31", options=ScanOptions(use_cache=False))
    (finding,) = [f for f in result.findings if f.rule == "TM-API-001"]
    assert finding.message == (
        "openapi.yaml declares no security requirement at all: its 6 operation(s) take no "
        "credentials: GET /products, POST /products, GET /products/{productId}, "
        "PUT /products/{productId}, DELETE /products/{productId}, GET /brands."
    )
    assert [(ev.file, ev.line) for ev in finding.evidence][1:] == [
        ("paths/products.yaml", 2),
        ("paths/products.yaml", 24),
        ("paths/products.yaml", 44),
        ("paths/products.yaml", 54),
        ("paths/products.yaml", 66),
        ("openapi.yaml", 43),
    ]


def test_a_throttled_entry_point_or_documented_limits_silence_the_rate_rule(tmp_path: Path) -> None:
    spec = (OPENAPI / "orders-v3.yaml").read_text()
    (tmp_path / "orders.yaml").write_text(
        spec.replace(
            "openapi: 3.0.3",
            "openapi: 3.0.3\nx-kong-plugin-rate-limiting:\n  config: {minute: 600}",
            1,
        )
    )
    assert not {r for r in api_findings(tmp_path) if r[0] == "TM-API-005"}
