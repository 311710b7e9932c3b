"""The Threat Dragon v2 export: schema, structure, threats, geometry and exact content."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from scanner import reporters
from scanner.graph import DFDGraph
from scanner.model import (
    Confidence,
    Element,
    Evidence,
    Finding,
    Flow,
    Severity,
    Suppression,
    TrustBoundary,
)
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions, threat_dragon
from scanner.reporters.threat_dragon import cell_id, emitted_flows, place

SCHEMA = json.loads((Path(__file__).parent / "threat_dragon_v2.schema.json").read_text("utf-8"))
VALIDATOR = Draft7Validator(SCHEMA)
OPTIONS = ReportOptions()

# Threat Dragon's STRIDE-per-element (td.vue threats/models/stride.js), spelled out here
# independently of the exporter's own table.
ALLOWED = {
    "tm.Actor": {"Spoofing", "Repudiation"},
    "tm.Process": {
        "Spoofing",
        "Tampering",
        "Repudiation",
        "Information disclosure",
        "Denial of service",
        "Elevation of privilege",
    },
    "tm.Store": {"Tampering", "Repudiation", "Information disclosure", "Denial of service"},
    "tm.Flow": {"Tampering", "Information disclosure", "Denial of service"},
}
STATUSES = {
    "Open",
    "NotApplicable",
    "Mitigated",
    "Accepted",
    "Transferred",
    "Avoided",
    "Eliminated",
}
SEVERITIES = {"TBD", "Low", "Medium", "High", "Critical"}
NODE_SHAPES = {"actor", "process", "store"}
Rect = tuple[float, float, float, float]


def _model(result: ScanResult) -> dict[str, Any]:
    return dict(json.loads(threat_dragon.render(result, OPTIONS)))


def _cells(model: dict[str, Any]) -> list[dict[str, Any]]:
    return list(model["detail"]["diagrams"][0]["cells"])


def _by_shape(model: dict[str, Any], *shapes: str) -> dict[str, dict[str, Any]]:
    """Cells of these shapes by the model id they draw (data.tmscanId)."""
    return {c["data"]["tmscanId"]: c for c in _cells(model) if c["shape"] in shapes}


def _rect(cell: dict[str, Any]) -> Rect:
    x, y = cell["position"]["x"], cell["position"]["y"]
    return x, y, x + cell["size"]["width"], y + cell["size"]["height"]


def _inside(inner: Rect, outer: Rect) -> bool:
    """Threat Dragon's rule: the bbox lies entirely within the box."""
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _strictly_inside(inner: Rect, outer: Rect) -> bool:
    return (
        inner[0] > outer[0] and inner[1] > outer[1] and inner[2] < outer[2] and inner[3] < outer[3]
    )


