"""Attaching API descriptions to the elements that serve them (the cross-source pass)."""

from __future__ import annotations

from pathlib import Path

from scanner.attach import attach_specs
from scanner.config import Link, load
from scanner.merge import Merged
from scanner.model import INTERNET_ID, Diagnostic, Element, Evidence, Flow, Part, facts


def spec(file: str, hosts: str | None, public: bool | None = True) -> Element:
    return Element(
        f"oas:{file}",
        "process",
        "web-api",
        "Orders API",
        file,
        props=facts(openapi_spec=file, hosts=hosts, api_public=public, api_security_declared=True),
        parts=(Part("operation", "GET /orders", "GET /orders", facts(method="GET")),),
        evidence=(Evidence("openapi", file, 1),),
    )


def element(eid: str, type_: str = "load-balancer", **props: str) -> Element:
    return Element(
        eid,
        "process",
        type_,
        eid.rsplit("/", maxsplit=1)[-1],
        eid.removeprefix("k8s:"),
        props=facts(props),
        evidence=(Evidence("kubernetes", "ingress.yaml", 3),),
    )


def model(*elements: Element) -> Merged:
    flows = tuple(Flow(INTERNET_ID, e.id, "https", 443, "called", "declared") for e in elements)
    return Merged(elements, flows, (), (), ())


def test_attaches_by_host_and_moves_the_operations() -> None:
    ingress = element("k8s:Ingress/shop/shop", hosts="admin.example.com,shop.example.com")
    out = attach_specs(model(spec("api/orders.yaml", "shop.example.com"), ingress))
    assert [e.id for e in out.elements] == ["k8s:Ingress/shop/shop"]
    joined = out.elements[0]
    assert [p.name for p in joined.parts] == ["GET /orders"]
    assert joined.fact("openapi_spec") == "api/orders.yaml"
    assert joined.fact("hosts") == "admin.example.com,shop.example.com"  # its own stay
    assert joined.evidence[0].file == "ingress.yaml"  # the element's own location first
    assert [f.target for f in out.flows] == ["k8s:Ingress/shop/shop"]
    assert out.diagnostics == (
        Diagnostic(
            "info",
            "api/orders.yaml",
            "served by Ingress/shop/shop: it serves shop.example.com",
            1,
        ),
    )


def test_wildcard_hosts_and_load_balancer_dns_names() -> None:
    wildcard = element("k8s:Gateway/edge/public", hosts="*.example.com")
    lb = Element("tf:.//aws_lb.web", "process", "load-balancer", "shop-prod-web", "aws_lb.web")
    out = attach_specs(model(spec("a.yaml", "api.example.com"), wildcard))
    assert out.elements[0].fact("openapi_spec") == "a.yaml"
    assert (
        attach_specs(model(spec("a.yaml", "deep.api.example.com"), wildcard)).elements[0].type
        == "web-api"
    )
    dns = "shop-prod-web-1234567890.eu-west-1.elb.amazonaws.com"
    out = attach_specs(model(spec("b.yaml", dns), lb))
    assert [e.id for e in out.elements] == ["tf:.//aws_lb.web"]
    assert out.diagnostics[0].message == f"served by aws_lb.web: {dns} is its DNS name"


def test_terraform_body_reference_wins_over_hosts() -> None:
    gateway = element(
        "tf:.//aws_api_gateway_rest_api.catalog", "api-gateway", openapi_spec="specs/c.yaml"
    )
    other = element("k8s:Ingress/shop/shop", hosts="catalog.example.com")
    out = attach_specs(model(spec("specs/c.yaml", "catalog.example.com"), gateway, other))
    served = {e.id: bool(e.parts) for e in out.elements}
    assert served == {
        "tf:.//aws_api_gateway_rest_api.catalog": True,
        "k8s:Ingress/shop/shop": False,
    }


def test_an_explicit_link_places_what_nothing_else_can() -> None:
    svc = element("k8s:Service/shop/orders", "network-load-balancer")
    link = Link("api/orders.yaml", "Service/shop/orders", ".tmscan.yaml", 3)
    out = attach_specs(model(spec("api/orders.yaml", "orders.internal"), svc), [link])
    assert out.elements[0].id == "k8s:Service/shop/orders" and out.elements[0].parts
    assert out.diagnostics[0].message == "served by Service/shop/orders: .tmscan.yaml links it"
    bad = Link("api/orders.yaml", "Service/shop/nope", ".tmscan.yaml", 3)
    out = attach_specs(model(spec("api/orders.yaml", None, None), svc), [bad])
    assert [d.message for d in out.diagnostics] == [
        "links: nothing scanned is named Service/shop/nope",
        "could not be placed: nothing scanned serves it and its servers (no host) are not "
        "public hosts; its exposure is unknown",
    ]


def test_unplaced_public_spec_stays_an_internet_facing_element() -> None:
    out = attach_specs(model(spec("api/orders.yaml", "api.example.org")))
    assert [e.id for e in out.elements] == ["oas:api/orders.yaml"]
    assert [f.source for f in out.flows] == [INTERNET_ID]
    assert out.diagnostics == (
        Diagnostic(
            "warning",
            "api/orders.yaml",
            "could not be placed: nothing scanned serves api.example.org; drawn as its own "
            "internet-facing API (link it under `links:` in .tmscan.yaml)",
            1,
        ),
    )


def test_config_links_and_field_errors(tmp_path: Path) -> None:
    (tmp_path / ".tmscan.yaml").write_text(
        "links:\n"
        "  - openapi: ./api/orders.yaml\n"
        "    served_by: aws_api_gateway_rest_api.orders\n"
        "  - openapi: api/other.yaml\n"
        "    servedby: typo\n"
        "colour: blue\n"
    )
    config, problems = load(tmp_path)
    assert config.links == (
        Link("api/orders.yaml", "aws_api_gateway_rest_api.orders", ".tmscan.yaml", 2),
    )
    assert problems == [
        Diagnostic("warning", ".tmscan.yaml", "unknown key 'colour' ignored", 1),
        Diagnostic("warning", ".tmscan.yaml", "links: unknown field(s) servedby", 4),
        Diagnostic("error", ".tmscan.yaml", "links: served_by must be given as text", 4),
    ]
    (tmp_path / ".tmscan.yaml").write_text("links: [\n")
    config, problems = load(tmp_path)
    assert config.links == () and problems[0].level == "error" and problems[0].line == 2
    assert problems[0].message.startswith("cannot parse: ")
