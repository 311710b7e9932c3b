"""The joins and discovery on the inputs that break naive tools: two descriptions on one
element, one domain with several APIs, sorted JSON, BOMs, secrets in server URLs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scanner.discovery import classify
from scanner.pipeline import ScanOptions, ScanResult, scan
from tests.conftest import REPO

K8S_SHOP = REPO / "fixtures" / "k8s-shop"


def spec(server: str, *, security: bool, ops: str = "post") -> str:
    secured = "security:\n  - bearer: []\n" if security else ""
    schemes = (
        "components:\n  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n"
        if security
        else ""
    )
    return (
        f"openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nservers:\n  - url: {server}\n"
        f"{secured}paths:\n  /orders:\n    {ops}:\n      responses: {{'200': {{description: ok}}}}\n"
        f"{schemes}"
    )


def findings(result: ScanResult) -> set[tuple[str, str, str]]:
    return {(f.rule, f.resource, str(f.location.get("file"))) for f in result.findings}


def run(path: Path) -> ScanResult:
    return scan(path, options=ScanOptions(use_cache=False))


def _ingress_shop(tmp_path: Path) -> Path:
    repo = tmp_path / "k8s"
    shutil.copytree(K8S_SHOP, repo)
    return repo


def test_two_descriptions_on_one_element_keep_their_own_facts(tmp_path: Path) -> None:
    repo = _ingress_shop(tmp_path)
    (repo / "a.yaml").write_text(spec("https://shop.example.com/api/a", security=False))
    (repo / "b.yaml").write_text(spec("https://shop.example.com/api/b", security=True))
    result = run(repo)
    ingress = result.graph.element("k8s:Ingress/shop/shop")
    assert [p.name for p in ingress.parts if p.kind == "api"] == ["a.yaml", "b.yaml"]
    api = {f for f in findings(result) if f[0] == "TM-API-001"}
    # Only a.yaml lacks security; b.yaml's POST /orders is not dragged into it.
    assert api == {("TM-API-001", "a.yaml", "a.yaml")}
    (a,) = [f for f in result.findings if f.rule == "TM-API-001"]
    assert a.message.endswith("take no credentials: POST /orders.")


def test_the_same_anonymous_operation_in_two_descriptions_is_two_findings(tmp_path: Path) -> None:
    repo = _ingress_shop(tmp_path)
    for name in ("a", "b"):
        text = spec(f"https://shop.example.com/api/{name}", security=True)
        (repo / f"{name}.yaml").write_text(
            text.replace("    post:\n", "    post:\n      security: []\n")
        )
    result = run(repo)
    anonymous = [f for f in result.findings if f.rule == "TM-API-001"]
    assert sorted(str(f.location["file"]) for f in anonymous) == ["a.yaml", "b.yaml"]
    assert len({f.fingerprint for f in anonymous}) == 2


def test_one_domain_several_apis_by_base_path(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures" / "shop", tmp_path / "shop")
    repo = tmp_path / "shop"
    with (repo / "api.tf").open("a") as fh:
        fh.write(
            '\nresource "aws_api_gateway_base_path_mapping" "catalog" {\n'
            "  api_id      = aws_api_gateway_rest_api.catalog.id\n"
            "  domain_name = aws_api_gateway_domain_name.api.domain_name\n"
            '  base_path   = "catalog"\n}\n'
        )
    (repo / "specs" / "catalog-api.yaml").write_text(
        (repo / "specs" / "catalog-api.yaml")
        .read_text()
        .replace("https://catalog.shop.example.com", "https://api.shop.example.com/catalog")
    )
    shutil.move(repo / "specs" / "catalog-api.yaml", repo / "catalog-api.yaml")  # no body link
    notes = {d.source: d.message for d in run(repo).diagnostics if d.message.startswith("served")}
    assert notes == {
        "catalog-api.yaml": "served by aws_api_gateway_rest_api.catalog: it serves "
        "api.shop.example.com/catalog",
        "specs/orders-api.yaml": "served by aws_api_gateway_rest_api.orders: it serves "
        "api.shop.example.com/v1",
    }


def test_a_linked_description_does_not_hide_a_plaintext_listener(tmp_path: Path) -> None:
    repo = _ingress_shop(tmp_path)
    (repo / "frontend-api.yaml").write_text(spec("https://frontend.internal", security=True))
    (repo / ".tmscan.yaml").write_text(
        "links:\n  - openapi: frontend-api.yaml\n    served_by: Service/shop/frontend\n"
    )
    rules = findings(run(repo))
    assert ("TM-TLS-001", "Service/shop/frontend", "shop/frontend.yaml") in rules


def test_discovery_reads_sorted_json_boms_and_keeps_kubernetes_json(tmp_path: Path) -> None:
    big = {"components": {"schemas": {f"S{i}": {"type": "string"} for i in range(400)}}}
    doc = {**big, "info": {"title": "t", "version": "1"}, "openapi": "3.0.3", "paths": {}}
    (tmp_path / "sorted.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
    (tmp_path / "bom.yaml").write_bytes(
        b"\xef\xbb\xbfopenapi: 3.0.3\ninfo: {title: t}\npaths: {}\n"
    )
    (tmp_path / "late.yaml").write_text("# comment\n" * 500 + "openapi: 3.1.0\npaths: {}\n")
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "docs", "labels": {"app": "swagger"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }
    (tmp_path / "svc.json").write_text(json.dumps(service))
    assert [
        classify(tmp_path / n) for n in ("sorted.json", "bom.yaml", "late.yaml", "svc.json")
    ] == [
        "openapi",
        "openapi",
        "openapi",
        "kubernetes",
    ]


def test_relative_servers_are_not_hosts_and_secrets_in_urls_are_not_repeated(
    tmp_path: Path,
) -> None:
    (tmp_path / "rel.yaml").write_text(spec("./api/v1", security=True))
    result = run(tmp_path)
    assert [f.id for f in result.graph.flows] == []  # no public host: no internet flow
    (tmp_path / "rel.yaml").unlink()
    (tmp_path / "leak.yaml").write_text(
        spec("https://admin:Hunter2Secret@api.example.org/v1?api_key=sk_live_123", security=True)
    )
    result = run(tmp_path)
    report = json.dumps(
        [f.message for f in result.findings] + [d.message for d in result.diagnostics]
    )
    report += json.dumps([p.name for e in result.graph.elements for p in e.parts])
    assert "Hunter2Secret" not in report and "sk_live_123" not in report
    assert ("TM-API-003", "https://***@api.example.org/v1?***", "leak.yaml") in findings(result)


def test_an_authenticating_entry_point_silences_the_missing_authentication(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures" / "shop", tmp_path / "shop")
    repo = tmp_path / "shop"
    api = repo / "api.tf"
    api.write_text(
        api.read_text().replace(
            '  authorization    = "NONE"\n  api_key_required = false\n',
            '  authorization    = "COGNITO_USER_POOLS"\n  api_key_required = false\n',
            1,
        )
    )
    result = run(repo)
    orders = result.graph.flows_into("tf:.//aws_api_gateway_rest_api.orders")
    assert [f.authn for f in orders if f.source == "internet"] == ["cognito_user_pools"]
    assert "TM-API-001" not in {f.rule for f in result.findings}

    k8s = _ingress_shop(tmp_path)
    (k8s / "orders.yaml").write_text(spec("https://shop.example.com/api/orders", security=False))
    assert "TM-API-001" in {f.rule for f in run(k8s).findings}
    ingress = k8s / "shop" / "ingress.yaml"
    ingress.write_text(
        ingress.read_text().replace(
            '    nginx.ingress.kubernetes.io/ssl-redirect: "true"\n',
            '    nginx.ingress.kubernetes.io/ssl-redirect: "true"\n'
            "    nginx.ingress.kubernetes.io/auth-url: https://auth.example.com/oauth2/auth\n",
            1,
        )
    )
    assert "TM-API-001" not in {f.rule for f in run(k8s).findings}