def _threats(model: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for cell in _cells(model):
        for threat in cell["data"].get("threats", []):
            yield cell, threat


def _placed(model: dict[str, Any]) -> dict[str, list[tuple[int, str, str, str]]]:
    """Model id of the carrying cell -> (number, rule, type, severity) of its threats."""
    out: dict[str, list[tuple[int, str, str, str]]] = {}
    for cell, t in _threats(model):
        out.setdefault(cell["data"]["tmscanId"], []).append(
            (t["number"], t["ruleId"], t["type"], t["severity"])
        )
    return out


def _nulls(value: Any, where: str = "$") -> Iterator[str]:
    if value is None:
        yield where
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _nulls(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nulls(v, f"{where}[{i}]")


@pytest.fixture(params=["shop", "k8s"])
def case(request: pytest.FixtureRequest) -> tuple[ScanResult, dict[str, Any]]:
    result: ScanResult = request.getfixturevalue(f"{request.param}_result")
    return result, _model(result)


# --- schema ------------------------------------------------------------------------------


def test_schema_is_draft7_and_the_export_conforms(case: tuple[ScanResult, dict[str, Any]]) -> None:
    Draft7Validator.check_schema(SCHEMA)
    _, model = case
    assert [e.message for e in VALIDATOR.iter_errors(model)] == []


def _drop_mitigation(m: dict[str, Any]) -> None:
    next(t for _, t in _threats(m)).pop("mitigation")


def _null_dash(m: dict[str, Any]) -> None:
    cell = next(c for c, _ in _threats(m) if c["shape"] == "process")
    cell["attrs"]["body"]["strokeDasharray"] = None


def _bad_severity(m: dict[str, Any]) -> None:
    next(t for _, t in _threats(m))["severity"] = "Severe"


def _bad_type(m: dict[str, Any]) -> None:
    next(t for _, t in _threats(m))["type"] = "Information Disclosure"


def _flow_without_target(m: dict[str, Any]) -> None:
    next(c for c in _cells(m) if c["shape"] == "flow").pop("target")


def _store_as_process(m: dict[str, Any]) -> None:
    next(c for c in _cells(m) if c["shape"] == "store")["data"]["type"] = "tm.Process"


def _no_has_open_threats(m: dict[str, Any]) -> None:
    next(c for c in _cells(m) if c["shape"] == "trust-boundary-box")["data"].pop("hasOpenThreats")


def _no_threat_top(m: dict[str, Any]) -> None:
    m["detail"].pop("threatTop")


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_drop_mitigation, "'mitigation' is a required property"),
        (_null_dash, "None is not of type 'string'"),
        (_bad_severity, "'Severe' is not one of"),
        (_bad_type, "'Information Disclosure' is not one of"),
        (_flow_without_target, "'target' is a required property"),
        (_store_as_process, "'tm.Store' was expected"),
        (_no_has_open_threats, "'hasOpenThreats' is a required property"),
        (_no_threat_top, "'threatTop' is a required property"),
    ],
)
def test_schema_rejects_broken_models(shop_result: ScanResult, break_it: Any, message: str) -> None:
    model = copy.deepcopy(_model(shop_result))
    break_it(model)
    errors = [e.message for e in VALIDATOR.iter_errors(model)]
    assert any(message in e for e in errors), errors


# --- structure ---------------------------------------------------------------------------


def test_top_level(case: tuple[ScanResult, dict[str, Any]]) -> None:
    result, model = case
    open_findings = [f for f in result.findings if f.suppression is None]
    assert model["version"] == "2.3.0"
    assert model["summary"]["title"] == f"Threat model: {result.root}"
    assert f"from {len(result.inputs)} source(s)" in model["summary"]["description"]
    assert "first draft" in model["summary"]["description"]
    detail = model["detail"]
    assert (detail["contributors"], detail["reviewer"], detail["diagramTop"]) == ([], "", 1)
    assert len(detail["diagrams"]) == detail["diagramTop"]
    diagram = detail["diagrams"][0]
    assert (diagram["id"], diagram["diagramType"]) == (0, "STRIDE")
    assert diagram["title"] == f"Data-flow diagram: {result.root}"
    numbers = sorted(t["number"] for _, t in _threats(model))
    assert numbers == list(range(1, len(open_findings) + 1))
    assert detail["threatTop"] == len(open_findings) == max(numbers)


def test_cells_draw_the_model_with_stable_unique_ids(
    case: tuple[ScanResult, dict[str, Any]],
) -> None:
    result, model = case
    g = result.graph
    ids = [c["id"] for c in _cells(model)]
    assert len(ids) == len(set(ids))
    nodes = _by_shape(model, *NODE_SHAPES)
    assert {i: c["shape"] for i, c in nodes.items()} == {
        e.id: {"external": "actor", "process": "process", "datastore": "store"}[e.kind]
        for e in g.elements
    }
    assert set(_by_shape(model, "flow")) == {f.id for f in g.flows}  # none is blocked here
    assert set(_by_shape(model, "trust-boundary-box")) == {b.id for b in g.boundaries}
    for cell in _cells(model):
        kind = {"flow": "flow", "trust-boundary-box": "boundary"}.get(cell["shape"], "element")
        expected = uuid.uuid5(threat_dragon.NAMESPACE, f"{kind}:{cell['data']['tmscanId']}")
        assert cell["id"] == str(expected)


