"""The live Kubernetes collector against a local API server (tests/collectors/kubernetes/
fake_apiserver.py) holding the objects of fixtures/k8s-shop: same findings as the
manifests, read-only, paginated, partial views and forbidden kinds said out loud."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from kubernetes import client

from collectors.kubernetes.live import LiveOptions, ReadOnlyViolation, connect
from scanner.cli import main
from scanner.pipeline import ScanOptions, ScanResult, scan
from scanner.reporters import json_report
from tests.conftest import REPO

from .fake_apiserver import FakeApiServer

K8S_SHOP = REPO / "fixtures" / "k8s-shop"
ISTIO = ("networking.istio.io", "security.istio.io")


def shop_objects() -> list[dict[str, Any]]:
    """Every object of the k8s-shop manifests, as the API server would hold them."""
    out: list[dict[str, Any]] = []
    for path in sorted(K8S_SHOP.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List"):
                out += doc.get("items") or []
            elif isinstance(doc, dict) and "kind" in doc:
                out.append(doc)
    return out


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[FakeApiServer, Path]]:
    with FakeApiServer(shop_objects(), page_size=2) as server:
        yield server, server.kubeconfig(tmp_path)


def live(kubeconfig: Path, *namespaces: str) -> ScanResult:
    options = LiveOptions(kubeconfig, "kind-shop", namespaces)
    return scan(None, options=ScanOptions(use_cache=False, kubernetes=options))


def summary(result: ScanResult) -> set[tuple[str, str, str, str]]:
    return {(f.rule, f.resource, f.severity.label, f.confidence.label) for f in result.findings}


def test_a_cluster_gives_the_findings_of_its_manifests(cluster: tuple[FakeApiServer, Path]) -> None:
    server, kubeconfig = cluster
    from_cluster = live(kubeconfig)
    from_files = scan(K8S_SHOP, options=ScanOptions(use_cache=False))
    assert summary(from_cluster) == summary(from_files)
    assert {e.id for e in from_cluster.graph.elements} == {e.id for e in from_files.graph.elements}
    assert {f.id for f in from_cluster.graph.flows} == {f.id for f in from_files.graph.flows}
    # Live locations: the API path and the cluster, not a file and line.
    shipping = next(f for f in from_cluster.findings if f.rule == "TM-RES-001")
    assert shipping.location == {
        "uri": "/apis/apps/v1/namespaces/shop/deployments/shipping",
        "cluster": "kind-shop",
    }
    assert shipping.resource == "Deployment/shop/shipping"
    # Every LIST was paginated (page_size 2) and only GETs were sent.
    assert {m for m, _, _ in server.requests} == {"GET"}
    continued = [
        q for m, p, q in server.requests if p == "/apis/apps/v1/deployments" and "continue" in q
    ]
    assert len(continued) == 4  # 9 deployments in pages of 2: 5 requests, 4 continued
    assert any(d.message.endswith("API call(s)") for d in from_cluster.diagnostics)
    schema = json.loads(resources.files("scanner").joinpath("data/report.schema.json").read_text())
    report = json.loads(json_report.render(from_cluster))
    jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)
    assert not [d for d in from_cluster.diagnostics if d.level == "error"]


def test_nothing_the_cluster_adds_reaches_the_report(tmp_path: Path) -> None:
    value = "S3cr3t-Value-9f2c"
    encoded = base64.b64encode(value.encode()).decode()
    applied = json.dumps({"kind": "Secret", "stringData": {"password": value}})
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "payments-api-key",
            "namespace": "payments",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied},
        },
        "type": "Opaque",
        "data": {"password": encoded},
    }
    with FakeApiServer([*shop_objects(), secret]) as server:
        text = json_report.render(live(server.kubeconfig(tmp_path)))
    assert value not in text and encoded not in text
    assert "last-applied-configuration" not in text
    assert "managedFields" not in text and "observedGeneration" not in text


def test_writes_are_refused_before_they_leave(cluster: tuple[FakeApiServer, Path]) -> None:
    server, kubeconfig = cluster
    api, name = connect(LiveOptions(kubeconfig, "kind-shop"))
    assert name == "kind-shop"
    with pytest.raises(ReadOnlyViolation, match=r"POST .*/api/v1/namespaces: refused"):
        client.CoreV1Api(api).create_namespace({"metadata": {"name": "evil"}})
    with pytest.raises(ReadOnlyViolation):
        client.AppsV1Api(api).delete_namespaced_deployment("cart", "shop")
    assert [m for m, _, _ in server.requests if m != "GET"] == []


def test_a_forbidden_kind_is_named_and_the_rest_is_scanned(tmp_path: Path) -> None:
    with FakeApiServer(shop_objects(), forbidden=["networkpolicies"]) as server:
        result = live(server.kubeconfig(tmp_path))
    warnings = [(d.source, d.message) for d in result.diagnostics if d.level == "warning"]
    assert warnings == [
        (
            "LIST /apis/networking.k8s.io/v1/networkpolicies",
            "not read (403 Forbidden); the scan goes on",
        )
    ]
    assert "k8s:Deployment/shop/cart" in {e.id for e in result.graph.elements}


def test_a_cluster_without_a_mesh_does_not_enforce_mtls(tmp_path: Path) -> None:
    objects = []
    for original in shop_objects():
        if str(original["apiVersion"]).split("/")[0] in ISTIO:
            continue  # no Istio CRDs installed at all
        o = copy.deepcopy(original)
        (o.get("metadata") or {}).get("labels", {}).pop("istio-injection", None)
        objects.append(o)
    with FakeApiServer(objects) as server:
        result = live(server.kubeconfig(tmp_path))
        assert not any(p.startswith("/apis/networking.istio.io") for _, p, _ in server.requests)
    assert not [d for d in result.diagnostics if d.level in ("error", "warning")]
    mtls = {(f.resource, f.confidence.label) for f in result.findings if f.rule == "TM-MTLS-001"}
    assert mtls == {("Namespace/shop", "high"), ("Namespace/payments", "high")}


def test_a_partial_view_says_what_it_did_not_see(tmp_path: Path) -> None:
    objects = [o for o in shop_objects() if o["kind"] != "PeerAuthentication"]
    objects.append(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"},
            "spec": {"mtls": {"mode": "STRICT"}},
        }
    )
    fraud = "k8s:Deployment/payments/payments->k8s:Deployment/payments/fraud:http/8080"
    with FakeApiServer(objects) as server:
        whole = live(server.kubeconfig(tmp_path))
        part = live(server.kubeconfig(tmp_path), "payments")
    assert {f.id: f.mtls for f in whole.graph.flows}[fraud] is True  # mesh-wide STRICT
    assert {f.id: f.mtls for f in part.graph.flows}[fraud] is None  # istio-system unseen
    (note,) = [d for d in part.diagnostics if d.message.startswith("partial view")]
    assert note.message == (
        "partial view: only namespace(s) payments were read; other namespaces and "
        "cluster-wide mesh policy were not seen"
    )
    assert {e.id for e in part.graph.elements if e.id.startswith("k8s:Deployment")} == {
        "k8s:Deployment/payments/fraud",
        "k8s:Deployment/payments/payments",
    }


def test_the_cli_scans_a_cluster_and_sarif_locates_findings_logically(
    cluster: tuple[FakeApiServer, Path],
) -> None:
    _, kubeconfig = cluster
    result = CliRunner().invoke(
        main, ["scan", "--k8s", "--kubeconfig", str(kubeconfig), "--format", "sarif"]
    )
    assert result.exit_code == 1, result.stderr
    log = json.loads(result.stdout)
    res = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "TM-RES-001")
    assert "physicalLocation" not in res["locations"][0]
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "/apis/apps/v1/namespaces/shop/deployments/shipping"
    )


def test_unusable_connection_settings(tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    result = CliRunner().invoke(main, ["scan", "--k8s", "--kubeconfig", str(bad)])
    assert result.exit_code == 2
    assert "cannot connect" in result.stdout + result.stderr
    result = CliRunner().invoke(main, ["scan"])
    assert result.exit_code == 2 and "nothing to scan" in result.stderr


def test_manifests_and_their_cluster_make_one_model(cluster: tuple[FakeApiServer, Path]) -> None:
    _, kubeconfig = cluster
    options = ScanOptions(use_cache=False, kubernetes=LiveOptions(kubeconfig, "kind-shop"))
    both = scan(K8S_SHOP, options=options)
    files = scan(K8S_SHOP, options=ScanOptions(use_cache=False))
    assert {e.id for e in both.graph.elements} == {e.id for e in files.graph.elements}
    assert summary(both) == summary(files)
    assert not [d for d in both.diagnostics if "disagree" in d.message]
    cart = both.graph.element("k8s:Deployment/shop/cart")
    assert {ev.source for ev in cart.evidence} == {"kubernetes", "k8s-live"}  # both trails
    assert both.root == "k8s-shop + cluster kind-shop"


def test_in_a_pod_without_a_kubeconfig_the_service_account_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.cli import _live_options

    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    assert _live_options(None, None, ("shop", "shop")) == LiveOptions(None, None, ("shop",), True)
    given = tmp_path / "kubeconfig"
    given.write_text("")
    assert _live_options(given, "prod", ()).in_cluster is False
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert _live_options(None, None, ()).in_cluster is False


def test_a_forbidden_mesh_policy_makes_mtls_unknown_not_absent(tmp_path: Path) -> None:
    objects = [o for o in shop_objects() if o["kind"] != "PeerAuthentication"]
    objects.append(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"},
            "spec": {"mtls": {"mode": "STRICT"}},
        }
    )
    fraud = "k8s:Deployment/payments/payments->k8s:Deployment/payments/fraud:http/8080"
    with FakeApiServer(objects, forbidden=["peerauthentications"]) as server:
        result = live(server.kubeconfig(tmp_path))
    assert {f.id: f.mtls for f in result.graph.flows}[fraud] is None
    assert [d.source for d in result.diagnostics if d.level == "warning"] == [
        "LIST /apis/security.istio.io/v1/peerauthentications"
    ]
    mtls = {(f.resource, f.confidence.label) for f in result.findings if f.rule == "TM-MTLS-001"}
    assert ("Namespace/payments", "high") not in mtls


def test_an_unreachable_cluster_is_a_diagnostic_and_the_files_are_still_scanned(
    tmp_path: Path,
) -> None:
    with FakeApiServer(shop_objects()) as server:
        kubeconfig = server.kubeconfig(tmp_path)
    # The server is gone: its port refuses connections.
    options = ScanOptions(use_cache=False, kubernetes=LiveOptions(kubeconfig, "kind-shop"))
    result = scan(K8S_SHOP, options=options)
    errors = [(d.source, d.message) for d in result.diagnostics if d.level == "error"]
    assert len(errors) == 1 and errors[0][0] == "cluster kind-shop"
    assert errors[0][1].startswith("API discovery failed (")
    assert summary(result) == summary(scan(K8S_SHOP, options=ScanOptions(use_cache=False)))
