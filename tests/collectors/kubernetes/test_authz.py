"""Istio AuthorizationPolicy: who may call a workload, and how callers are identified."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.kubernetes.authz import AuthorizationPolicies, Verdict
from collectors.kubernetes.manifests import K8sObject, objects
from scanner.pipeline import ScanOptions, scan

PODS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web, containers: [{name: web, image: web:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: job, namespace: ops}
spec:
  template:
    metadata: {labels: {app: job}}
    spec: {containers: [{name: job, image: job:1, env: [{name: API_URL, value: "http://api.shop"}]}]}
"""
POLICY = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: %s}
spec:
%s
"""
WEB_ONLY = """  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules:
    - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
      to: [{operation: {ports: ["8080"], methods: [GET, POST]}}]"""
JWT = """  selector: {matchLabels: {app: api}}
  rules:
    - from: [{source: {requestPrincipals: ["*"]}}]"""
DENY_OPS = """  action: DENY
  rules:
    - from: [{source: {namespaces: [ops]}}]"""
DENY_OPS_ADMIN = """  action: DENY
  rules:
    - from: [{source: {namespaces: [ops]}}]
      to: [{operation: {paths: ["/admin*"]}}]"""
JWT_REQUIRED = """  action: DENY
  rules:
    - from: [{source: {notRequestPrincipals: ["*"]}}]"""
DENY_NOT_8080 = """  action: DENY
  rules:
    - to: [{operation: {notPorts: ["8080"]}}]"""
DENY_IP = """  action: DENY
  rules:
    - from: [{source: {ipBlocks: [10.1.0.0/16]}}]"""
ALLOW_ALL = """---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: all, namespace: shop}
spec:
  rules: [{}]"""
ALLOW_NOTHING = "  selector: {matchLabels: {app: api}}\n  action: ALLOW"
WHEN = """  rules:
    - from: [{source: {namespaces: [shop, ops]}}]
      when: [{key: "request.headers[x-tenant]", values: [acme]}]"""


def _verdict(ns: str, body: str, caller: str, meshed: bool | None = True) -> Verdict:
    found = list(objects(PODS + "\n---\n" + POLICY % (ns, body), "all.yaml"))
    pods: dict[str, K8sObject] = {o.name: o for o in found if o.kind == "Deployment"}
    src = pods[caller] if caller != "-" else None
    return AuthorizationPolicies(found, lambda _: meshed).verdict(src, pods["api"], 8080)


@pytest.mark.parametrize(
    ("ns", "body", "caller", "expected"),
    [
        ("shop", WEB_ONLY, "web", Verdict(True, True, "mtls")),
        ("shop", WEB_ONLY, "job", Verdict(False, None, None)),
        ("shop", WEB_ONLY, "-", Verdict(None, True, "mtls")),  # a caller we cannot see
        ("shop", JWT, "job", Verdict(True, None, "jwt")),
        ("istio-system", DENY_OPS, "job", Verdict(False, None, None)),  # mesh-wide
        ("istio-system", DENY_OPS, "web", Verdict(None, None, None)),
        ("shop", DENY_OPS_ADMIN, "job", Verdict(None, None, None)),  # only some paths
        ("shop", ALLOW_NOTHING, "web", Verdict(False, None, None)),  # ALLOW with no rules
        ("shop", WHEN, "job", Verdict(None, True, "mtls")),  # conditions: unknown
        ("payments", WEB_ONLY, "job", Verdict(None, None, None)),  # another namespace
        # "require a JWT": denies requests without one, not the caller
        ("shop", JWT_REQUIRED, "job", Verdict(None, None, None)),
        ("shop", DENY_NOT_8080, "job", Verdict(None, None, None)),  # 8080 is excluded
        ("shop", DENY_IP + "\n" + ALLOW_ALL, "web", Verdict(None, None, None)),  # maybe denied
    ],
)
def test_authorization_policy_verdicts(ns: str, body: str, caller: str, expected: Verdict) -> None:
    assert _verdict(ns, body, caller) == expected


def test_peer_identities_need_a_sidecar() -> None:
    assert _verdict("shop", WEB_ONLY, "web", meshed=False) == Verdict(False, None, None)
    assert _verdict("shop", WEB_ONLY, "web", meshed=None) == Verdict(None, True, "mtls")


def test_denied_callers_are_blocked_and_admitted_ones_carry_authz(tmp_path: Path) -> None:
    web = "      containers: [{name: web, image: web:1, env: [{name: API_URL, value: http://api}]}]"
    docs = PODS.replace(
        "spec: {serviceAccountName: web, containers: [{name: web, image: web:1}]}",
        "spec:\n      serviceAccountName: web\n" + web,
    )
    meshed = "".join(
        f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
        "  labels: {istio-injection: enabled}\n"
        for ns in ("shop", "ops")
    )
    (tmp_path / "all.yaml").write_text(docs + "\n" + meshed + "---\n" + POLICY % ("shop", WEB_ONLY))
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    flows = {
        (f.source, f.network_allowed, f.authz, f.authn)
        for f in result.graph.flows
        if f.target == "k8s:Deployment/shop/api"
    }
    assert flows == {
        ("k8s:Deployment/shop/web", None, True, "mtls"),
        ("k8s:Deployment/ops/job", False, None, None),
    }