def test_flows_join_only_actor_process_or_store_cells(
    case: tuple[ScanResult, dict[str, Any]],
) -> None:
    result, model = case
    shape_of = {c["id"]: c["shape"] for c in _cells(model)}
    g = result.graph
    for flow_id, cell in _by_shape(model, "flow").items():
        flow = next(f for f in g.flows if f.id == flow_id)
        assert shape_of[cell["source"]["cell"]] in NODE_SHAPES
        assert shape_of[cell["target"]["cell"]] in NODE_SHAPES
        assert cell["source"]["cell"] == cell_id("element", flow.source)
        assert cell["target"]["cell"] == cell_id("element", flow.target)


def test_threats_are_complete_and_allowed_on_their_cell(
    case: tuple[ScanResult, dict[str, Any]],
) -> None:
    _, model = case
    for cell, t in _threats(model):
        assert {"title", "type", "status", "severity", "description", "mitigation"} <= set(t)
        assert t["type"] in ALLOWED[cell["data"]["type"]], (cell["data"]["tmscanId"], t)
        assert t["status"] in STATUSES and t["severity"] in SEVERITIES
        assert t["modelType"] == "STRIDE"
        assert t["description"].endswith(f"fingerprint: {t['fingerprint']}")
        assert t["id"] == str(uuid.uuid5(threat_dragon.NAMESPACE, t["fingerprint"]))
    for cell in _cells(model):
        threats = cell["data"].get("threats", [])
        assert cell["data"]["hasOpenThreats"] == any(t["status"] == "Open" for t in threats)
        red = cell.get("attrs", {}).get("body", cell.get("attrs", {}).get("topLine", {}))
        if cell["shape"] == "flow":
            red = cell["attrs"]["line"]
        assert (red.get("stroke") == "red") == bool(threats)


def test_no_null_anywhere_and_output_is_deterministic(
    case: tuple[ScanResult, dict[str, Any]],
) -> None:
    result, model = case
    assert list(_nulls(model)) == []
    text = threat_dragon.render(result, OPTIONS)
    assert text == threat_dragon.render(result, OPTIONS)
    assert text == json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert reporters.render("threat-dragon", result) == text.encode("utf-8")


# --- geometry ----------------------------------------------------------------------------


def test_geometry_matches_the_model(case: tuple[ScanResult, dict[str, Any]]) -> None:
    result, model = case
    g = result.graph
    boxes = _by_shape(model, "trust-boundary-box")
    nodes = _by_shape(model, *NODE_SHAPES)
    for b_id, box in boxes.items():
        for e_id, node in nodes.items():  # membership, both ways
            assert _inside(_rect(node), _rect(box)) == g.within(e_id, b_id), (b_id, e_id)
        for other_id, other in boxes.items():  # strict nesting exactly along the tree
            nested = other_id != b_id and b_id in g.ancestors(other_id)
            assert _strictly_inside(_rect(other), _rect(box)) == nested, (b_id, other_id)
            assert _inside(_rect(other), _rect(box)) == (nested or other_id == b_id)
            if nested:
                assert other["zIndex"] > box["zIndex"]
    assert max(b["zIndex"] for b in boxes.values()) < min(n["zIndex"] for n in nodes.values())
    drawn = emitted_flows(g)
    flow_cells = _by_shape(model, "flow")
    for b_id, box in boxes.items():
        geometric = {
            f_id
            for f_id, f in drawn.items()
            if _inside(_rect(nodes[f.source]), _rect(box))
            != _inside(_rect(nodes[f.target]), _rect(box))
        }
        assert geometric == {f.id for f in g.flows_crossing(b_id) if f.id in drawn}, b_id
        listed = {i for i, c in flow_cells.items() if box["id"] in c["data"]["trustBoundaryIds"]}
        assert listed == geometric


