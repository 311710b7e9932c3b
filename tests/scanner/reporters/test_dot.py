"""DOT, SVG and PNG: nested clusters as the model nests, styles by transport, collapse and
replica grouping; parsed and laid out by the real Graphviz `dot`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Element, Evidence, Flow, TrustBoundary
from scanner.pipeline import ScanOptions, ScanResult, scan
from scanner.reporters import FORMATS, ReportError, ReportOptions, render
from scanner.reporters import dot as dot_module
from scanner.reporters.diagram import build, replica_base
from scanner.reporters.dot import quote, to_dot

REPO_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def layout(source: str) -> dict[str, Any]:
    """`dot -Tjson`: the real parser and layout; fails on any syntax error."""
    done = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def membership(doc: dict[str, Any]) -> dict[str, str]:
    """Node name -> the label of the innermost cluster that holds it (per Graphviz)."""
    objects = doc["objects"]
    inside: dict[str, str] = {}
    clusters = [
        o for o in objects if o["name"].startswith("cluster_") and o["name"] != "cluster_legend"
    ]
    # Clusters come outermost first, so the innermost assignment wins.
    for c in clusters:
        for gvid in c.get("nodes", []):
            inside[objects[gvid]["name"]] = c["label"]
    return inside


def test_shop_clusters_match_the_model(shop_result: ScanResult) -> None:
    source = render("dot", shop_result).decode()
    doc = layout(source)
    view = build(shop_result.graph, shop_result.findings, "t", ReportOptions())
    names = {n.id: shop_result.graph.element(n.members[0]) for n in view.nodes}
    got = {names[node].resource: label.split("  ")[0] for node, label in membership(doc).items()}
    assert got == {
        "internet": "Internet",
        "aws_api_gateway_rest_api.catalog": "account: AWS account (.)",
        "aws_api_gateway_rest_api.orders": "account: AWS account (.)",
        "aws_apigatewayv2_api.webhooks": "account: AWS account (.)",
        "aws_s3_bucket.assets": "account: AWS account (.)",
        "aws_s3_bucket.exports": "account: AWS account (.)",
        "aws_s3_bucket.invoices": "account: AWS account (.)",
        "aws_s3_bucket.partner_feeds": "account: AWS account (.)",
        "aws_db_instance.orders": "subnet: aws_vpc.main private subnets",
        "aws_instance.app_a": "subnet: aws_vpc.main private subnets",
        "aws_instance.app_b": "subnet: aws_vpc.main private subnets",
        "aws_lambda_function.orders_handler": "subnet: aws_vpc.main private subnets",
        "aws_lb.internal": "subnet: aws_vpc.main private subnets",
        "aws_alb.admin": "subnet: aws_vpc.main public subnets",
        "aws_db_instance.reporting": "subnet: aws_vpc.main public subnets",
        "aws_instance.bastion": "subnet: aws_vpc.main public subnets",
        "aws_lb.web": "subnet: aws_vpc.main public subnets",
    }
    # Every flow is an edge, styled by its transport and basis.
    edges = {(e["tail"], e["head"]) for e in doc["edges"]}
    assert (
        len([e for e in doc["edges"] if e.get("label", "").startswith(("http", "tcp", "postgres"))])
        == 22
    )
    assert len(edges) >= 20
    assert " -> " in source and 'label="http/80\\nplaintext", color="#c62828"' in source
    assert (
        'label="postgres/5432\\nTLS unknown", color="#8a8a8a", fontcolor="#8a8a8a", style=dashed'
        in source
    )
    # The seeded weaknesses are marked on their nodes.
    assert 'label="shop-reporting\\naws_db_instance.reporting\\n⚠ TM-PUB-001 high"' in source


def test_k8s_zone_findings_mark_the_namespace_cluster(k8s_result: ScanResult) -> None:
    source = render("dot", k8s_result).decode()
    assert 'label="namespace: payments  ⚠ TM-MTLS-001 medium";' in source
    assert 'label="http/8080\\nmTLS", color="#2e7d32", fontcolor="#2e7d32", penwidth=2' in source
    layout(source)


def test_collapse_namespace_draws_one_node_per_namespace(k8s_result: ScanResult) -> None:
    source = render("dot", k8s_result, ReportOptions(collapse=frozenset({"namespace"}))).decode()
    doc = layout(source)
    nodes = {
        o["name"]: o["label"] for o in doc["objects"] if "nodes" not in o and o["name"] != "legend"
    }
    assert sorted(label.split("\\n")[0] for label in nodes.values()) == [
        "Internet",
        "api.easypost.com",
        "api.stripe.com",
        "namespace: payments",
        "namespace: shop",
    ]
    pairs = {
        (
            doc["objects"][e["tail"]]["label"].split("\\n")[0],
            doc["objects"][e["head"]]["label"].split("\\n")[0],
            e["label"].split("\\n")[0],
        )
        for e in doc["edges"]
        if e["tail"] < len(doc["objects"])
    }
    assert ("namespace: shop", "namespace: payments", "https/8443") in pairs
    assert ("Internet", "namespace: shop", "http/80") in pairs
    # No edge inside a collapsed zone survives.
    assert not any(t == h for t, h, _ in pairs)


def _replicas() -> DFDGraph:
    ev = (Evidence("terraform", "main.tf", 1),)
    zone = TrustBoundary("vpc", "vpc", "main", None, 2)
    elements = [
        Element(INTERNET_ID, "external", "internet", "Internet", "internet"),
        Element("lb", "process", "load-balancer", "web-lb", "aws_lb.web", "vpc", evidence=ev),
        Element("db", "datastore", "relational-db", "db", "aws_db_instance.db", "vpc", evidence=ev),
        *(
            Element(
                f"w{i}", "process", "vm", f"aws_instance.web[{i}]", f"aws_instance.web[{i}]", "vpc"
            )
            for i in range(3)
        ),
        # Look the same but are other resources: not replicas.
        Element("other", "process", "vm", "aws_instance.other", "aws_instance.other", "vpc"),
        Element("v1", "process", "vm", "payments-v1", "payments-v1", "vpc"),
        Element("v2", "process", "vm", "payments-v2", "payments-v2", "vpc"),
    ]
    flows = [Flow(INTERNET_ID, "lb", "https", 443, "called", "declared", tls=True)]
    for target in ("w0", "w1", "w2", "other", "v1", "v2"):
        flows.append(Flow("lb", target, "http", 8080, "called", "declared", tls=False))
        flows.append(Flow(target, "db", "postgres", 5432, "called", "declared"))
    return DFDGraph(
        elements, flows, [TrustBoundary("internet", "internet", "Internet", None, 0), zone]
    )


def test_replicas_are_grouped_and_other_resources_are_not() -> None:
    view = build(_replicas(), (), "t", ReportOptions())
    labels = sorted(n.label.split("\n")[0] for n in view.nodes)
    assert labels == [
        "Internet",
        "aws_instance.other",
        "aws_instance.web[0] (x3)",
        "db",
        "payments-v1",
        "payments-v2",
        "web-lb",
    ]
    assert sorted((e.label, e.flows) for e in view.edges if e.label == "http/8080") == [
        ("http/8080", ("lb->other:http/8080",)),
        ("http/8080", ("lb->v1:http/8080",)),
        ("http/8080", ("lb->v2:http/8080",)),
        ("http/8080", ("lb->w0:http/8080", "lb->w1:http/8080", "lb->w2:http/8080")),
    ]
    expanded = build(_replicas(), (), "t", ReportOptions(group_replicas=False))
    assert len(expanded.nodes) == 9 and len(expanded.edges) == 13


def test_replica_base() -> None:
    assert replica_base('aws_instance.web["a"]') == "aws_instance.web"
    assert replica_base("aws_instance.web[12]") == "aws_instance.web"
    assert replica_base("web-3") == "web-3"  # a numbered name is another resource
    assert replica_base('module.a[0].aws_instance.b["x"]') == "module.a.aws_instance.b"
    assert replica_base("api") == "api"


def test_quoting_survives_hostile_names() -> None:
    name = 'a "quoted" \\ name\nwith } and ]'
    g = DFDGraph([Element("x", "process", "vm", name, name)], [], [])
    source = to_dot(build(g, (), name, ReportOptions()))
    doc = layout(source)
    assert any(o.get("label", "").startswith('a "quoted"') for o in doc["objects"])
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'


def test_svg_and_png_come_from_dot_and_are_deterministic(shop_result: ScanResult) -> None:
    svg = render("svg", shop_result)
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"TM&#45;PUB&#45;001" in svg
    png = render("png", shop_result)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert render("png", shop_result) == png and render("svg", shop_result) == svg
    assert FORMATS["png"].filename == "dfd.png"


def test_missing_dot_is_a_clear_error(
    shop_result: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match=r"--format svg needs Graphviz's `dot` program"):
        render("svg", shop_result)
    assert render("dot", shop_result).startswith(b"digraph dfd {")


def test_the_readme_diagram_is_current() -> None:
    """docs/images/shop-dfd.dot is what `tmscan scan fixtures/shop --format dot` draws today
    (every rule; docs/outputs.md says how to regenerate it and the PNG beside it)."""
    full = scan(REPO_FIXTURES / "shop", options=ScanOptions(use_cache=False))
    images = Path(__file__).resolve().parents[3] / "docs" / "images"
    assert (images / "shop-dfd.dot").read_bytes() == render("dot", full)
    png = (images / "shop-dfd.png").read_bytes()
    fresh = render("png", full)
    # Same picture size as what Graphviz draws today (bytes may differ across versions).
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == fresh[16:24]
