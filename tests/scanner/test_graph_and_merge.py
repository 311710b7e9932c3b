"""Merging is order-independent; the graph answers typed and path queries exactly."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.terraform.collector import TerraformCollector
from scanner import passes
from scanner.graph import DFDGraph
from scanner.merge import merge
from scanner.model import Element, Evidence, Flow, Fragment, TrustBoundary, facts
from tests.conftest import SHOP


def shop_graph() -> DFDGraph:
    fragment = TerraformCollector(workers=1).collect(SHOP, sorted(SHOP.rglob("*.tf")))
    model = passes.boundaries(merge([fragment]))
    return DFDGraph(model.elements, model.flows, model.boundaries)


def short(element_id: str) -> str:
    return element_id.split("//", 1)[-1]


def test_shop_called_flows_are_exact() -> None:
    g = shop_graph()
    called = {
        (short(f.source), short(f.target), f.protocol, f.port)
        for f in g.flows
        if f.basis == "called"
    }
    assert called == {
        ("internet", "aws_lb.web", "http", 80),
        ("internet", "aws_lb.web", "https", 443),
        ("internet", "aws_alb.admin", "http", 80),
        ("internet", "aws_api_gateway_rest_api.orders", "https", 443),
        ("internet", "aws_api_gateway_rest_api.catalog", "https", 443),
        ("internet", "aws_apigatewayv2_api.webhooks", "https", 443),
        ("aws_api_gateway_rest_api.orders", "aws_lambda_function.orders_handler", "https", 443),
        ("aws_apigatewayv2_api.webhooks", "aws_lambda_function.orders_handler", "https", 443),
        ("aws_lb.web", "aws_instance.app_a", "http", 8080),
        ("aws_lb.web", "aws_instance.app_b", "http", 8080),
        ("aws_alb.admin", "aws_instance.app_a", "http", 8081),
        ("aws_lambda_function.orders_handler", "aws_db_instance.orders", "postgres", 5432),
        ("aws_lambda_function.orders_handler", "aws_s3_bucket.invoices", "https", 443),
        ("aws_instance.app_a", "aws_db_instance.orders", "postgres", 5432),
        ("aws_instance.app_a", "aws_s3_bucket.assets", "https", 443),
        ("aws_instance.app_b", "aws_db_instance.orders", "postgres", 5432),
        ("aws_instance.app_b", "aws_s3_bucket.assets", "https", 443),
    }
    reachable = {
        (short(f.source), short(f.target), f.protocol, f.port)
        for f in g.flows
        if f.basis == "reachable"
    }
    assert reachable == {
        ("internet", "aws_instance.bastion", "tcp", 22),
        ("internet", "aws_db_instance.reporting", "postgres", 5432),
        ("internet", "aws_s3_bucket.partner_feeds", "https", 443),
        # The internal ALB carries the app security group, which the orders DB admits.
        ("aws_lb.internal", "aws_db_instance.orders", "postgres", 5432),
        # app_b is not an admin target, but its security group admits the admin ALB.
        ("aws_alb.admin", "aws_instance.app_b", "tcp", 8081),
    }


def test_shop_boundaries_and_placement() -> None:
    g = shop_graph()
    assert {(b.id, b.type, b.parent, b.trust) for b in g.boundaries} == {
        ("internet", "internet", None, 0),
        ("tf:.//account", "account", "internet", 1),
        ("tf:.//aws_vpc.main", "vpc", "tf:.//account", 2),
        ("tf:.//aws_vpc.main/public", "subnet", "tf:.//aws_vpc.main", 2),
        ("tf:.//aws_vpc.main/private", "subnet", "tf:.//aws_vpc.main", 3),
    }
    public = g.boundary("tf:.//aws_vpc.main/public")
    assert public.members == ("aws_subnet.public_a", "aws_subnet.public_b")
    placed = {short(e.id): e.boundary for e in g.elements}
    assert placed["aws_db_instance.orders"] == "tf:.//aws_vpc.main/private"
    assert placed["aws_db_instance.reporting"] == "tf:.//aws_vpc.main/public"
    assert placed["aws_alb.admin"] == "tf:.//aws_vpc.main/public"
    assert placed["aws_s3_bucket.assets"] == "tf:.//account"
    assert placed["internet"] == "internet"


def test_graph_queries() -> None:
    g = shop_graph()
    assert {short(e.id) for e in g.by_type("relational-db")} == {
        "aws_db_instance.orders",
        "aws_db_instance.reporting",
    }
    assert {e.type for e in g.with_flag("serves_api")} == {"api-gateway"}
    api = "tf:.//aws_api_gateway_rest_api.orders"
    assert [short(n) for n in g.path(api, "tf:.//aws_db_instance.orders") or []] == [
        "aws_api_gateway_rest_api.orders",
        "aws_lambda_function.orders_handler",
        "aws_db_instance.orders",
    ]
    # Shortest of the equal-length paths, ties broken by element id: deterministic.
    assert [short(n) for n in g.path("internet", "tf:.//aws_db_instance.orders") or []] == [
        "internet",
        "aws_alb.admin",
        "aws_instance.app_a",
        "aws_db_instance.orders",
    ]
    # Only through elements that forward connections: the orders DB is not exposed.
    assert (
        g.internet_path(
            "tf:.//aws_db_instance.orders", through=lambda e: e.type == "network-load-balancer"
        )
        is None
    )
    crossing = {
        (short(f.source), short(f.target)) for f in g.flows_crossing("tf:.//aws_vpc.main/private")
    }
    assert ("aws_lb.web", "aws_instance.app_a") in crossing
    assert ("aws_instance.app_a", "aws_db_instance.orders") not in crossing
    assert ("aws_instance.app_a", "aws_s3_bucket.assets") in crossing
    assert "tf:.//aws_db_instance.reporting" in g.reachable_from_internet(basis="reachable")
    assert "tf:.//aws_db_instance.orders" not in g.reachable_from_internet(basis="reachable")


def _ev(line: int) -> Evidence:
    return Evidence("terraform", file="a.tf", line=line)


def _fragments(seed: int) -> list[Fragment]:
    rng = random.Random(seed)
    fragments = []
    for i in range(4):
        els = tuple(
            Element(
                f"e{j}",
                "process",
                "vm",
                f"e{j}",
                f"r{j}",
                props=facts(n=j, src=i % 2 == 0),
                evidence=(_ev(i * 10 + j),),
            )
            for j in rng.sample(range(6), 3)
        )
        fls = tuple(
            Flow(
                f"e{j}",
                f"e{(j + 1) % 6}",
                "tcp",
                j,
                "reachable",
                "inferred: test",
                tls=(i == j) or None,
                evidence=(_ev(j),),
            )
            for j in rng.sample(range(6), 2)
        )
        bds = (TrustBoundary(f"z{i % 2}", "vpc", f"z{i % 2}", None, 2, members=(f"s{i}",)),)
        fragments.append(Fragment(els, fls, bds))
    return fragments


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.permutations(range(4)))
def test_merge_is_independent_of_fragment_order(seed: int, order: list[int]) -> None:
    fragments = _fragments(seed)
    a = merge(fragments)
    b = merge([fragments[i] for i in order])
    assert a == b


def test_internet_paths_agree_with_single_target_queries() -> None:
    g = shop_graph()
    every = g.internet_paths()
    assert set(every) == g.reachable_from_internet()
    for target, path in every.items():
        assert len(path) == len(g.internet_path(target) or [])
        assert path[0] == "internet" and path[-1] == target
    direct = g.internet_paths(through=lambda e: False)
    assert {short(t) for t in direct} == {
        "aws_lb.web",
        "aws_alb.admin",
        "aws_instance.bastion",
        "aws_db_instance.reporting",
        "aws_s3_bucket.partner_feeds",
        "aws_api_gateway_rest_api.orders",
        "aws_api_gateway_rest_api.catalog",
        "aws_apigatewayv2_api.webhooks",
    }


def test_boundary_pass_repairs_and_reports_dangling_references() -> None:
    els = (Element("a", "process", "vm", "a", "a", boundary="zone-missing"),)
    fls = (Flow("a", "ghost", "tcp", 1, "reachable", "inferred: test"),)
    bds = (TrustBoundary("vpc", "vpc", "vpc", "account-missing", 2),)
    model = passes.boundaries(merge([Fragment(els, fls, bds)]))
    assert [(e.id, e.boundary) for e in model.elements] == [("a", None), ("internet", "internet")]
    assert model.flows == ()
    assert [(b.id, b.parent) for b in model.boundaries] == [
        ("internet", None),
        ("vpc", "internet"),
    ]
    assert sorted((d.source, d.message) for d in model.diagnostics) == [
        ("a", "boundary zone-missing is not in the model"),
        ("a->ghost:tcp/1", "flow to an element not in the model"),
        ("vpc", "parent boundary account-missing is not in the model"),
    ]
