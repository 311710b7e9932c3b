"""The OTM 0.2.0 export: schema, references, ranges, stable ids and exact content."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
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
from scanner.reporters import ReportOptions, otm

SCHEMA = json.loads((Path(__file__).parent / "otm_0.2.0.schema.json").read_text("utf-8"))
VALIDATOR = Draft7Validator(SCHEMA)
OPTIONS = ReportOptions()

SHOP_INTERNET = "internet-" + hashlib.sha256(b"component\x1finternet").hexdigest()[:8]
TLS_SHOP = "270c6c9a27b940b71a13552876b1b5cf"
RATE_SHOP = "6bb688a36fbdfae57d7decf924245de2"
PUB_REPORTING = "8bff92fb5c08abaace72b695eb981e15"
PUB_FEEDS = "c3226f9d2d6c2c7a9df5954801408593"
AUTH_ORDERS = "f0fba286227b312455be097e347594c9"  # TM-API-001 on specs/orders-api.yaml
UNBOUNDED_ORDERS = "5e7c3549af3bb9f95ab30d0e3c8cf61f"  # TM-API-006 on POST /orders


def _docs(result: ScanResult) -> dict[str, dict[str, Any]]:
    return {
        "json": json.loads(otm.render(result, OPTIONS)),
        "yaml": yaml.safe_load(otm.render_otm_yaml(result, OPTIONS)),
    }


@pytest.fixture(params=["shop-json", "shop-yaml", "k8s-json", "k8s-yaml"])
def case(request: pytest.FixtureRequest) -> tuple[ScanResult, dict[str, Any]]:
    name, fmt = request.param.split("-")
    result: ScanResult = request.getfixturevalue(f"{name}_result")
    return result, _docs(result)[fmt]


@pytest.fixture
def shop(shop_result: ScanResult) -> dict[str, Any]:
    return _docs(shop_result)["json"]


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}/{i}")


def _placements(doc: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """Threat id -> {(section, holder id)} over every threat instance."""
    out: dict[str, set[tuple[str, str]]] = {}
    for section in ("components", "dataflows"):
        for item in doc[section]:
            for inst in item.get("threats", []):
                out.setdefault(inst["threat"], set()).add((section, item["id"]))
    return out


# --- schema ---------------------------------------------------------------------------


def test_the_schema_itself_is_valid_draft7() -> None:
    Draft7Validator.check_schema(SCHEMA)


def test_export_validates_against_the_schema(case: tuple[ScanResult, dict[str, Any]]) -> None:
    _, doc = case
    assert [e.message for e in VALIDATOR.iter_errors(doc)] == []


def _errors(doc: dict[str, Any]) -> set[str]:
    return {e.validator for e in VALIDATOR.iter_errors(doc)}


def test_schema_rejects_a_component_without_parent(shop: dict[str, Any]) -> None:
    doc = copy.deepcopy(shop)
    del doc["components"][0]["parent"]
    assert _errors(doc) == {"required"}


def test_schema_rejects_a_parent_with_both_zone_and_component(shop: dict[str, Any]) -> None:
    doc = copy.deepcopy(shop)
    doc["components"][1]["parent"] = {"trustZone": "internet", "component": SHOP_INTERNET}
    assert _errors(doc) == {"oneOf"}
    doc["components"][1]["parent"] = {}
    assert _errors(doc) == {"oneOf"}


@pytest.mark.parametrize(
    ("section", "path", "value", "validator"),
    [
        ("trustZones", ("risk", "trustRating"), 101, "maximum"),
        ("trustZones", ("risk", "trustRating"), -1, "minimum"),
        ("threats", ("risk", "likelihood"), 101, "maximum"),
        ("threats", ("risk", "impact"), -5, "minimum"),
        ("mitigations", ("riskReduction",), 100.5, "maximum"),
        ("threats", ("cwes",), ["319"], "pattern"),
        ("components", ("attributes", "resource"), None, "type"),
    ],
)
def test_schema_rejects_out_of_range_and_nulls(
    shop: dict[str, Any], section: str, path: tuple[str, ...], value: Any, validator: str
) -> None:
    doc = copy.deepcopy(shop)
    target = doc[section][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert _errors(doc) == {validator}


# --- structure ------------------------------------------------------------------------


def test_references_resolve(case: tuple[ScanResult, dict[str, Any]]) -> None:
    _, doc = case
    zones = {z["id"]: z.get("parent", {}).get("trustZone") for z in doc["trustZones"]}
    components = {c["id"] for c in doc["components"]}
    assert None not in zones  # no zone is called "None"
    for zone, parent in zones.items():
        assert parent is None or parent in zones, zone
        seen, current = {zone}, parent
        while current is not None:  # acyclic: every chain ends at a root
            assert current not in seen, zone
            seen.add(current)
            current = zones[current]
    for c in doc["components"]:
        assert len(c["parent"]) == 1
        assert c["parent"].get("trustZone", "") in zones or c["parent"]["component"] in components
    for f in doc["dataflows"]:
        assert f["source"] in components and f["destination"] in components, f["id"]
    threats = {t["id"] for t in doc["threats"]}
    mitigations = {m["id"] for m in doc["mitigations"]}
    for section in ("components", "dataflows"):
        for item in doc[section]:
            for inst in item.get("threats", []):
                assert inst["threat"] in threats and inst["state"] == "exposed"
                assert {m["mitigation"] for m in inst["mitigations"]} <= mitigations
    assert [r["id"] for r in doc["representations"]] == ["dfd"]


def test_ids_are_unique_across_sections(case: tuple[ScanResult, dict[str, Any]]) -> None:
    _, doc = case
    ids = [x["id"] for s in ("trustZones", "components", "dataflows") for x in doc[s]]
    ids += [x["id"] for s in ("threats", "mitigations") for x in doc[s]]
    assert len(ids) == len(set(ids))


def test_numbers_lie_in_0_100_and_nothing_is_null(case: tuple[ScanResult, dict[str, Any]]) -> None:
    _, doc = case
    numbers = [
        *(z["risk"]["trustRating"] for z in doc["trustZones"]),
        *(t["risk"][k] for t in doc["threats"] for k in ("likelihood", "impact")),
        *(m["riskReduction"] for m in doc["mitigations"]),
    ]
    assert numbers and all(0 <= n <= 100 for n in numbers)
    assert [p for p, v in _walk(doc) if v is None] == []
    assert all(isinstance(v, str) for p, v in _walk(doc) if "/attributes/" in p)


def test_every_open_finding_is_a_threat_with_an_instance(
    case: tuple[ScanResult, dict[str, Any]],
) -> None:
    result, doc = case
    open_ = {f.fingerprint for f in result.findings if f.suppression is None}
    assert open_ and {t["id"] for t in doc["threats"]} == open_
    assert set(_placements(doc)) == open_
    rules = {f.rule for f in result.findings}
    assert {m["id"] for m in doc["mitigations"]} == {f"mitigation-{r.lower()}" for r in rules}


def test_every_model_object_is_exported(case: tuple[ScanResult, dict[str, Any]]) -> None:
    result, doc = case
    g = result.graph
    assert [z["attributes"]["tmscan_id"] for z in doc["trustZones"]] == [b.id for b in g.boundaries]
    assert [c["attributes"]["tmscan_id"] for c in doc["components"]] == [e.id for e in g.elements]
    assert [f["attributes"]["tmscan_id"] for f in doc["dataflows"]] == [f.id for f in g.flows]


def test_yaml_has_no_anchors_or_aliases(k8s_result: ScanResult) -> None:
    text = otm.render_otm_yaml(k8s_result, OPTIONS)
    assert "&id" not in text and "*id" not in text  # TM-SEG-001 sits on 13 components


def test_output_is_stable_and_json_equals_yaml(shop_result: ScanResult) -> None:
    first = otm.render(shop_result, OPTIONS)
    assert first == otm.render(shop_result, OPTIONS) and first.endswith("}\n")
    text = otm.render_otm_yaml(shop_result, OPTIONS)
    assert text == otm.render_otm_yaml(shop_result, OPTIONS)
    assert yaml.safe_load(text) == json.loads(first)
    assert "{" not in text.splitlines()[0]  # block style
    assert reporters.render("otm", shop_result) == first.encode()
    assert reporters.render("otm-yaml", shop_result) == text.encode()


# --- exact content: shop ---------------------------------------------------------------


def test_shop_zone_tree_and_ratings(shop: dict[str, Any]) -> None:
    tree = {
        (z["id"], z.get("parent", {}).get("trustZone"), z["type"], z["risk"]["trustRating"])
        for z in shop["trustZones"]
    }
    assert tree == {
        ("internet", None, "internet", 1),
        ("tf-account", "internet", "account", 40),
        ("tf-aws-vpc-main", "tf-account", "vpc", 60),
        ("tf-aws-vpc-main-private", "tf-aws-vpc-main", "subnet", 80),
        ("tf-aws-vpc-main-public", "tf-aws-vpc-main", "subnet", 60),
    }
    assert shop["otmVersion"] == "0.2.0"
    assert shop["project"] == {
        "name": "shop",
        "id": "shop",
        "description": "Generated by tmscan from 14 source(s); a first draft to review.",
        "attributes": {"generator": "tmscan 0.1.0"},
    }


def test_shop_components(shop: dict[str, Any]) -> None:
    by_id = {c["id"]: c for c in shop["components"]}
    assert by_id["tf-aws-db-instance-reporting"] == {
        "id": "tf-aws-db-instance-reporting",
        "name": "shop-reporting",
        "type": "relational-db",
        "parent": {"trustZone": "tf-aws-vpc-main-public"},
        "tags": ["datastore"],
        "attributes": {
            "tmscan_id": "tf:.//aws_db_instance.reporting",
            "resource": "aws_db_instance.reporting",
            "asset": "rds:db-instance:shop-reporting",
            "location": "database.tf:52",
        },
        "threats": [
            {
                "threat": PUB_REPORTING,
                "state": "exposed",
                "mitigations": [{"mitigation": "mitigation-tm-pub-001", "state": "required"}],
            }
        ],
    }
    # The internet is a zone; its element is a client component in that zone (its slug
    # "internet" is the zone's, so it carries the hash suffix).
    assert by_id[SHOP_INTERNET] == {
        "id": SHOP_INTERNET,
        "name": "Internet",
        "type": "generic-client",
        "parent": {"trustZone": "internet"},
        "tags": ["external"],
        "attributes": {"tmscan_id": "internet", "resource": "internet"},
    }
    parents = {c["id"]: c["parent"]["trustZone"] for c in shop["components"]}
    assert {c for c, z in parents.items() if z == "tf-aws-vpc-main-public"} == {
        "tf-aws-alb-admin",
        "tf-aws-db-instance-reporting",
        "tf-aws-instance-bastion",
        "tf-aws-lb-web",
    }


def test_shop_threat_placement(shop: dict[str, Any]) -> None:
    assert _placements(shop) == {
        # about transport (tls): on the plaintext dataflow, not on the load balancer
        TLS_SHOP: {("dataflows", "internet-tf-aws-alb-admin-http-80")},
        RATE_SHOP: {("components", "tf-aws-api-gateway-rest-api-orders")},
        # the OpenAPI findings sit on the API Gateway that serves the spec
        AUTH_ORDERS: {("components", "tf-aws-api-gateway-rest-api-orders")},
        UNBOUNDED_ORDERS: {("components", "tf-aws-api-gateway-rest-api-orders")},
        PUB_REPORTING: {("components", "tf-aws-db-instance-reporting")},
        PUB_FEEDS: {("components", "tf-aws-s3-bucket-partner-feeds")},
    }


def test_shop_threat_and_mitigation_catalogues(shop: dict[str, Any]) -> None:
    threats = {t["id"]: t for t in shop["threats"]}
    assert threats[TLS_SHOP] == {
        "id": TLS_SHOP,
        "name": "TM-TLS-001: Internet-facing listener accepts plaintext HTTP",
        "description": (
            "aws_lb_listener.admin_http accepts plaintext HTTP from the internet on port 80 and "
            "does not redirect to HTTPS. Resource: aws_lb_listener.admin_http. "
            "Location: alb.tf:102."
        ),
        "categories": ["Information disclosure", "Tampering"],
        "cwes": ["CWE-319"],
        "risk": {
            "impact": 60,
            "impactComment": "severity medium",
            "likelihood": 90,
            "likelihoodComment": "confidence high",
        },
        "tags": ["tls"],
        "attributes": {
            "rule": "TM-TLS-001",
            "fingerprint": TLS_SHOP,
            "severity": "medium",
            "confidence": "high",
            "resource": "aws_lb_listener.admin_http",
            "asset": "elasticloadbalancing:loadbalancer:shop-prod-admin",
            "location": "alb.tf:102",
        },
    }
    assert threats[PUB_REPORTING]["cwes"] == ["CWE-668", "CWE-284"]
    assert threats[PUB_REPORTING]["risk"]["impact"] == 80
    # a finding-specific remediation (the cheapest cut of the path) stays with the threat
    assert (
        "Remediation: Turn off public access to aws_db_instance.reporting"
        in (threats[PUB_REPORTING]["description"])
    )
    assert threats[AUTH_ORDERS] == {
        "id": AUTH_ORDERS,
        "name": "TM-API-001: API operation callable without authentication",
        "description": (
            "specs/orders-api.yaml declares no security requirement at all: its 2 operation(s) "
            "take no credentials: POST /orders, GET /orders/{orderId}. "
            "Resource: specs/orders-api.yaml. Location: specs/orders-api.yaml:1."
        ),
        "categories": ["Spoofing"],
        "cwes": ["CWE-306"],
        "risk": {
            "impact": 80,
            "impactComment": "severity high",
            "likelihood": 90,
            "likelihoodComment": "confidence high",
        },
        "tags": ["authn"],
        "attributes": {
            "rule": "TM-API-001",
            "fingerprint": AUTH_ORDERS,
            "severity": "high",
            "confidence": "high",
            "resource": "specs/orders-api.yaml",
            "location": "specs/orders-api.yaml:1",
        },
    }
    assert threats[UNBOUNDED_ORDERS]["categories"] == ["Tampering", "Denial of service"]
    assert threats[UNBOUNDED_ORDERS]["risk"]["impact"] == 40  # severity low
    assert threats[UNBOUNDED_ORDERS]["attributes"]["location"] == "specs/orders-api.yaml:15"
    assert [t["id"] for t in shop["threats"]] == sorted(threats)
    mitigations = {m["id"]: m for m in shop["mitigations"]}
    assert list(mitigations) == [
        "mitigation-tm-api-001",
        "mitigation-tm-api-006",
        "mitigation-tm-pub-001",
        "mitigation-tm-rate-001",
        "mitigation-tm-tls-001",
    ]
    assert mitigations["mitigation-tm-tls-001"] == {
        "id": "mitigation-tm-tls-001",
        "name": "Serve HTTPS with an ACM certificate and a TLS 1.2+ policy",
        "description": (
            "Serve HTTPS with an ACM certificate and a TLS 1.2+ policy; make the HTTP "
            "listener redirect to HTTPS (HTTP_301) or remove it."
        ),
        "riskReduction": 80,
        "attributes": {"rule": "TM-TLS-001"},
    }


def test_shop_dataflows_carry_only_known_facts(shop: dict[str, Any]) -> None:
    flows = {f["id"]: f for f in shop["dataflows"]}
    assert len(flows) == 22
    assert flows["tf-aws-instance-app-a-tf-aws-db-instance-orders-postgres-5432"] == {
        "id": "tf-aws-instance-app-a-tf-aws-db-instance-orders-postgres-5432",
        "name": "postgres/5432",
        "source": "tf-aws-instance-app-a",
        "destination": "tf-aws-db-instance-orders",
        "bidirectional": False,
        "tags": ["called", "postgres"],
        "attributes": {
            "tmscan_id": "tf:.//aws_instance.app_a->tf:.//aws_db_instance.orders:postgres/5432",
            "basis": "called",
            "derivation": (
                "inferred: user data of aws_instance.app_a references aws_db_instance.orders"
            ),
            "location": "compute.tf:5",
        },
    }  # tls is unknown there: omitted, never rendered as "false"
    plain = flows["internet-tf-aws-alb-admin-http-80"]
    assert plain["source"] == SHOP_INTERNET and plain["name"] == "http/80"
    assert plain["attributes"]["tls"] == "false" and "mtls" not in plain["attributes"]


# --- exact content: Kubernetes (zone-level findings) -------------------------------------


def test_k8s_zone_level_findings_land_on_flows_or_zone_members(k8s_result: ScanResult) -> None:
    doc = _docs(k8s_result)["json"]
    by_rule = {f.fingerprint: f.rule for f in k8s_result.findings}
    placed = {(by_rule[t], *sorted(where)) for t, where in _placements(doc).items()}
    shop_ns = sorted(
        ("components", c["id"])
        for c in doc["components"]
        if c["parent"]["trustZone"] == "k8s-ns-shop"
    )
    assert len(shop_ns) == 13
    assert placed == {
        # TM-MTLS-001 on k8s:ns/payments and k8s:ns/shop: on the flow each one names
        (
            "TM-MTLS-001",
            ("dataflows", "k8s-deployment-shop-orders-k8s-deployment-payments-payments-https-8443"),
        ),
        (
            "TM-MTLS-001",
            ("dataflows", "k8s-deployment-shop-cart-k8s-deployment-shop-redis-redis-6379"),
        ),
        # TM-SEG-001 on k8s:ns/shop names no flow: on every component in the namespace
        ("TM-SEG-001", *shop_ns),
        ("TM-PUB-001", ("components", "k8s-deployment-shop-redis")),
        ("TM-TLS-001", ("dataflows", "internet-k8s-ingress-shop-admin-http-80")),
        ("TM-TLS-001", ("dataflows", "internet-k8s-service-shop-frontend-http-80")),
        ("TM-RES-001", ("components", "k8s-deployment-shop-shipping")),
    }
    zones = {(z["id"], z.get("parent", {}).get("trustZone"), z["type"]) for z in doc["trustZones"]}
    assert zones == {
        ("internet", None, "internet"),
        ("k8s-cluster", "internet", "cluster"),
        ("k8s-ns-payments", "k8s-cluster", "namespace"),
        ("k8s-ns-shop", "k8s-cluster", "namespace"),
    }
    seg = next(t for t in doc["threats"] if t["attributes"]["rule"] == "TM-SEG-001")
    assert seg["risk"] == {
        "impact": 60,
        "impactComment": "severity medium",
        "likelihood": 30,
        "likelihoodComment": "confidence low",
    }


# --- edge cases on a hand-built model -----------------------------------------------------


def _finding(fp: str, element: str, **kw: Any) -> Finding:
    base: dict[str, Any] = {
        "rule": "TM-X-001",
        "title": "Example",
        "severity": Severity.CRITICAL,
        "confidence": Confidence.HIGH,
        "stride": ("S", "E"),
        "controls": ("authn",),
        "resource": element,
        "element": element,
        "message": "Example finding.",
        "remediation": "Fix it. Then test.",
        "evidence": (Evidence("terraform", file="main.tf", line=3),),
        "fingerprint": fp,
        "references": ("cwe-22", "OWASP X", "CWE-22", "CWE-79"),
    }
    return Finding(**(base | kw))


@pytest.fixture
def edge() -> tuple[ScanResult, dict[str, Any]]:
    boundaries = [
        TrustBoundary("internet", "internet", "Internet", None, 0),
        TrustBoundary("z:1", "vpc", "one", "internet", 3),
        TrustBoundary("z:empty", "subnet", "empty", "z:1", 9),
        TrustBoundary("c:1", "mesh", "c1", "c:2", 2),
        TrustBoundary("c:2", "mesh", "c2", "c:1", 2),
    ]
    elements = [
        Element("internet", "external", "internet", "Internet", "internet", "internet"),
        Element("x:a/b", "process", "container", "ab", "a/b", "z:1"),
        Element("x:a_b", "process", "container", "a_b", "a_b", "z:1"),
        Element("x:lost", "datastore", "cache", "lost", "lost", None),
    ]
    flows = [Flow("internet", "x:a/b", "http", None, "called", "declared: test", tls=False)]
    flow = flows[0].id
    findings = (
        _finding("f-empty-zone", "z:empty"),
        _finding("f-unknown", "x:gone"),
        _finding("f-quiet", "x:a/b", suppression=Suppression("suppressed", "accepted")),
        _finding("f-tls", "x:a/b", flow=flow, controls=("tls",)),
        _finding("f-authn-on-flow", "x:a/b", flow=flow),
        _finding("f-zone", "z:1", evidence=()),
        _finding("f-stale-flow", "z:empty", flow="nope->nope:tcp/*"),
    )
    graph = DFDGraph(elements, flows, boundaries)
    result = ScanResult("My Demo!", graph, findings, (), ("main.tf",), {})
    doc = _docs(result)
    assert doc["json"] == doc["yaml"]
    return result, doc["json"]


def _hashed(slug: str, salt: str, key: str) -> str:
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()
    return f"{slug}-{digest[:8]}"


def test_edge_ids_collisions_and_stand_ins(edge: tuple[ScanResult, dict[str, Any]]) -> None:
    _, doc = edge
    assert [e.message for e in VALIDATOR.iter_errors(doc)] == []
    assert doc["project"]["id"] == "my-demo"
    zones = {
        z["id"]: (z.get("parent", {}).get("trustZone"), z["risk"]["trustRating"])
        for z in doc["trustZones"]
    }
    assert zones == {
        "internet": (None, 1),
        "z-1": ("internet", 80),
        "z-empty": ("z-1", 100),
        "c-1": (None, 60),  # a cyclic chain is cut: both become roots
        "c-2": (None, 60),
        "unzoned": (None, 50),  # for the element with no zone and the unknown element
    }
    parents = {c["id"]: (c["type"], c["parent"]["trustZone"]) for c in doc["components"]}
    ab, a_b = _hashed("x-a-b", "component", "x:a/b"), _hashed("x-a-b", "component", "x:a_b")
    assert parents == {
        _hashed("internet", "component", "internet"): ("generic-client", "internet"),
        ab: ("container", "z-1"),
        a_b: ("container", "z-1"),
        "x-lost": ("cache", "unzoned"),
        "z-empty-findings": ("trust-zone", "z-empty"),
        "x-gone-findings": ("unknown", "unzoned"),
    }
    flow_id = "internet-x-a-b-http"
    assert _placements(doc) == {
        "f-empty-zone": {("components", "z-empty-findings")},
        "f-stale-flow": {("components", "z-empty-findings")},
        "f-unknown": {("components", "x-gone-findings")},
        "f-tls": {("dataflows", flow_id)},
        "f-authn-on-flow": {("components", ab)},  # not about transport: on the element
        "f-zone": {("components", ab), ("components", a_b)},
    }
    threat = next(t for t in doc["threats"] if t["id"] == "f-zone")
    assert threat["cwes"] == ["CWE-22", "CWE-79"]
    assert threat["categories"] == ["Spoofing", "Elevation of privilege"]
    assert threat["risk"]["impact"] * threat["risk"]["likelihood"] / 1000 >= 9  # TD: Critical
    assert threat["description"] == "Example finding. Resource: z:1."
    assert "location" not in threat["attributes"]
    # no rule metadata in the result: the mitigation comes from the finding's remediation
    assert doc["mitigations"] == [
        {
            "id": "mitigation-tm-x-001",
            "name": "Fix it",
            "description": "Fix it. Then test.",
            "riskReduction": 80,
            "attributes": {"rule": "TM-X-001"},
        }
    ]


@pytest.mark.parametrize(
    ("trust", "rating"), [(-1, 1), (0, 1), (1, 40), (2, 60), (3, 80), (4, 100), (7, 100)]
)
def test_trust_rating_mapping(trust: int, rating: int) -> None:
    assert otm.trust_rating(trust) == rating


def test_allocate_keeps_unique_slugs_and_hashes_collisions() -> None:
    ids = otm.allocate(["k8s:ns/shop", "a.b", "a/b", "x"], {"x"}, "zone")
    assert ids["k8s:ns/shop"] == "k8s-ns-shop"
    assert ids["a.b"] == _hashed("a-b", "zone", "a.b")
    assert ids["a/b"] == _hashed("a-b", "zone", "a/b")
    assert ids["x"] == _hashed("x", "zone", "x")
    assert otm.allocate(["::"], set(), "zone") == {"::": "zone"}
    assert otm.slug("tf:.//aws_vpc.main/private") == "tf-aws-vpc-main-private"
