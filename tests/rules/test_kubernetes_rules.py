"""The Kubernetes rules: each fires on its weakness and is silenced by its control."""

from __future__ import annotations

from pathlib import Path

from scanner.pipeline import ScanOptions, scan
from scanner.reporters import json_report
from tests.collectors.kubernetes.test_security import MESHED, NS, PA, app

DENY = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
"""
ALLOW_WEB = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
"""
CALLER = "          env:\n            - name: API_URL\n              value: http://api"
LIMITS = "          resources:\n            limits:\n              memory: 256Mi"


def findings(tmp_path: Path, *docs: str) -> set[tuple[str, str, str]]:
    (tmp_path / "shop.yaml").write_text("\n".join(docs))
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    return {(f.rule, f.resource, f.confidence.label) for f in result.findings}


def test_strict_peer_authentication_removes_exactly_the_mtls_findings(tmp_path: Path) -> None:
    docs = (
        NS % MESHED,
        app("web", container=CALLER + "\n" + LIMITS),
        app("api", container=LIMITS),
        DENY,
        ALLOW_WEB,
    )
    permissive = findings(tmp_path, *docs, PA % ("", "PERMISSIVE"))
    strict = findings(tmp_path, *docs, PA % ("", "STRICT"))
    assert permissive - strict == {("TM-MTLS-001", "Namespace/shop", "high")}
    assert strict == set()


def test_a_flow_network_policy_blocks_is_not_reported_without_mtls(tmp_path: Path) -> None:
    docs = (NS % MESHED, app("web", container=CALLER + "\n" + LIMITS), app("api", container=LIMITS))
    allowed = findings(tmp_path, *docs, DENY, ALLOW_WEB, PA % ("", "PERMISSIVE"))
    blocked = findings(tmp_path, *docs, DENY, PA % ("", "PERMISSIVE"))
    assert ("TM-MTLS-001", "Namespace/shop", "high") in allowed
    assert allowed - blocked == {("TM-MTLS-001", "Namespace/shop", "high")}


def test_default_deny_removes_the_segmentation_finding(tmp_path: Path) -> None:
    base = (NS % "", app("web", container=LIMITS), app("api", container=LIMITS))
    assert ("TM-SEG-001", "Namespace/shop", "low") in findings(tmp_path, *base)
    # Policies in the namespace, but none that denies by default: confirmed.
    assert ("TM-SEG-001", "Namespace/shop", "high") in findings(tmp_path, *base, ALLOW_WEB)
    assert not {f for f in findings(tmp_path, *base, DENY) if f[0] == "TM-SEG-001"}


def test_workload_rules(tmp_path: Path) -> None:
    risky = app(
        "agent",
        pod="      hostPID: true",
        container="          env:\n            - name: API_KEY\n              value: sk-live-123",
    )
    safe = app(
        "web",
        container="          env:\n            - name: API_KEY\n              valueFrom:\n"
        "                secretKeyRef:\n                  name: web\n                  key: api-key\n"
        + LIMITS,
    )
    found = {f for f in findings(tmp_path, NS % "", risky, safe, DENY) if f[0] != "TM-MTLS-001"}
    assert found == {
        ("TM-PRIV-001", "Deployment/shop/agent", "high"),
        ("TM-SEC-001", "Deployment/shop/agent", "high"),
        ("TM-RES-001", "Deployment/shop/agent", "medium"),
    }


def test_a_limit_range_supplies_the_missing_limits(tmp_path: Path) -> None:
    limit_range = (
        "---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: shop\n"
        "spec:\n  limits:\n    - type: Container\n      default:\n        memory: 512Mi\n"
    )
    assert not {
        f
        for f in findings(tmp_path, NS % "", app("web"), DENY, limit_range)
        if f[0] == "TM-RES-001"
    }


