"""What real clusters look like and must not be flagged: operator roles scoped to their
own API group, variables that point at a secret rather than hold one, a mesh whose
mesh-wide policy lives outside the repository."""

from __future__ import annotations

from pathlib import Path

from scanner.pipeline import ScanOptions, scan

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example.com/api:1.4
          resources: {limits: {memory: 256Mi}}
          env:
%s
"""


def rules_on(tmp_path: Path, text: str) -> set[tuple[str, str]]:
    (tmp_path / "app.yaml").write_text(text)
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    return {(f.rule, f.resource) for f in result.findings}


def test_pointers_to_secrets_are_not_secrets(tmp_path: Path) -> None:
    env = (
        "            - {name: DB_SECRET_ARN, value: 'arn:aws:secretsmanager:eu-west-1:1:secret:db'}\n"
        "            - {name: OAUTH_TOKEN_URL, value: 'https://auth.example.com/oauth2/token'}\n"
        "            - name: DB_PASSWORD\n"
        "              valueFrom: {secretKeyRef: {name: db, key: password}}\n"
        "            - {name: PGPASSWORD, value: $(DB_PASSWORD)}\n"
    )
    assert ("TM-SEC-001", "Deployment/shop/api") not in rules_on(tmp_path, DEPLOY % env)
    leaked = env + "            - {name: API_TOKEN, value: 9f3c1e7a5b2d4c6e8f0a1b2c3d4e5f60}\n"
    assert ("TM-SEC-001", "Deployment/shop/api") in rules_on(tmp_path, DEPLOY % leaked)


def test_an_operator_role_on_its_own_api_group_is_not_wildcard_rbac(tmp_path: Path) -> None:
    role = """---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: prometheus-operator}
rules:
  - apiGroups: [monitoring.coreos.com]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus-operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prometheus-operator}
subjects: [{kind: ServiceAccount, name: api, namespace: shop}]
"""
    env = "            - {name: LOG_LEVEL, value: info}\n"
    assert ("TM-RBAC-001", "Deployment/shop/api") not in rules_on(tmp_path, DEPLOY % env + role)
    core = role.replace("[monitoring.coreos.com]", '[""]')
    assert ("TM-RBAC-001", "Deployment/shop/api") in rules_on(tmp_path, DEPLOY % env + core)


ALB_INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
%s
spec:
  ingressClassName: alb
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_alb_ingresses_follow_the_load_balancer_controller(tmp_path: Path) -> None:
    internal = "    alb.ingress.kubernetes.io/target-type: ip"
    assert rules_on(tmp_path, ALB_INGRESS % internal) == set()  # internal by default
    public_tls = (
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        "    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:eu-west-1:1:certificate/x\n"
        """    alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'\n"""
        "    alb.ingress.kubernetes.io/ssl-redirect: '443'"
    )
    assert ("TM-TLS-001", "Ingress/shop/web") not in rules_on(tmp_path, ALB_INGRESS % public_tls)
    public_http = "    alb.ingress.kubernetes.io/scheme: internet-facing"
    assert ("TM-TLS-001", "Ingress/shop/web") in rules_on(tmp_path, ALB_INGRESS % public_http)


def test_a_namespace_wide_allow_list_policy_isolates_the_namespace(tmp_path: Path) -> None:
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
    policy = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-from-ingress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
"""
    env = "            - {name: LOG_LEVEL, value: info}\n"
    isolated = rules_on(tmp_path, namespace + DEPLOY % env + policy)
    assert ("TM-SEG-001", "Namespace/shop") not in isolated
    open_to_all = policy.replace(
        "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}",
        "namespaceSelector: {}",
    )
    assert ("TM-SEG-001", "Namespace/shop") in rules_on(
        tmp_path, namespace + DEPLOY % env + open_to_all
    )


def test_plaintext_ingress_fix_is_said_in_kubernetes_terms(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        ALB_INGRESS % "    alb.ingress.kubernetes.io/scheme: internet-facing"
    )
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    (tls,) = [f for f in result.findings if f.rule == "TM-TLS-001"]
    assert tls.remediation.startswith("Terminate TLS at the entry point (spec.tls on the Ingress")
    assert "ACM" not in tls.remediation
