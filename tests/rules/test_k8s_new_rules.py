"""TM-K8S-001..008: each fires on its weakness, stays silent on the look-alikes peers
flag, and leaves to the neighbouring rule what that rule reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.engine import Rule
from rules.k8s_exposed import ExposedWorkloadWithApiToken, UnboundedScratchStorage
from rules.k8s_hardening import (
    ContainerRunsAsRoot,
    DangerousCapabilities,
    EscalationIntoCapabilities,
)
from rules.k8s_mesh import MtlsWeakenedByPolicy
from rules.k8s_network import DatastoreOpenToEveryPod, DatastoreRoutedFromInternet
from scanner.pipeline import ScanOptions, scan
from tests.collectors.kubernetes.test_hardening import NS, PA, POSTGRES, SELECT_WEB, deployment

Found = set[tuple[str, str, str, str]]  # (rule, resource, severity, confidence)

INGRESS = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: public
  namespace: shop
%s
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: %s
                port:
                  number: %s
"""


def ingress(service: str, port: int = 80, annotations: str = "") -> str:
    return INGRESS % (annotations, service, port)


def ctx(*lines: str) -> str:
    """A container securityContext block."""
    return "          securityContext:\n" + "".join(f"            {x}\n" for x in lines)


def run(tmp_path: Path, rules: list[Rule], *docs: str) -> Found:
    (tmp_path / "shop.yaml").write_text("\n".join(docs))
    result = scan(tmp_path, rules=rules, options=ScanOptions(use_cache=False))
    return {(f.rule, f.resource, f.severity.label, f.confidence.label) for f in result.findings}


HARDENING: list[Rule] = [
    ContainerRunsAsRoot(),
    EscalationIntoCapabilities(),
    DangerousCapabilities(),
]


@pytest.mark.parametrize(
    ("pod", "container", "expected"),
    [
        ("      securityContext:\n        runAsUser: 0\n", "", ("medium", "high")),
        ("", ctx("runAsNonRoot: false"), ("medium", "low")),  # check off, image decides
        ("", "", None),  # nothing stated: the image's USER, unknown, is not root
        ("      securityContext:\n        runAsUser: 0\n", ctx("runAsUser: 1000"), None),
        ("", ctx("runAsUser: 0", "runAsNonRoot: true"), None),  # the kubelet refuses it
        ("", ctx("runAsUser: 0", "privileged: true"), None),  # TM-PRIV-001's
        ("      hostUsers: false\n", ctx("runAsUser: 0"), None),  # root in a user namespace
    ],
)
def test_root_is_flagged_only_when_the_manifest_says_so(
    tmp_path: Path, pod: str, container: str, expected: tuple[str, str] | None
) -> None:
    found = run(tmp_path, [ContainerRunsAsRoot()], NS, deployment("web", pod, container))
    want = {("TM-K8S-001", "Deployment/shop/web", *expected)} if expected else set()
    assert found == want


def test_a_root_init_container_counts_and_the_internet_raises_the_severity(
    tmp_path: Path,
) -> None:
    pod = (
        "      initContainers:\n        - name: chown\n          image: busybox:1.36\n"
        "          securityContext:\n            runAsUser: 0\n"
    )
    found = run(tmp_path, [ContainerRunsAsRoot()], NS, deployment("web", pod), ingress("web"))
    assert found == {("TM-K8S-001", "Deployment/shop/web", "high", "high")}


