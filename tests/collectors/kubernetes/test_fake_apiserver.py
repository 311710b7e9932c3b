"""The fake Kubernetes API server, checked with the real clients: kubernetes-client and kubectl."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from tests.collectors.kubernetes.fake_apiserver import FakeApiServer, plural

USER = "system:serviceaccount:tmscan:tmscan"
PARTIAL = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on PATH")


def deployment(namespace: str | None, name: str) -> dict[str, Any]:
    meta = {"name": name, "labels": {"app": name}} | ({"namespace": namespace} if namespace else {})
    pod = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name}]}}
    spec = {"selector": {"matchLabels": {"app": name}}, "template": pod}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def service(namespace: str, name: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    spec = {"selector": {"app": name}, "ports": [{"port": 80}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


SHOP: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}},
    deployment("shop", "frontend"),
    deployment("shop", "cart"),
    deployment("payments", "payments"),
    deployment("shop", "orders"),
    deployment(None, "legacy"),  # no namespace: lands in "default"
    service("shop", "frontend"),
    service("shop", "cart"),
    service("payments", "payments"),
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "shop"},
        "spec": {"containers": [{"name": "sh", "image": "busybox"}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
]
VIRTUAL_SERVICE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "shop", "namespace": "shop"},
    "spec": {"hosts": ["shop.example.com"], "http": [{"route": [{"destination": {"host": "x"}}]}]},
}

Start = Callable[..., FakeApiServer]


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """Start fake API servers that stop when the test ends."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    with ExitStack() as stack:
        yield lambda objects=SHOP, **kw: stack.enter_context(FakeApiServer(objects, **kw))


def api_client(server: FakeApiServer, tmp_path: Path) -> client.ApiClient:
    return config.new_client_from_config(
        config_file=str(server.kubeconfig(tmp_path)), context="kind-shop"
    )