def test_crossing_sets_of_the_shop(shop_result: ScanResult) -> None:
    model = _model(shop_result)
    crossing = {
        b: {
            i
            for i, c in _by_shape(model, "flow").items()
            if box["id"] in c["data"]["trustBoundaryIds"]
        }
        for b, box in _by_shape(model, "trust-boundary-box").items()
    }
    tf = "tf:.//"
    assert crossing["internet"] == set()  # every zone nests in the internet box
    assert crossing[f"{tf}aws_vpc.main/private"] == {
        f"{tf}aws_alb.admin->{tf}aws_instance.app_a:http/8081",
        f"{tf}aws_alb.admin->{tf}aws_instance.app_b:tcp/8081",
        f"{tf}aws_api_gateway_rest_api.orders->{tf}aws_lambda_function.orders_handler:https/443",
        f"{tf}aws_apigatewayv2_api.webhooks->{tf}aws_lambda_function.orders_handler:https/443",
        f"{tf}aws_instance.app_a->{tf}aws_s3_bucket.assets:https/443",
        f"{tf}aws_instance.app_b->{tf}aws_s3_bucket.assets:https/443",
        f"{tf}aws_lambda_function.orders_handler->{tf}aws_s3_bucket.invoices:https/443",
        f"{tf}aws_lb.web->{tf}aws_instance.app_a:http/8080",
        f"{tf}aws_lb.web->{tf}aws_instance.app_b:http/8080",
    }


def test_crossing_sets_of_the_k8s_shop(k8s_result: ScanResult) -> None:
    model = _model(k8s_result)
    box = _by_shape(model, "trust-boundary-box")["k8s:ns/payments"]["id"]
    assert {
        i for i, c in _by_shape(model, "flow").items() if box in c["data"]["trustBoundaryIds"]
    } == {
        "k8s:Deployment/payments/payments->ext:api.stripe.com:https/443",
        "k8s:Deployment/shop/orders->k8s:Deployment/payments/payments:https/8443",
    }


# --- exact content -----------------------------------------------------------------------


def test_shop_threats_sit_where_threat_dragon_allows_them(shop_result: ScanResult) -> None:
    tf = "tf:.//"
    assert _placed(_model(shop_result)) == {
        f"{tf}aws_db_instance.reporting": [(2, "TM-PUB-001", "Information disclosure", "High")],
        f"{tf}aws_s3_bucket.partner_feeds": [(3, "TM-PUB-001", "Information disclosure", "High")],
        # the OpenAPI findings sit on the API Gateway serving the spec (T of TM-API-006's T, D)
        f"{tf}aws_api_gateway_rest_api.orders": [
            (1, "TM-API-001", "Spoofing", "High"),
            (4, "TM-RATE-001", "Denial of service", "Medium"),
            (6, "TM-API-006", "Tampering", "Low"),
        ],
        # transport: on the plaintext flow, not on the load balancer
        f"internet->{tf}aws_alb.admin:http/80": [
            (5, "TM-TLS-001", "Information disclosure", "Medium")
        ],
    }


def test_shop_threat_text(shop_result: ScanResult) -> None:
    model = _model(shop_result)
    tls = next(t for _, t in _threats(model) if t["ruleId"] == "TM-TLS-001")
    assert tls["title"] == "TM-TLS-001: Internet-facing listener accepts plaintext HTTP"
    assert tls["id"] == str(uuid.uuid5(threat_dragon.NAMESPACE, "270c6c9a27b940b71a13552876b1b5cf"))
    assert tls["description"].splitlines()[2:] == [
        "Resource: aws_lb_listener.admin_http",
        "Location: alb.tf:102",
        "Flow: internet->tf:.//aws_alb.admin:http/80",
        "Path: internet -> aws_alb.admin",
        "STRIDE: Information disclosure, Tampering",
        "Missing controls: tls",
        "References: CWE-319, OWASP ASVS 5.0 12.2.1, OWASP API8:2023",
        "fingerprint: 270c6c9a27b940b71a13552876b1b5cf",
    ]
    finding = next(f for f in shop_result.findings if f.rule == "TM-TLS-001")
    assert tls["mitigation"] == finding.remediation
    assert tls["description"].splitlines()[0] == finding.message