NON_ROOT = "runAsUser: 1000"


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        # non-root, escalation allowed by default: 002 only
        (ctx(NON_ROOT, "capabilities:", "  add: [NET_RAW]"), {("TM-K8S-002", "medium", "high")}),
        # non-root, escalation off: the capability is unreachable, nothing
        (
            ctx(NON_ROOT, "allowPrivilegeEscalation: false", "capabilities:", "  add: [NET_RAW]"),
            set(),
        ),
        # non-root with SYS_ADMIN: escalation cannot be switched off, 003 only
        (ctx(NON_ROOT, "capabilities:", "  add: [SYS_ADMIN]"), {("TM-K8S-003", "high", "high")}),
        # root: the capability is held, 001 and 003
        (
            ctx("runAsUser: 0", "capabilities:", "  add: [CAP_NET_ADMIN]"),
            {("TM-K8S-001", "medium", "high"), ("TM-K8S-003", "medium", "high")},
        ),
        # user unknown: 003; unconfirmed when escalation is off
        (ctx("capabilities:", "  add: [SYS_PTRACE]"), {("TM-K8S-003", "high", "high")}),
        (
            ctx("allowPrivilegeEscalation: false", "capabilities:", "  add: [NET_RAW]"),
            {("TM-K8S-003", "medium", "low")},
        ),
        # baseline capabilities are fine whoever runs them
        (ctx("capabilities:", "  add: [NET_BIND_SERVICE, CHOWN]"), set()),
        (ctx(NON_ROOT, "capabilities:", "  add: [NET_BIND_SERVICE]"), set()),
        # privileged: TM-PRIV-001 reports it once
        (ctx("privileged: true", "capabilities:", "  add: [SYS_ADMIN]"), set()),
    ],
)
def test_each_capability_case_has_exactly_one_owner(
    tmp_path: Path, container: str, expected: set[tuple[str, str, str]]
) -> None:
    found = run(tmp_path, HARDENING, NS, deployment("web", "", container))
    assert found == {(rule, "Deployment/shop/web", s, c) for rule, s, c in expected}


SA = """---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
%s---
apiVersion: rbac.authorization.k8s.io/v1
kind: %s
metadata:
  name: web
%s
rules:
  - apiGroups: [""]
    resources: [%s]
    verbs: [%s]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: %sBinding
metadata:
  name: web
%s
subjects:
  - kind: ServiceAccount
    name: web
    namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: %s
  name: web
"""


def rbac(
    kind: str = "Role", resources: str = "secrets", verbs: str = "get, list", sa: str = ""
) -> str:
    ns = "  namespace: shop" if kind == "Role" else ""
    return SA % (sa, kind, ns, resources, verbs, kind, ns, kind)


WEB_SA = "      serviceAccountName: web\n"


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        ((rbac(), ingress("web")), ("medium", "high")),
        ((rbac("ClusterRole", "pods/exec", "create"), ingress("web")), ("high", "high")),
        # not exposed, or the token is not mounted, or the grant is harmless: silent
        ((rbac(),), None),
        ((rbac(sa="automountServiceAccountToken: false\n"), ingress("web")), None),
        ((rbac(resources="configmaps"), ingress("web")), None),
        # cluster-admin-like wildcards are TM-RBAC-001's
        ((rbac(resources="'*'", verbs="'*'"), ingress("web")), None),
        # an internal load balancer is not the internet
        (
            (
                rbac(),
                ingress(
                    "web",
                    annotations="  annotations:\n    alb.ingress.kubernetes.io/scheme: internal",
                ),
            ),
            None,
        ),
    ],
)
def test_exposed_workload_with_api_token(
    tmp_path: Path, docs: tuple[str, ...], expected: tuple[str, str] | None
) -> None:
    found = run(tmp_path, [ExposedWorkloadWithApiToken()], NS, deployment("web", WEB_SA), *docs)
    want = {("TM-K8S-004", "Deployment/shop/web", *expected)} if expected else set()
    assert found == want


def test_api_token_is_unconfirmed_when_the_service_account_is_not_in_the_files(
    tmp_path: Path,
) -> None:
    bindings = rbac().split("---\n", 2)[2]  # without the ServiceAccount
    docs = (NS, deployment("web", WEB_SA), "---\n" + bindings, ingress("web"))
    found = run(tmp_path, [ExposedWorkloadWithApiToken()], *docs)
    assert found == {("TM-K8S-004", "Deployment/shop/web", "medium", "low")}


SCRATCH = "      volumes:\n        - name: tmp\n          emptyDir: {}\n"
LIMIT_RANGE = """---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: shop
spec:
  limits:
    - type: Container
      default:
        ephemeral-storage: 2Gi
"""


def test_unbounded_scratch_only_on_internet_facing_workloads(tmp_path: Path) -> None:
    rule: list[Rule] = [UnboundedScratchStorage()]
    exposed = run(tmp_path, rule, NS, deployment("web", SCRATCH), ingress("web"))
    assert exposed == {("TM-K8S-005", "Deployment/shop/web", "low", "medium")}
    assert run(tmp_path, rule, NS, deployment("web", SCRATCH)) == set()
    assert run(tmp_path, rule, NS, deployment("web", SCRATCH), ingress("web"), LIMIT_RANGE) == set()
    # a NodePort Service is an entry point only if the nodes are public, which is not known
    node_port = (
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-np\n  namespace: shop\n"
        "spec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n    - port: 80\n"
        "      targetPort: 8080\n      nodePort: 30080\n"
    )
    assert run(tmp_path, rule, NS, deployment("web", SCRATCH), node_port) == set()