def raw(
    server: FakeApiServer,
    path: str,
    *,
    method: str = "GET",
    token: str | None = "test-token",
    accept: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request without a Kubernetes client: (status, JSON body)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers |= {"Accept": accept} if accept else {}
    body = b"{}" if method != "GET" else None
    request = urllib.request.Request(server.url + path, body, headers, method=method)
    tls = ssl.create_default_context(cafile=str(server.ca_file))
    try:
        with urllib.request.urlopen(request, context=tls, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def kubectl(server: FakeApiServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and "proxy" not in k.lower()}
    cmd = ["kubectl", "--kubeconfig", str(server.kubeconfig(tmp_path))]
    cmd += ["--cache-dir", str(tmp_path / "kube-cache"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_plural_names() -> None:
    assert {k: plural(k) for k in ("NetworkPolicy", "Ingress", "Gateway", "EndpointSlice")} == {
        "NetworkPolicy": "networkpolicies",
        "Ingress": "ingresses",
        "Gateway": "gateways",
        "EndpointSlice": "endpointslices",
    }
    assert [plural(k) for k in ("Endpoints", "ServiceEntry", "Prometheus", "Pod")] == [
        "endpoints",
        "serviceentries",
        "prometheuses",
        "pods",
    ]


def test_python_client_lists(start: Start, tmp_path: Path) -> None:
    server = start()
    with api_client(server, tmp_path) as api:
        core = client.CoreV1Api(api)
        services = core.list_namespaced_service("shop")
        pods = core.list_pod_for_all_namespaces()
        legacy = client.AppsV1Api(api).read_namespaced_deployment("legacy", "default")
    assert services.kind == "ServiceList"
    assert [(s.metadata.namespace, s.metadata.name) for s in services.items] == [
        ("shop", "cart"),
        ("shop", "frontend"),
    ]
    assert [s.spec.ports[0].port for s in services.items] == [80, 80]
    assert [(p.metadata.name, p.status.phase) for p in pods.items] == [("debug", "Running")]
    assert (legacy.kind, legacy.metadata.namespace, legacy.status.observed_generation) == (
        "Deployment",
        "default",
        1,
    )
    assert {m for m, _, _ in server.requests} == {"GET"}


def test_python_client_pages_with_limit_and_continue(start: Start, tmp_path: Path) -> None:
    server = start()
    names: list[str] = []
    pages: list[tuple[int, int | None]] = []
    token: str | None = None
    with api_client(server, tmp_path) as api:
        apps = client.AppsV1Api(api)
        while True:
            kwargs = {"_continue": token} if token else {}
            page = apps.list_deployment_for_all_namespaces(limit=2, **kwargs)
            names += [f"{d.metadata.namespace}/{d.metadata.name}" for d in page.items]
            pages.append((len(page.items), page.metadata.remaining_item_count))
            token = page.metadata._continue
            if not token:
                break
    assert names == [
        "default/legacy",
        "payments/payments",
        "shop/cart",
        "shop/frontend",
        "shop/orders",
    ]
    assert pages == [(2, 3), (2, 1), (1, None)]
    queries = [q for _, p, q in server.requests if p == "/apis/apps/v1/deployments"]
    assert [sorted(q) for q in queries] == [["limit"], ["continue", "limit"], ["continue", "limit"]]


def test_limit_is_capped_at_page_size_and_no_limit_lists_everything(start: Start) -> None:
    server = start(page_size=3)
    status, everything = raw(server, "/apis/apps/v1/deployments")
    assert status == 200
    assert len(everything["items"]) == 5
    assert "continue" not in everything["metadata"]
    _, first = raw(server, "/apis/apps/v1/deployments?limit=500")
    assert [d["metadata"]["name"] for d in first["items"]] == ["legacy", "payments", "cart"]
    assert first["metadata"]["remainingItemCount"] == 2
    status, bad = raw(server, "/apis/apps/v1/deployments?limit=2&continue=bm9wZQ")
    assert (status, bad["reason"]) == (400, "BadRequest")


def test_list_items_look_like_a_real_servers(start: Start) -> None:
    server = start([*SHOP, VIRTUAL_SERVICE])
    _, deployments = raw(server, "/apis/apps/v1/namespaces/shop/deployments")
    assert (deployments["apiVersion"], deployments["kind"]) == ("apps/v1", "DeploymentList")
    assert deployments["metadata"]["resourceVersion"]
    first = deployments["items"][0]
    assert "kind" not in first and "apiVersion" not in first  # built-in list items omit them
    meta = first["metadata"]
    assert {"uid", "resourceVersion", "creationTimestamp", "generation"} <= meta.keys()
    assert meta["managedFields"][0]["manager"] == "kubectl-client-side-apply"
    assert meta["managedFields"][0]["fieldsType"] == "FieldsV1"
    assert first["status"] == {"observedGeneration": 1}
    _, secrets = raw(server, "/api/v1/secrets")
    assert secrets["items"][0]["data"] == {"password": "aHVudGVyMg=="}
    assert "status" not in secrets["items"][0]
    _, namespaces = raw(server, "/api/v1/namespaces")
    assert [n["metadata"].get("namespace") for n in namespaces["items"]] == [None, None]
    _, virtual_services = raw(server, "/apis/networking.istio.io/v1/virtualservices")
    item = virtual_services["items"][0]  # custom resources' list items keep apiVersion/kind
    assert (item["apiVersion"], item["kind"]) == ("networking.istio.io/v1", "VirtualService")


def test_metadata_only_list_has_no_data_or_spec(start: Start) -> None:
    server = start()
    status, secrets = raw(server, "/api/v1/namespaces/shop/secrets", accept=PARTIAL)
    assert status == 200
    assert (secrets["apiVersion"], secrets["kind"]) == (
        "meta.k8s.io/v1",
        "PartialObjectMetadataList",
    )
    assert [sorted(i) for i in secrets["items"]] == [["apiVersion", "kind", "metadata"]]
    assert secrets["items"][0]["kind"] == "PartialObjectMetadata"
    assert secrets["items"][0]["metadata"]["name"] == "db"
    status, table = raw(
        server, "/api/v1/secrets", accept="application/json;as=Table;v=v1;g=meta.k8s.io"
    )
    assert (status, table["reason"]) == (406, "NotAcceptable")


def test_single_object_and_not_found(start: Start) -> None:
    server = start()
    status, body = raw(server, "/api/v1/namespaces/shop/services/cart")
    assert (status, body["apiVersion"], body["kind"]) == (200, "v1", "Service")
    status, body = raw(server, "/api/v1/namespaces/shop")
    assert (status, body["kind"], body["status"]) == (200, "Namespace", {"phase": "Active"})
    status, body = raw(server, "/apis/apps/v1/namespaces/shop/deployments/nope")
    assert status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


def test_forbidden_list_raises_403(start: Start, tmp_path: Path) -> None:
    server = start(forbidden=["networkpolicies", "clusterroles"])
    with api_client(server, tmp_path) as api:
        with pytest.raises(ApiException) as caught:
            client.NetworkingV1Api(api).list_namespaced_network_policy("shop")
        with pytest.raises(ApiException) as cluster_wide:
            client.RbacAuthorizationV1Api(api).list_cluster_role()
        roles = client.RbacAuthorizationV1Api(api).list_role_for_all_namespaces()
    assert caught.value.status == 403
    body = json.loads(caught.value.body)
    assert (body["kind"], body["status"], body["reason"], body["code"]) == (
        "Status",
        "Failure",
        "Forbidden",
        403,
    )
    assert body["message"] == (
        f'networkpolicies.networking.k8s.io is forbidden: User "{USER}" cannot list resource '
        '"networkpolicies" in API group "networking.k8s.io" in the namespace "shop"'
    )
    assert json.loads(cluster_wide.value.body)["message"] == (
        f'clusterroles.rbac.authorization.k8s.io is forbidden: User "{USER}" cannot list '
        'resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope'
    )
    assert roles.items == []  # served, just empty


def test_discovery_through_the_python_client(start: Start, tmp_path: Path) -> None:
    server = start([*SHOP, {**VIRTUAL_SERVICE, "apiVersion": "networking.istio.io/v1beta1"}])
    with api_client(server, tmp_path) as api:
        groups = client.ApisApi(api).get_api_versions().groups
        core = client.CoreApi(api).get_api_versions()
        resources = client.CoreV1Api(api).get_api_resources().resources
        version = client.VersionApi(api).get_code()
    assert [(g.name, g.preferred_version.group_version) for g in groups] == [
        ("apps", "apps/v1"),
        ("batch", "batch/v1"),
        ("networking.istio.io", "networking.istio.io/v1beta1"),
        ("networking.k8s.io", "networking.k8s.io/v1"),
        ("rbac.authorization.k8s.io", "rbac.authorization.k8s.io/v1"),
    ]
    assert core.versions == ["v1"]
    assert {(r.name, r.singular_name, r.kind, r.namespaced) for r in resources} == {
        ("configmaps", "configmap", "ConfigMap", True),
        ("limitranges", "limitrange", "LimitRange", True),
        ("namespaces", "namespace", "Namespace", False),
        ("pods", "pod", "Pod", True),
        ("secrets", "secret", "Secret", True),
        ("serviceaccounts", "serviceaccount", "ServiceAccount", True),
        ("services", "service", "Service", True),
    }
    assert {tuple(r.verbs) for r in resources} == {("get", "list", "watch")}
    assert version.git_version == "v1.32.2"


def test_istio_group_only_when_an_istio_object_is_given(start: Start, tmp_path: Path) -> None:
    plain, istio = start(), start([*SHOP, VIRTUAL_SERVICE])
    _, groups = raw(plain, "/apis")
    assert "networking.istio.io" not in {g["name"] for g in groups["groups"]}
    for path in ("/apis/networking.istio.io/v1", "/apis/networking.istio.io/v1/virtualservices"):
        status, body = raw(plain, path)
        assert (status, body["reason"]) == (404, "NotFound")
    with api_client(plain, tmp_path / "plain") as api:
        dynamic = DynamicClient(api, cache_file=str(tmp_path / "plain-discovery.json"))
        with pytest.raises(ResourceNotFoundError):
            dynamic.resources.get(api_version="networking.istio.io/v1", kind="VirtualService")
    with api_client(istio, tmp_path / "istio") as api:
        dynamic = DynamicClient(api, cache_file=str(tmp_path / "istio-discovery.json"))
        resource = dynamic.resources.get(
            api_version="networking.istio.io/v1", kind="VirtualService"
        )
        listed = resource.get(namespace="shop")
    assert (resource.name, resource.namespaced) == ("virtualservices", True)
    assert [(v.metadata.name, v.spec.hosts[0]) for v in listed.items] == [
        ("shop", "shop.example.com")
    ]


def test_writes_are_405_and_recorded(start: Start, tmp_path: Path) -> None:
    server = start()
    status, body = raw(server, "/api/v1/namespaces/shop/configmaps", method="POST")
    assert (status, body["reason"], body["code"]) == (405, "MethodNotAllowed", 405)
    for method in ("PUT", "PATCH", "DELETE"):
        assert raw(server, "/api/v1/namespaces/shop/services/cart", method=method)[0] == 405
    with api_client(server, tmp_path) as api, pytest.raises(ApiException) as caught:
        client.CoreV1Api(api).delete_namespaced_secret("db", "shop")
    assert caught.value.status == 405
    assert [(m, p) for m, p, _ in server.requests] == [
        ("POST", "/api/v1/namespaces/shop/configmaps"),
        ("PUT", "/api/v1/namespaces/shop/services/cart"),
        ("PATCH", "/api/v1/namespaces/shop/services/cart"),
        ("DELETE", "/api/v1/namespaces/shop/services/cart"),
        ("DELETE", "/api/v1/namespaces/shop/secrets/db"),
    ]


def test_no_or_wrong_token_is_401(start: Start) -> None:
    server = start()
    for token in (None, "wrong"):
        status, body = raw(server, "/api/v1/pods", token=token)
        assert (status, body["kind"], body["reason"]) == (401, "Status", "Unauthorized")
    assert [(m, p) for m, p, _ in server.requests] == [("GET", "/api/v1/pods")] * 2


@needs_kubectl
def test_kubectl_get_deployments(start: Start, tmp_path: Path) -> None:
    server = start()
    done = kubectl(server, tmp_path, "get", "deployments", "-A", "-o", "name")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "deployment.apps/legacy",
        "deployment.apps/payments",
        "deployment.apps/cart",
        "deployment.apps/frontend",
        "deployment.apps/orders",
    ]
    # kubectl asks for 500 at a time; the server's page size of 2 makes it follow `continue`.
    lists = [q for _, p, q in server.requests if p == "/apis/apps/v1/deployments"]
    assert len(lists) == 3
    assert {m for m, _, _ in server.requests} == {"GET"}


@needs_kubectl
def test_kubectl_api_resources(start: Start, tmp_path: Path) -> None:
    server = start([*SHOP, VIRTUAL_SERVICE])
    done = kubectl(server, tmp_path, "api-resources")
    assert done.returncode == 0, done.stderr
    assert [line.rstrip() for line in done.stdout.splitlines()] == [
        "NAME                  SHORTNAMES   APIVERSION                     NAMESPACED   KIND",
        "configmaps            cm           v1                             true         ConfigMap",
        "limitranges           limits       v1                             true         LimitRange",
        "namespaces            ns           v1                             false        Namespace",
        "pods                  po           v1                             true         Pod",
        "secrets                            v1                             true         Secret",
        "serviceaccounts       sa           v1                             true         ServiceAccount",
        "services              svc          v1                             true         Service",
        "daemonsets            ds           apps/v1                        true         DaemonSet",
        "deployments           deploy       apps/v1                        true         Deployment",
        "replicasets           rs           apps/v1                        true         ReplicaSet",
        "statefulsets          sts          apps/v1                        true         StatefulSet",
        "cronjobs              cj           batch/v1                       true         CronJob",
        "jobs                               batch/v1                       true         Job",
        "virtualservices                    networking.istio.io/v1         true         VirtualService",
        "ingressclasses                     networking.k8s.io/v1           false        IngressClass",
        "ingresses             ing          networking.k8s.io/v1           true         Ingress",
        "networkpolicies       netpol       networking.k8s.io/v1           true         NetworkPolicy",
        "clusterrolebindings                rbac.authorization.k8s.io/v1   false        ClusterRoleBinding",
        "clusterroles                       rbac.authorization.k8s.io/v1   false        ClusterRole",
        "rolebindings                       rbac.authorization.k8s.io/v1   true         RoleBinding",
        "roles                              rbac.authorization.k8s.io/v1   true         Role",
    ]


@needs_kubectl
def test_kubectl_forbidden_list_fails(start: Start, tmp_path: Path) -> None:
    server = start(forbidden=["networkpolicies"])
    done = kubectl(server, tmp_path, "get", "networkpolicies", "-A")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "Error from server (Forbidden): networkpolicies.networking.k8s.io is forbidden: "
        f'User "{USER}" cannot list resource "networkpolicies" in API group '
        '"networking.k8s.io" at the cluster scope'
    )
