"""Workload privilege facts, namespace default-deny, and mesh mTLS on flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.kubernetes.manifests import objects
from collectors.kubernetes.security import Mesh
from scanner.pipeline import ScanOptions, ScanResult, scan

NS = """apiVersion: v1
kind: Namespace
metadata:
  name: shop
%s
"""
APP = """---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %(name)s
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: %(name)s
%(annotations)s
    spec:
%(pod)s
      containers:
        - name: %(name)s
          image: ghcr.io/acme/%(name)s:1.0.0
          ports:
            - containerPort: 8080
%(container)s
---
apiVersion: v1
kind: Service
metadata:
  name: %(name)s
  namespace: shop
spec:
  selector:
    app: %(name)s
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def app(name: str, annotations: str = "", pod: str = "", container: str = "") -> str:
    return APP % {"name": name, "annotations": annotations, "pod": pod, "container": container}


def _scan(tmp_path: Path, *docs: str) -> ScanResult:
    (tmp_path / "shop.yaml").write_text("\n".join(docs))
    return scan(tmp_path, options=ScanOptions(use_cache=False))


def test_workload_privilege_facts(tmp_path: Path) -> None:
    risky = app(
        "agent",
        pod="      hostNetwork: true\n      volumes:\n        - name: root\n"
        "          hostPath:\n            path: /",
        container="          securityContext:\n            privileged: true\n"
        "            runAsUser: 0\n          env:\n            - name: DB_PASSWORD\n"
        "              value: hunter2\n            - name: TOKEN_TTL\n              value: '3600'",
    )
    result = _scan(tmp_path, NS % "", risky)
    props = dict(next(e for e in result.graph.elements if e.name == "agent").props)
    assert {
        k: props.get(k)
        for k in (
            "privileged",
            "host_namespaces",
            "host_path",
            "runs_as_non_root",
            "no_privilege_escalation",
            "plaintext_secret_env",
            "memory_limits",
        )
    } == {
        "privileged": True,
        "host_namespaces": True,
        "host_path": True,
        "runs_as_non_root": False,
        "no_privilege_escalation": False,
        "plaintext_secret_env": True,
        "memory_limits": False,
    }


def test_default_deny_is_a_namespace_fact(tmp_path: Path) -> None:
    deny = (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: default-deny\n  namespace: shop\nspec:\n  podSelector: {}\n"
        "  policyTypes:\n    - Ingress\n"
    )
    assert (
        "default_deny_ingress"
        not in _scan(tmp_path, NS % "", app("web")).graph.boundary("k8s:ns/shop").props
    )
    zone = _scan(tmp_path, NS % "", app("web"), deny).graph.boundary("k8s:ns/shop")
    assert zone.props["default_deny_ingress"] is True


MESHED = "  labels:\n    istio-injection: enabled"
PA = """---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: shop
spec:
%s
  mtls:
    mode: %s
"""
CALLER = "          env:\n            - name: API_URL\n              value: http://api"
LINKERD = "  annotations:\n    linkerd.io/inject: enabled"
DR = """---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: shop
spec:
  host: api.shop.svc.cluster.local
  trafficPolicy:
%s
"""


@pytest.mark.parametrize(
    ("namespace", "policy", "callee_annotations", "expected"),
    [
        ("", "", "", False),  # namespace declared without injection: not meshed
        # Meshed, no PeerAuthentication in the files: the mesh-wide default lives in
        # istio-system, which the manifests do not hold (it may be STRICT): unknown.
        (MESHED, "", "", None),
        (MESHED, PA % ("", "PERMISSIVE"), "", False),
        (MESHED, PA % ("", "STRICT"), "", True),
        # A workload-level policy overrides the namespace one.
        (
            MESHED,
            PA % ("", "STRICT")
            + PA.replace("name: default", "name: api")
            % ("  selector:\n    matchLabels:\n      app: api", "PERMISSIVE"),
            "",
            False,
        ),
        # The callee opted out of the sidecar.
        (
            MESHED,
            PA % ("", "STRICT"),
            "      annotations:\n        sidecar.istio.io/inject: 'false'",
            False,
        ),
        # A DestinationRule that turns client TLS off for the Service (all, or its port).
        (MESHED, PA % ("", "STRICT") + DR % "    tls:\n      mode: DISABLE", "", False),
        (MESHED, PA % ("", "STRICT") + DR % "    tls:\n      mode: ISTIO_MUTUAL", "", True),
        (
            MESHED,
            PA % ("", "STRICT")
            + DR
            % "    portLevelSettings:\n      - port:\n          number: 80\n        tls:\n          mode: DISABLE",
            "",
            False,
        ),
        (
            MESHED,
            PA % ("", "STRICT")
            + DR
            % "    portLevelSettings:\n      - port:\n          number: 9000\n        tls:\n          mode: DISABLE",
            "",
            True,
        ),
        # the Service port's own setting overrides the rule's DISABLE
        (
            MESHED,
            PA % ("", "STRICT")
            + DR
            % (
                "    tls:\n      mode: DISABLE\n    portLevelSettings:\n      - port:\n"
                "          number: 80\n        tls:\n          mode: ISTIO_MUTUAL"
            ),
            "",
            True,
        ),
        # a wildcard host covers the Service by its cluster DNS name
        (
            MESHED,
            PA % ("", "STRICT")
            + (DR % "    tls:\n      mode: DISABLE").replace(
                "host: api.shop.svc.cluster.local", 'host: "*.local"'
            ),
            "",
            False,
        ),
        # Linkerd encrypts meshed-to-meshed traffic unless the port skips the proxy.
        (LINKERD, "", "", True),
        (
            LINKERD,
            "",
            "      annotations:\n        config.linkerd.io/skip-inbound-ports: 25,8000-8100",
            False,
        ),
    ],
)
def test_mesh_decides_mtls_on_service_to_service_flows(
    tmp_path: Path, namespace: str, policy: str, callee_annotations: str, expected: bool | None
) -> None:
    result = _scan(
        tmp_path,
        NS % namespace,
        app("web", container=CALLER),
        app("api", annotations=callee_annotations),
        policy,
    )
    (flow,) = [f for f in result.graph.flows if f.source == "k8s:Deployment/shop/web"]
    assert (flow.target, flow.mtls) == ("k8s:Deployment/shop/api", expected)