PORTS = "  portLevelMtls:\n    %s:\n      mode: DISABLE\n"


def test_mtls_weakening_policies(tmp_path: Path) -> None:
    rule: list[Rule] = [MtlsWeakenedByPolicy()]
    caller = "          env:\n            - name: WEB_URL\n              value: http://web\n"
    base = (NS, deployment("web"), deployment("api", "", caller), PA % ("default", "", "STRICT"))
    # a workload DISABLE port carrying a known flow is medium; a metrics port is low
    used = run(tmp_path, rule, *base, PA % ("web", SELECT_WEB + PORTS % 8080, "STRICT"))
    assert used == {("TM-K8S-006", "PeerAuthentication/shop/web", "medium", "high")}
    unused = run(tmp_path, rule, *base, PA % ("web", SELECT_WEB + PORTS % 9090, "STRICT"))
    assert unused == {("TM-K8S-006", "PeerAuthentication/shop/web", "low", "high")}
    # a namespace that stays PERMISSIVE is TM-MTLS-001's; DISABLE is an explicit hole
    permissive = (NS, deployment("web"), PA % ("default", "", "PERMISSIVE"))
    assert run(tmp_path, rule, *permissive) == set()
    disabled = run(tmp_path, rule, NS, deployment("web"), PA % ("default", "", "DISABLE"))
    assert disabled == {("TM-K8S-006", "PeerAuthentication/shop/default", "medium", "high")}


def test_mtls_weakening_is_unconfirmed_when_the_mesh_is_not_known(tmp_path: Path) -> None:
    notes = "      annotations:\n        config.linkerd.io/skip-inbound-ports: '4000-4010'\n"
    found = run(tmp_path, [MtlsWeakenedByPolicy()], deployment("web", meta=notes))
    assert found == {("TM-K8S-006", "Deployment/shop/web", "low", "low")}


SAME_NS = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-namespace
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
"""
DB_CALLER = (
    "          env:\n            - name: DATABASE_URL\n"
    "              value: postgres://app@postgres:5432/app\n"
)
PG_SERVICE = """---
apiVersion: v1
kind: Service
metadata:
  name: postgres
  namespace: shop
spec:
  selector:
    app: postgres
  ports:
    - name: postgres
      port: 5432
"""


def test_datastore_open_to_every_pod_needs_a_pod_that_does_not_use_it(tmp_path: Path) -> None:
    rule: list[Rule] = [DatastoreOpenToEveryPod()]
    users = (NS, POSTGRES, PG_SERVICE, deployment("api", "", DB_CALLER), SAME_NS)
    assert run(tmp_path, rule, *users) == set()  # its only neighbour calls it
    found = run(tmp_path, rule, *users, deployment("web"))
    assert found == {("TM-K8S-007", "NetworkPolicy/shop/same-namespace", "medium", "medium")}
    # no policy isolates it at all: TM-SEG-001 reports the namespace
    assert run(tmp_path, rule, NS, POSTGRES, PG_SERVICE, deployment("web")) == set()


def test_datastore_routed_from_internet(tmp_path: Path) -> None:
    rule: list[Rule] = [DatastoreRoutedFromInternet()]
    found = run(tmp_path, rule, NS, POSTGRES, PG_SERVICE, ingress("postgres", 5432))
    assert found == {("TM-K8S-008", "StatefulSet/shop/postgres", "high", "high")}
    guarded = (
        "  annotations:\n    nginx.ingress.kubernetes.io/auth-url: https://sso.example.com/auth"
    )
    with_auth = run(tmp_path, rule, NS, POSTGRES, PG_SERVICE, ingress("postgres", 5432, guarded))
    assert with_auth == {("TM-K8S-008", "StatefulSet/shop/postgres", "medium", "high")}
    # a load-balancer Service in front is TM-PUB-001's
    lb = PG_SERVICE.replace("spec:\n", "spec:\n  type: LoadBalancer\n")
    assert run(tmp_path, rule, NS, POSTGRES, lb, ingress("postgres", 5432)) == set()