def test_shop_cell_data(shop_result: ScanResult) -> None:
    model = _model(shop_result)
    tf = "tf:.//"
    flows = _by_shape(model, "flow")
    plain = flows[f"internet->{tf}aws_alb.admin:http/80"]
    assert plain["labels"][0]["attrs"]["labelText"]["text"] == "http/80"
    assert (plain["data"]["name"], plain["data"]["protocol"]) == ("http/80", "http")
    assert (plain["data"]["isEncrypted"], plain["data"]["isPublicNetwork"]) == (False, True)
    https = flows[f"internet->{tf}aws_lb.web:https/443"]["data"]
    assert (https["isEncrypted"], https["isPublicNetwork"]) == (True, True)
    inner = flows[f"{tf}aws_instance.app_a->{tf}aws_db_instance.orders:postgres/5432"]["data"]
    assert (inner["isEncrypted"], inner["isPublicNetwork"]) == (False, False)  # tls unknown
    stores = _by_shape(model, "store")
    assert stores[f"{tf}aws_db_instance.orders"]["data"]["isEncrypted"] is True
    assert stores[f"{tf}aws_db_instance.reporting"]["data"]["isEncrypted"] is False
    red = {"stroke": "red", "strokeWidth": 2.5, "strokeDasharray": ""}
    assert stores[f"{tf}aws_db_instance.reporting"]["attrs"]["topLine"] == red
    assert "topLine" not in stores[f"{tf}aws_db_instance.orders"]["attrs"]
    api = _by_shape(model, "process")[f"{tf}aws_api_gateway_rest_api.orders"]
    assert api["attrs"] == {"text": {"text": "shop-orders-api"}, "body": red}
    internet = _by_shape(model, "trust-boundary-box")["internet"]
    assert internet["data"]["name"] == internet["attrs"]["label"]["text"] == "Internet"
    assert internet["zIndex"] == -4  # internet > account > vpc > subnet: four levels


def test_k8s_threats_including_zone_level_findings(k8s_result: ScanResult) -> None:
    model = _model(k8s_result)
    assert _placed(model) == {
        "k8s:Deployment/shop/redis": [(1, "TM-PUB-001", "Information disclosure", "High")],
        # zone-level mTLS findings: on the flow each one names, as Tampering (no S on flows)
        "k8s:Deployment/shop/orders->k8s:Deployment/payments/payments:https/8443": [
            (2, "TM-MTLS-001", "Tampering", "Medium")
        ],
        "k8s:Deployment/shop/cart->k8s:Deployment/shop/redis:redis/6379": [
            (3, "TM-MTLS-001", "Tampering", "Medium")
        ],
        # zone-level, no flow and no path: the zone's first element (boxes hold no threats)
        "k8s:Deployment/shop/cart": [(4, "TM-SEG-001", "Elevation of privilege", "Medium")],
        "internet->k8s:Ingress/shop/admin:http/80": [
            (5, "TM-TLS-001", "Information disclosure", "Medium")
        ],
        "internet->k8s:Service/shop/frontend:http/80": [
            (6, "TM-TLS-001", "Information disclosure", "Medium")
        ],
        "k8s:Deployment/shop/shipping": [(7, "TM-RES-001", "Denial of service", "Low")],
    }
    by_rule = {t["fingerprint"]: t["description"] for _, t in _threats(model)}
    assert (
        "Zone-level finding on shop (k8s:ns/shop): Threat Dragon boxes hold no threats. "
        "Placed on Deployment/shop/cart." in by_rule["89286ad5a630f32cc69b147e752419aa"]
    )
    assert "Confidence: low (unconfirmed" in by_rule["ff5cf3cc0bed7a4acce64bf327d290db"]
    labels = {i: c["data"]["name"] for i, c in _by_shape(model, *NODE_SHAPES).items()}
    assert labels["k8s:Service/shop/frontend"] == "Service/shop/frontend"  # shared name
    assert labels["k8s:Deployment/shop/cart"] == "cart"


# --- placement rules and blocked flows, on a small synthetic model ----------------------


