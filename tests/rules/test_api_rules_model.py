"""The API rules on hand-built models: the decisions that fixtures rarely isolate."""

from __future__ import annotations

from rules.api import OperationWithoutAuthentication, public_by_design
from rules.api_limits import ApiWithoutRateLimitEvidence, PlaintextApiServer
from rules.engine import Rule, evaluate
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Element, Evidence, Flow, Part, Severity, facts

EV = (Evidence("openapi", "api.yaml", 1),)
INTERNET = Element(INTERNET_ID, "external", "internet", "Internet", "internet")


def op(address: str, **props: object) -> Part:
    method, path = address.split(" ", 1)
    base = {
        "spec": "api.yaml",
        "method": method,
        "path": path,
        "writes": method in ("POST", "PUT", "PATCH", "DELETE"),
    }
    return Part(
        "operation", address, address, facts(base | props), (Evidence("openapi", "api.yaml", 7),)
    )


def api(*parts: Part, type_: str = "load-balancer", **props: object) -> Element:
    spec = Part(
        "api",
        "api.yaml",
        "api.yaml",
        facts({"spec": "api.yaml", "api_security_declared": True} | props),
        EV,
    )
    return Element(
        "k8s:Ingress/shop/shop",
        "process",
        type_,
        "shop",
        "Ingress/shop/shop",
        props=facts(openapi_spec="api.yaml"),
        parts=(spec, *parts),
        evidence=(Evidence("kubernetes", "ingress.yaml", 3),),
    )


def run(rule: Rule, element: Element, **flow: object) -> list[tuple[str, str, str, str]]:
    flows = [Flow(INTERNET_ID, element.id, "https", 443, "called", "declared", **flow)]  # type: ignore[arg-type]
    result = evaluate(DFDGraph([INTERNET, element], flows, []), [rule])
    return [(f.rule, f.resource, f.severity.label, f.confidence.label) for f in result.findings]


def test_public_by_design_endpoints() -> None:
    assert public_by_design(op("GET /healthz"))
    assert public_by_design(op("POST /oauth/token"))
    assert public_by_design(op("POST /auth/login"))
    assert public_by_design(op("GET /.well-known/openid-configuration"))
    assert public_by_design(op("OPTIONS /orders"))
    assert not public_by_design(op("GET /orders/{id}"))
    assert not public_by_design(op("GET /metrics"))
    # Writes under probe or docs paths, or to a token that belongs to something, are not.
    assert not public_by_design(op("DELETE /docs/{docId}"))
    assert not public_by_design(op("PUT /orders/{id}/status"))
    assert not public_by_design(op("DELETE /accounts/{id}/token"))
    assert not public_by_design(op("POST /projects/{id}/version"))


def test_anonymous_operations_and_what_silences_them() -> None:
    element = api(
        op("POST /orders", anonymous=True, security_from="operation"),
        op("GET /orders", anonymous=True, security_from="global"),
        op("GET /health", anonymous=True, security_from="operation"),
        op("DELETE /orders/{id}", anonymous=False, security_from="global"),
    )
    assert run(OperationWithoutAuthentication(), element) == [
        ("TM-API-001", "POST /orders", "high", "high"),
        ("TM-API-001", "GET /orders", "medium", "high"),
    ]
    # The gateway in front authenticates every caller: nothing anonymous gets through.
    assert run(OperationWithoutAuthentication(), element, authn="cognito") == []
    # Unknown authentication in front is not authentication.
    assert len(run(OperationWithoutAuthentication(), element, authn=None)) == 2


def test_no_security_anywhere_is_one_finding_on_the_document() -> None:
    element = api(
        op("POST /orders", anonymous=True, security_from="none"),
        op("GET /orders", anonymous=True, security_from="none"),
        api_security_declared=False,
    )
    result = evaluate(
        DFDGraph(
            [INTERNET, element], [Flow(INTERNET_ID, element.id, "https", 443, "called", "d")], []
        ),
        [OperationWithoutAuthentication()],
    )
    (finding,) = result.findings
    assert finding.resource == "api.yaml"
    assert finding.message == (
        "api.yaml declares no security requirement at all: its 2 operation(s) take no "
        "credentials: POST /orders, GET /orders."
    )
    assert [ev.line for ev in finding.evidence] == [1, 7, 7]
    assert finding.severity == Severity.HIGH  # it writes, from the internet


def test_rate_limit_evidence_from_spec_or_infrastructure() -> None:
    element = api(op("GET /orders"), op("POST /orders"))
    assert run(ApiWithoutRateLimitEvidence(), element) == [
        ("TM-API-005", "api.yaml", "medium", "low")  # nothing known in front: unconfirmed
    ]
    assert run(ApiWithoutRateLimitEvidence(), element, rate_limited=False) == [
        ("TM-API-005", "api.yaml", "medium", "high")
    ]
    assert run(ApiWithoutRateLimitEvidence(), element, rate_limited=True) == []
    documented = api(
        op("GET /orders", rate_limit="429 response"), op("POST /orders", rate_limit="429 response")
    )
    assert run(ApiWithoutRateLimitEvidence(), documented) == []
    assert (
        run(
            ApiWithoutRateLimitEvidence(),
            api(op("GET /a"), api_rate_limit="x-kong-plugin-rate-limiting"),
        )
        == []
    )
    # An API Gateway stage is TM-RATE-001's to judge.
    gateway = api(
        op("GET /orders"), Part("stage", "v1", "aws_api_gateway_stage.v1"), type_="api-gateway"
    )
    assert run(ApiWithoutRateLimitEvidence(), gateway, rate_limited=False) == []


def test_plaintext_servers_only_on_public_hosts() -> None:
    def server(url: str, public: bool) -> Part:
        props = facts(spec="api.yaml", tls=url.startswith("https"), public=public)
        return Part("server", url, url, props, EV)

    element = api(
        op("GET /orders", anonymous=False, basic_auth=True),
        server("http://api.example.com", True),
        server("http://localhost:8080", False),
        server("https://api.example.com", True),
    )
    assert run(PlaintextApiServer(), element) == [
        ("TM-API-004", "http://api.example.com", "high", "high")
    ]
