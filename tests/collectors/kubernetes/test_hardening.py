"""Hardening facts of workloads: container parts, scratch storage, mesh overrides,
NetworkPolicy admission to datastores and where the token mount is decided."""

from __future__ import annotations

from collectors.kubernetes.manifests import objects
from collectors.kubernetes.mapping import to_fragment
from scanner.model import Element, Fact

NS = """apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio-injection: enabled
"""


def deployment(name: str, pod: str = "", container: str = "", meta: str = "") -> str:
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: {name}
{meta}    spec:
{pod}      containers:
        - name: {name}
          image: ghcr.io/acme/{name}:1.0.0
          ports:
            - name: http
              containerPort: 8080
{container}---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector:
    app: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def elements(*docs: str) -> dict[str, Element]:
    objs = list(objects("\n".join(docs), "shop.yaml"))
    return {e.name: e for e in to_fragment(objs).elements}


def line_of(needle: str, *docs: str) -> int:
    """The 1-based line of the first line containing needle in the joined documents."""
    lines = "\n".join(docs).splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def parts(e: Element) -> dict[str, dict[str, Fact]]:
    return {p.name: dict(p.props) for p in e.parts if p.kind == "container"}


def test_container_parts_take_the_pod_context_unless_the_container_overrides_it() -> None:
    pod = (
        "      securityContext:\n        runAsUser: 0\n"
        "      initContainers:\n        - name: fix-perms\n          image: busybox:1.36\n"
    )
    container = (
        "          securityContext:\n            runAsUser: 1000\n"
        "            allowPrivilegeEscalation: false\n"
        "            capabilities:\n              add: [cap_net_raw, NET_ADMIN, NET_RAW]\n"
    )
    docs = (NS, deployment("web", pod, container))
    web = elements(*docs)["web"]
    assert parts(web) == {
        "fix-perms": {
            "init": True,
            "run_as_user": 0,
            "privileged": False,
            "allow_privilege_escalation": True,  # unset: Kubernetes allows it
        },
        "web": {
            "run_as_user": 1000,
            "privileged": False,
            "allow_privilege_escalation": False,
            "added_capabilities": "NET_ADMIN,NET_RAW",
        },
    }
    init = next(p for p in web.parts if p.name == "fix-perms")
    where = {ev.fact: (ev.line, ev.detail) for ev in init.evidence}
    root = (line_of("runAsUser: 0", *docs), "runAsUser: 0 in the pod securityContext")
    assert where["run_as_user"] == root
    assert where["allow_privilege_escalation"][1] == "allowPrivilegeEscalation unset, so allowed"


def test_an_unstated_user_is_absent_not_root() -> None:
    web = elements(NS, deployment("web"))["web"]
    assert "run_as_user" not in parts(web)["web"]
    assert "run_as_non_root" not in parts(web)["web"]
    assert web.fact("user_namespace") is None
    userns = elements(NS, deployment("web", "      hostUsers: false\n"))["web"]
    assert userns.fact("user_namespace") is True


def test_scratch_is_unbounded_only_without_size_limit_and_container_limits() -> None:
    def scratch(volume: str, limits: str = "") -> Fact | None:
        pod = f"      volumes:\n        - name: tmp\n          emptyDir: {volume}\n"
        web = elements(NS, deployment("web", pod, limits))["web"]
        return web.fact("scratch_unbounded")

    assert scratch("{}") is True
    assert scratch("{sizeLimit: 1Gi}") is False
    assert (
        scratch(
            "{}",
            "          resources:\n            limits:\n              ephemeral-storage: 2Gi\n",
        )
        is False
    )
    assert scratch("{medium: Memory}") is None  # counts against the memory limit


PA = """---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: %s
  namespace: shop
spec:
%s  mtls:
    mode: %s
"""
SELECT_WEB = "  selector:\n    matchLabels:\n      app: web\n"


def test_mesh_facts_name_the_deciding_policy_and_what_it_overrides() -> None:
    ports = "  portLevelMtls:\n    9090:\n      mode: DISABLE\n    8080:\n      mode: STRICT\n"
    docs = (
        NS,
        deployment("web"),
        deployment("api"),
        PA % ("default", "", "STRICT"),
        PA % ("web", SELECT_WEB + ports, "PERMISSIVE"),
    )
    found = elements(*docs)
    web, api = found["web"], found["api"]
    assert (web.fact("mtls_mode"), web.fact("mtls_mode_inherited")) == ("PERMISSIVE", "STRICT")
    assert web.fact("mtls_port_modes") == "8080:STRICT,9090:DISABLE"
    assert web.evidence_for("mtls_mode").address == "PeerAuthentication/shop/web"
    assert web.evidence_for("mtls_mode_inherited").address == "PeerAuthentication/shop/default"
    assert (api.fact("mtls_mode"), api.fact("mtls_mode_inherited")) == ("STRICT", None)