def _finding(element: str, stride: tuple[str, ...], **kw: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": "TM-TEST-001",
        "title": "Test",
        "severity": Severity.INFO,
        "confidence": Confidence.HIGH,
        "stride": stride,
        "controls": (),
        "resource": element,
        "element": element,
        "message": "m",
        "remediation": "r",
        "evidence": (Evidence("terraform", file="main.tf", line=3),),
        "fingerprint": f"fp-{element}-{''.join(stride)}",
    }
    return Finding(**(values | kw))


def _synthetic(*findings: Finding) -> ScanResult:
    graph = DFDGraph(
        [
            Element("internet", "external", "internet", "Internet", "internet", "internet"),
            Element("a", "process", "vm", "a", "aws_instance.a", "z"),
            Element("b", "datastore", "relational-db", "b", "aws_db_instance.b", "z"),
            Element("c", "process", "vm", "c", "aws_instance.c", None),  # in no zone
        ],
        [
            Flow("internet", "a", "http", 80, "called", "declared: test", tls=False),
            Flow("a", "b", "postgres", 5432, "reachable", "inferred: test", network_allowed=False),
            Flow("c", "a", "https", 443, "called", "declared: test", tls=True),
        ],
        [
            TrustBoundary("internet", "internet", "Internet", None, 0),
            TrustBoundary("z", "vpc", "Zone", "internet", 2),
        ],
    )
    return ScanResult("synthetic", graph, tuple(findings), (), ("main.tf",), {})


def test_blocked_flows_are_not_drawn_and_suppressed_findings_are_left_out() -> None:
    suppressed = _finding("a", ("S",), suppression=Suppression("suppressed", "accepted"))
    result = _synthetic(_finding("z", ("I",)), suppressed)
    model = _model(result)
    assert VALIDATOR.is_valid(model)
    assert set(_by_shape(model, "flow")) == {"internet->a:http/80", "c->a:https/443"}
    assert (
        "1 flow(s) blocked by network policy are not drawn"
        in (model["detail"]["diagrams"][0]["description"])
    )
    assert "1 suppressed or baselined finding(s) are left out" in model["summary"]["description"]
    # zone-level with no flow: the zone's first element; "info" maps to Low
    assert _placed(model) == {"a": [(1, "TM-TEST-001", "Information disclosure", "Low")]}
    assert model["detail"]["threatTop"] == 1
    zone = _by_shape(model, "trust-boundary-box")["z"]
    outside = _by_shape(model, "process")["c"]
    assert not _inside(_rect(outside), _rect(zone))
    assert not _inside(_rect(outside), _rect(_by_shape(model, "trust-boundary-box")["internet"]))


def test_placement_falls_back_to_a_cell_that_allows_the_letter() -> None:
    result = _synthetic()
    flows = emitted_flows(result.graph)
    # Elevation of privilege is not allowed on an actor: the first process takes it.
    at = place(_finding("internet", ("E",)), result.graph, flows)
    assert at is not None
    assert (at.cell, at.letter) == ("element:a", "E")
    assert at.note == (
        "Threat Dragon allows no Elevation of privilege threat on internet. "
        "Placed on aws_instance.a."
    )
    # A transport finding with a flow goes on the flow; without tls/mtls it stays put.
    tls = _finding("a", ("I", "T"), flow="internet->a:http/80", controls=("tls",))
    assert place(tls, result.graph, flows) == threat_dragon.Placement(
        "flow:internet->a:http/80", "I", ""
    )
    public = _finding("b", ("I",), flow="internet->a:http/80", controls=("public-exposure",))
    assert place(public, result.graph, flows) == threat_dragon.Placement("element:b", "I", "")
    # Spoofing on a store is not allowed: its flow's target process takes it.
    spoof = _finding("b", ("S",), flow="internet->a:http/80")
    at = place(spoof, result.graph, flows)
    assert at is not None and (at.cell, at.letter) == ("element:a", "S")
    # A finding naming a blocked flow falls back to its element.
    blocked = _finding("b", ("I",), flow="a->b:postgres/5432", controls=("tls",))
    assert place(blocked, result.graph, flows) == threat_dragon.Placement("element:b", "I", "")