RBAC = """---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ops
  namespace: shop
---
apiVersion: rbac.authorization.k8s.io/v1
kind: %(binding)s
metadata:
  name: ops
%(binding_ns)s
subjects:
  - kind: ServiceAccount
    name: ops
    namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: %(role_kind)s
  name: %(role)s
%(role_doc)s
"""
WILDCARD_ROLE = """---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: everything
  namespace: shop
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
"""
READER_ROLE = WILDCARD_ROLE.replace("everything", "reader").replace(
    'resources: ["*"]\n    verbs: ["*"]', 'resources: ["configmaps"]\n    verbs: ["get", "list"]'
)


def rbac(binding: str, role_kind: str, role: str, role_doc: str = "") -> str:
    binding_ns = "  namespace: shop" if binding == "RoleBinding" else ""
    return RBAC % {
        "binding": binding,
        "binding_ns": binding_ns,
        "role_kind": role_kind,
        "role": role,
        "role_doc": role_doc,
    }


def test_overprivileged_service_account(tmp_path: Path) -> None:
    workload = app("ops", pod="      serviceAccountName: ops", container=LIMITS)
    base = (NS % "", workload, DENY)

    def rbac_findings(*docs: str) -> set[tuple[str, str, str]]:
        return {f for f in findings(tmp_path, *base, *docs) if f[0] == "TM-RBAC-001"}

    assert rbac_findings(rbac("ClusterRoleBinding", "ClusterRole", "cluster-admin")) == {
        ("TM-RBAC-001", "Deployment/shop/ops", "high")
    }
    assert rbac_findings(rbac("RoleBinding", "Role", "everything", WILDCARD_ROLE)) == {
        ("TM-RBAC-001", "Deployment/shop/ops", "high")
    }
    assert rbac_findings(rbac("RoleBinding", "Role", "reader", READER_ROLE)) == set()
    assert rbac_findings() == set()  # no binding in the files: nothing is claimed


def test_plaintext_secrets_point_at_each_place_without_the_value(tmp_path: Path) -> None:
    config = """---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  LOG_LEVEL: info
  SMTP_PASSWORD: hunter2-smtp
"""
    env = (
        "          env:\n"
        "            - name: DB_PASSWORD\n              value: hunter2-db\n"
        "            - name: TOKEN_TTL\n              value: '3600'\n"
        "          envFrom:\n            - configMapRef:\n                name: settings"
    )
    (tmp_path / "shop.yaml").write_text("\n".join((NS % "", app("web", container=env), config)))
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    (found,) = [f for f in result.findings if f.rule == "TM-SEC-001"]
    assert found.resource == "Deployment/shop/web"
    assert [(e.file, e.line, e.address) for e in found.evidence] == [
        ("shop.yaml", 27, "Deployment/shop/web"),
        ("shop.yaml", 55, "ConfigMap/shop/settings"),  # its data
    ]
    assert "hunter2" not in found.message
    assert "hunter2" not in json_report.render(result)


SECRETS = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  username: orders
  password: s3cr3t-Pa55
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
  namespace: shop
type: kubernetes.io/tls
data:
  tls.crt: Y2VydA==
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t
---
apiVersion: v1
kind: Secret
metadata:
  name: placeholder
  namespace: shop
stringData:
  username: orders
  password: change-me
  api-token: ${API_TOKEN}
---
apiVersion: v1
kind: Secret
metadata:
  name: sops
  namespace: shop
stringData:
  password: ENC[AES256_GCM,data:Tr0l,iv:abc,tag:def,type:str]
sops:
  version: 3.8.1
"""


def test_secret_manifests_with_real_values(tmp_path: Path) -> None:
    (tmp_path / "secrets.yaml").write_text(SECRETS)
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    found = {
        (f.rule, f.resource, f.evidence[0].file, f.evidence[0].line)
        for f in result.findings
        if f.rule == "TM-SEC-002"
    }
    assert found == {
        ("TM-SEC-002", "Secret/shop/db", "secrets.yaml", 1),
        ("TM-SEC-002", "Secret/shop/tls", "secrets.yaml", 10),
    }
    report = json_report.render(result)
    assert "s3cr3t" not in report and "LS0tLS1C" not in report