def test_destination_rules_and_sidecar_exclusions_are_recorded() -> None:
    dr = (
        "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n"
        "  name: api\n  namespace: shop\nspec:\n  host: api\n  trafficPolicy:\n"
        "    tls:\n      mode: DISABLE\n"
    )
    notes = "      annotations:\n        traffic.sidecar.istio.io/excludeInboundPorts: '9090'\n"
    docs = (NS, deployment("web", meta=notes), deployment("api"), dr)
    found = elements(*docs)
    assert found["api"].fact("mtls_disabled_by") == "DestinationRule/shop/api"
    tls = line_of("mode: DISABLE", *docs)  # the tls block
    assert found["api"].evidence_for("mtls_disabled_by").line == tls
    assert found["web"].fact("mesh_bypass_ports") == "9090"
    assert found["web"].fact("mtls_disabled_by") is None


def test_unmeshed_workloads_get_no_mesh_facts() -> None:
    plain = NS.replace("  labels:\n    istio-injection: enabled\n", "")
    found = elements(plain, deployment("web"), PA % ("default", "", "DISABLE"))
    assert found["web"].fact("mtls_mode") is None


POSTGRES = """---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: postgres
          image: postgres:16
          ports:
            - containerPort: 5432
"""
NETPOL = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s
  namespace: shop
spec:
  podSelector:
%s
  policyTypes: [%s]
%s
"""


def test_broad_ingress_rules_on_a_datastore_and_who_they_admit() -> None:
    def facts_of(*policies: str) -> tuple[Fact | None, Fact | None]:
        pg = elements(NS, POSTGRES, deployment("web"), deployment("api"), *policies)["postgres"]
        return pg.fact("ingress_admits"), pg.fact("ingress_admitted")

    same_ns = NETPOL % (
        "same",
        "    {}",
        "Ingress",
        "  ingress:\n    - from:\n        - podSelector: {}",
    )
    assert facts_of(same_ns) == ("namespace", "Deployment/shop/api,Deployment/shop/web")
    any_ns = NETPOL % (
        "pg",
        "    matchLabels:\n      app: postgres",
        "Ingress",
        "  ingress:\n    - from:\n        - namespaceSelector: {}\n      ports:\n        - port: 5432",
    )
    assert facts_of(any_ns)[0] == "all-namespaces"
    anyone = NETPOL % ("pg", "    {}", "Ingress", "  ingress:\n    - ports:\n        - port: 5432")
    assert facts_of(anyone)[0] == "all-sources"
    # A rule on another port, or one naming its callers, is not broad.
    other_port = anyone.replace("port: 5432", "port: 8080")
    named = NETPOL % (
        "pg",
        "    {}",
        "Ingress",
        "  ingress:\n    - from:\n        - podSelector:\n"
        "            matchLabels:\n              app: api",
    )
    assert facts_of(other_port) == (None, None)
    assert facts_of(named) == (None, None)
    # The callers' egress policy counts: web may not send to postgres.
    web_egress = NETPOL % (
        "web-egress",
        "    matchLabels:\n      app: web",
        "Egress",
        "  egress:\n    - to:\n        - podSelector:\n            matchLabels:\n              app: api",
    )
    assert facts_of(same_ns, web_egress) == ("namespace", "Deployment/shop/api")


def test_token_evidence_points_where_the_mount_is_decided() -> None:
    sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n"
    pod = "      serviceAccountName: web\n"
    web = elements(NS, deployment("web", pod), sa)["web"]
    assert web.fact("automount_token") is True
    assert web.evidence_for("automount_token").address == "ServiceAccount/shop/web"
    stated = elements(NS, deployment("web", "      automountServiceAccountToken: false\n"))
    assert stated["web"].evidence_for("automount_token").address == "Deployment/shop/web"
    unknown = elements(NS, deployment("web", pod))["web"]
    assert all(ev.fact != "automount_token" for ev in unknown.evidence)