def _mode(*policies: str, port: int | None = 8080) -> str | None:
    text = "\n---\n".join((app("api"), *policies))
    objs = list(objects(text, "x.yaml"))
    (api,) = [o for o in objs if o.kind == "Deployment"]
    return Mesh(objs).mode(api, port)


def _pa(name: str, ns: str, body: str) -> str:
    return (
        f"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
        f"metadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{body}"
    )


SELECT_API = "  selector:\n    matchLabels:\n      app: api\n"


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        # a port-level setting (integer key in YAML) on a workload policy wins
        (
            (
                _pa(
                    "api",
                    "shop",
                    SELECT_API
                    + "  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n",
                ),
            ),
            "DISABLE",
        ),
        # port-level settings without a selector are ignored by Istio
        (
            (
                _pa(
                    "ns",
                    "shop",
                    "  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n",
                ),
            ),
            "STRICT",
        ),
        # UNSET inherits from the namespace
        (
            (
                _pa("ns", "shop", "  mtls: {mode: STRICT}\n"),
                _pa("api", "shop", SELECT_API + "  mtls: {mode: UNSET}\n"),
            ),
            "STRICT",
        ),
        # a root-namespace policy with a selector applies only inside istio-system
        (
            (
                _pa("ns", "shop", "  mtls: {mode: STRICT}\n"),
                _pa("root", "istio-system", SELECT_API + "  mtls: {mode: PERMISSIVE}\n"),
            ),
            "STRICT",
        ),
        ((_pa("root", "istio-system", "  mtls: {mode: STRICT}\n"),), "STRICT"),
    ],
)
def test_peer_authentication_precedence(policies: tuple[str, ...], expected: str) -> None:
    assert _mode(*policies) == expected


def test_injection_label_and_unknown_namespaces() -> None:
    labelled = app("api").replace(
        "        app: api\n", "        app: api\n        sidecar.istio.io/inject: 'false'\n", 1
    )
    objs = list(objects("\n---\n".join((NS % MESHED, labelled)), "x.yaml"))
    (api,) = [o for o in objs if o.kind == "Deployment"]
    assert Mesh(objs).meshed(api) is False
    # a mesh exists, but the workload's namespace is not in the files: unknown
    other = list(
        objects(
            "\n---\n".join((app("api"), _pa("root", "istio-system", "  mtls: {mode: STRICT}\n"))),
            "x.yaml",
        )
    )
    (api,) = [o for o in other if o.kind == "Deployment"]
    assert Mesh(other).meshed(api) is None


@pytest.mark.parametrize(
    ("account", "pod", "expected"),
    [
        (', "automountServiceAccountToken": false', "", False),
        ("", "", True),  # the ServiceAccount is known and does not opt out
        (', "automountServiceAccountToken": false', ', "automountServiceAccountToken": true', True),
        (None, "", None),  # the ServiceAccount is not in the files
    ],
)
def test_service_account_token_automount_from_a_json_list(
    tmp_path: Path, account: str | None, pod: str, expected: bool | None
) -> None:
    sa = (
        []
        if account is None
        else [
            '{"apiVersion": "v1", "kind": "ServiceAccount", '
            f'"metadata": {{"name": "api", "namespace": "web"}}{account}}}'
        ]
    )
    deployment = (
        '{"apiVersion": "apps/v1", "kind": "Deployment", '
        '"metadata": {"name": "api", "namespace": "web"}, "spec": {"template": {'
        '"metadata": {"labels": {"app": "api"}}, "spec": {"serviceAccountName": "api"'
        f'{pod}, "containers": [{{"name": "api", "image": "api:1"}}]}}}}}}}}'
    )
    items = ",\n".join([*sa, deployment])
    (tmp_path / "list.json").write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [\n' + items + "\n]}\n"
    )
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    api = result.graph.element("k8s:Deployment/web/api")
    assert api.fact("automount_token") == expected
    assert (api.evidence[0].file, api.evidence[0].line) == ("list.json", 3 if sa else 2)
