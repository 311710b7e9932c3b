"""One system out of several sources: fixtures/platform (Terraform: VPC, EKS, RDS, a
bucket and an IRSA role; Kubernetes: an ALB Ingress, an internal NLB, a workload using
the role and the database; OpenAPI: the Ingress host's API)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.pipeline import ScanOptions, ScanResult, scan

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "fixtures" / "platform"
TF = "tf:terraform//"
DB = f"{TF}aws_db_instance.orders"
BUCKET = f"{TF}aws_s3_bucket.invoices"
ORDERS = "k8s:Deployment/shop/orders"
WEB = "k8s:Ingress/shop/web"
REPORTS = "k8s:Service/shop/reports"
HOST = "orders-db.c7xq2mzk9ab1.eu-west-1.rds.amazonaws.com"


@pytest.fixture(scope="module")
def platform() -> ScanResult:
    return scan(PLATFORM, options=ScanOptions(use_cache=False))


def where(evidence: tuple[object, ...]) -> list[str]:
    return [f"{e.file}:{e.line}" for e in evidence]  # type: ignore[attr-defined]


def test_the_internet_reaches_the_database_through_one_connected_path(
    platform: ScanResult,
) -> None:
    g = platform.graph
    path = g.path("internet", DB)
    assert path == ["internet", WEB, ORDERS, DB]
    hops = [(f.id, f.basis, where(f.evidence)) for f in g.flows_between(path)]
    assert hops == [
        (f"internet->{WEB}:https/443", "called", ["k8s/orders.yaml:51"]),
        (f"{WEB}->{ORDERS}:http/8080", "called", ["k8s/orders.yaml:68"]),
        (f"{ORDERS}->{DB}:tcp/5432", "called", ["k8s/orders.yaml:29"]),
    ]
    # The ALB sits in the cluster's VPC; the cluster in its nodes' private subnets.
    assert g.element(WEB).boundary == f"{TF}aws_vpc.main"
    assert [b for b in g.ancestors(g.element(ORDERS).boundary)] == [
        "k8s:ns/shop",
        "k8s:cluster",
        f"{TF}aws_vpc.main/private",
        f"{TF}aws_vpc.main",
        f"{TF}account",
        "internet",
    ]


def test_the_cross_source_flows_and_their_evidence(platform: ScanResult) -> None:
    crossing = {
        (f.source, f.target, f.protocol, f.port, f.basis, tuple(where(f.evidence)))
        for f in platform.graph.flows
        if f.source.startswith("k8s:") != f.target.startswith("k8s:")
        and f.source != "internet"
        and "ext:" not in f.target
    }
    assert crossing == {
        (ORDERS, DB, "tcp", 5432, "called", ("k8s/orders.yaml:29",)),
        # Named by env INVOICE_BUCKET; IRSA (the ServiceAccount's role annotation, then
        # the role's inline policy) lets it read and write there.
        (
            ORDERS,
            BUCKET,
            "https",
            443,
            "called",
            ("k8s/orders.yaml:31", "k8s/orders.yaml:1", "terraform/eks.tf:83"),
        ),
    }
    # The AWS endpoint is joined; the finance team's alias for it is not (see the
    # declared link below).
    assert [e.id for e in platform.graph.elements if e.id.startswith("ext:")] == [
        "ext:ledger-db.corp.example.com"
    ]


def test_every_join_is_listed_with_its_evidence(platform: ScanResult) -> None:
    got = [
        (j.kind, j.subject, j.target, j.declared, tuple(where(j.evidence))) for j in platform.joins
    ]
    assert got == [
        ("api", "api/orders.yaml", WEB, False, ("api/orders.yaml:1", "k8s/orders.yaml:51")),
        (
            "cluster",
            "k8s:cluster",
            f"{TF}aws_eks_cluster.main",
            False,
            ("terraform/eks.tf:13", "terraform/eks.tf:46"),
        ),
        (
            "load-balancer",
            WEB,
            f"{TF}aws_vpc.main",
            False,
            ("k8s/orders.yaml:51", "terraform/network.tf:1"),
        ),
        ("load-balancer", REPORTS, f"{TF}aws_eks_cluster.main", False, ("k8s/reports.yaml:30",)),
        ("endpoint", f"ext:{HOST}", DB, False, ("k8s/orders.yaml:29", "terraform/data.tf:19")),
        ("endpoint", ORDERS, BUCKET, False, ("k8s/orders.yaml:31", "terraform/data.tf:34")),
        (
            "workload-identity",
            ORDERS,
            "arn:aws:iam::111122223333:role/shop-orders",
            False,
            ("k8s/orders.yaml:1", "terraform/eks.tf:83"),
        ),
    ]


def test_the_internal_nlb_is_internal_on_eks_and_unknown_alone(platform: ScanResult) -> None:
    joined = platform.graph.element(REPORTS)
    assert joined.fact("internal") is True
    assert not [f for f in platform.graph.flows if f.target == REPORTS and f.source == "internet"]
    alone = scan(PLATFORM / "k8s", options=ScanOptions(use_cache=False))
    nlb = alone.graph.element(REPORTS)
    # Its annotations are the AWS Load Balancer Controller's: elsewhere they mean nothing.
    assert (nlb.fact("internal"), nlb.fact("lb_cloud"), nlb.fact("lb_scheme")) == (
        None,
        "aws",
        "internal",
    )
    assert not [f for f in alone.graph.flows if f.target == REPORTS and f.source == "internet"]
    assert not [f for f in alone.findings if f.element == REPORTS]
    # Alone, nothing is joined: the database host stays an external host.
    assert alone.joins == ()
    assert f"ext:{HOST}" in {e.id for e in alone.graph.elements}


def test_a_declared_same_as_link_joins_what_nothing_else_could(tmp_path: Path) -> None:
    root = tmp_path / "platform"
    shutil.copytree(PLATFORM, root)
    (root / ".tmscan.yaml").write_text(
        "links:\n  - element: ledger-db.corp.example.com\n    same_as: aws_db_instance.orders\n",
        encoding="utf-8",
    )
    result = scan(root, options=ScanOptions(use_cache=False))
    (same,) = [j for j in result.joins if j.kind == "same"]
    assert (same.subject, same.target, same.declared) == (
        "ext:ledger-db.corp.example.com",
        DB,
        True,
    )
    assert [(e.source, e.file, e.line) for e in same.evidence][:1] == [
        ("config", ".tmscan.yaml", 2)
    ]
    reports = "k8s:Deployment/shop/reports"
    assert [(f.id, where(f.evidence)) for f in result.graph.flows if f.source == reports] == [
        (f"{reports}->{DB}:tcp/*", ["k8s/reports.yaml:22"])
    ]
    # Without the link the host stays an unknown external one.
    plain = scan(PLATFORM, options=ScanOptions(use_cache=False))
    assert "ext:ledger-db.corp.example.com" in {e.id for e in plain.graph.elements}


def test_a_declared_cluster_link_is_honoured_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "platform"
    shutil.copytree(PLATFORM, root)
    (root / ".tmscan.yaml").write_text(
        "links:\n"
        "  - cluster: Kubernetes cluster (manifests)\n"
        "    runs_on: shop-eks\n"
        "  - cluster: staging\n"
        "    runs_on: shop-eks\n"
        "  - element: Service/shop/ledger\n"
        "    same_as: aws_db_instance.orders\n",
        encoding="utf-8",
    )
    result = scan(root, options=ScanOptions(use_cache=False))
    (cluster,) = [j for j in result.joins if j.kind == "cluster"]
    assert (cluster.subject, cluster.declared) == ("k8s:cluster", True)
    assert cluster.detail.endswith("(declared in the configuration)")
    problems = [
        (d.level, d.source, d.line, d.message)
        for d in result.diagnostics
        if d.source in ("links", ".tmscan.yaml")
    ]
    assert problems == [
        (
            "warning",
            ".tmscan.yaml",
            4,
            "links: no Kubernetes cluster named staging was scanned; not joined",
        ),
        (
            "warning",
            ".tmscan.yaml",
            6,
            "links: nothing scanned is named Service/shop/ledger (or several things are)",
        ),
    ]


ROUTE53 = """
resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.40.0.0/24"
}

resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "application"
  internal           = false
  subnets            = [aws_subnet.public.id]
}

resource "aws_route53_record" "api" {
  zone_id = "Z0123456789ABCDEFGHIJ"
  name    = "api.example.com"
  type    = "A"

  alias {
    name                   = aws_lb.web.dns_name
    zone_id                = aws_lb.web.zone_id
    evaluate_target_health = true
  }
}
"""

SPEC = """openapi: 3.0.3
info: {title: Web, version: "1"}
servers:
  - url: https://api.example.com
paths:
  /health:
    get:
      security: []
      responses: {"200": {description: ok}}
"""


def test_a_route53_name_puts_an_api_description_on_its_load_balancer(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROUTE53, encoding="utf-8")
    (tmp_path / "web.yaml").write_text(SPEC, encoding="utf-8")
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    lb = result.graph.element("tf:.//aws_lb.web")
    assert lb.fact("hosts") == "api.example.com"
    assert [(p.kind, p.name, p.resource) for p in lb.parts if p.kind == "dns-name"] == [
        ("dns-name", "api.example.com", "aws_route53_record.api")
    ]
    assert [(j.kind, j.subject, j.target) for j in result.joins] == [
        ("api", "web.yaml", "tf:.//aws_lb.web")
    ]


def test_an_eks_cluster_outside_any_vpc_the_scan_shows_moves_nothing(tmp_path: Path) -> None:
    (tmp_path / "eks.tf").write_text(
        'variable "subnets" { type = list(string) }\n'
        'resource "aws_eks_cluster" "main" {\n'
        '  name     = "shop"\n'
        '  role_arn = "arn:aws:iam::111122223333:role/eks"\n'
        "  vpc_config { subnet_ids = var.subnets }\n"
        "}\n",
        encoding="utf-8",
    )
    shutil.copy(PLATFORM / "k8s" / "orders.yaml", tmp_path / "orders.yaml")
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    assert result.graph.boundary("k8s:cluster").parent == "internet"
    assert [(d.source, d.message) for d in result.diagnostics if d.source == "joins"] == [
        (
            "joins",
            "Kubernetes cluster (manifests) runs on EKS cluster shop, whose nodes the scan does "
            "not place in a VPC: the cluster is not moved",
        )
    ]


@pytest.mark.parametrize(
    ("annotations", "spec", "expected"),
    [
        ({}, {}, (False, None, None)),
        (
            {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
            {},
            (None, "aws", "internal"),
        ),
        # The in-tree controller ignores the AWS Load Balancer Controller's scheme.
        (
            {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
            {},
            (False, None, None),
        ),
        (
            {"service.beta.kubernetes.io/aws-load-balancer-type": "external"},
            {},
            (None, "aws", "internal"),
        ),
        (
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
            },
            {},
            (False, "aws", "internet-facing"),
        ),
        ({}, {"loadBalancerClass": "service.k8s.aws/nlb"}, (None, "aws", "internal")),
        (
            {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
            {},
            (None, "azure", "internal"),
        ),
        (
            {
                "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:x",
            },
            {},
            (None, "azure", "internal"),
        ),
    ],
)
def test_load_balancer_scheme(
    annotations: dict[str, str], spec: dict[str, str], expected: tuple[object, ...]
) -> None:
    from collectors.kubernetes.mapping import _service_scheme

    assert _service_scheme(annotations, spec) == expected
