"""Kubernetes manifests: workloads, Services, Ingresses and the flows between them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.pipeline import ScanOptions, ScanResult, scan
from scanner.reporters import json_report
from tests.conftest import REPO

SHOP = REPO / "fixtures" / "k8s-shop"


def short(element_id: str) -> str:
    return element_id.removeprefix("k8s:")


def test_shop_elements_and_zones() -> None:
    g = scan(SHOP).graph
    assert {(short(e.id), e.type, e.boundary) for e in g.elements} == {
        ("internet", "internet", "internet"),
        ("ext:api.stripe.com", "third-party-api", "internet"),
        ("ext:api.easypost.com", "third-party-api", "internet"),
        ("Deployment/shop/frontend", "container", "k8s:ns/shop"),
        ("Deployment/shop/cart", "container", "k8s:ns/shop"),
        ("Deployment/shop/orders", "container", "k8s:ns/shop"),
        ("Deployment/shop/catalog", "container", "k8s:ns/shop"),
        ("Deployment/shop/checkout", "container", "k8s:ns/shop"),
        ("Deployment/shop/recommendations", "container", "k8s:ns/shop"),
        ("Deployment/shop/shipping", "container", "k8s:ns/shop"),
        ("Deployment/payments/payments", "container", "k8s:ns/payments"),
        ("Deployment/payments/fraud", "container", "k8s:ns/payments"),
        ("StatefulSet/shop/postgres", "relational-db", "k8s:ns/shop"),
        ("Deployment/shop/redis", "cache", "k8s:ns/shop"),
        ("Service/shop/frontend", "network-load-balancer", "k8s:ns/shop"),
        ("Service/shop/redis-debug", "network-load-balancer", "k8s:ns/shop"),
        ("Ingress/shop/shop", "load-balancer", "k8s:ns/shop"),
        ("Ingress/shop/admin", "load-balancer", "k8s:ns/shop"),
    }
    assert {(b.id, b.type, b.parent) for b in g.boundaries} == {
        ("internet", "internet", None),
        ("k8s:cluster", "cluster", "internet"),
        ("k8s:ns/shop", "namespace", "k8s:cluster"),
        ("k8s:ns/payments", "namespace", "k8s:cluster"),
    }


def test_shop_flows_are_exact() -> None:
    g = scan(SHOP).graph
    flows = {
        (short(f.source), short(f.target), f.protocol, f.port, f.basis, f.tls) for f in g.flows
    }
    assert flows == {
        ("internet", "Service/shop/frontend", "http", 80, "called", False),
        ("internet", "Service/shop/redis-debug", "redis", 30379, "reachable", None),
        ("internet", "Ingress/shop/shop", "http", 80, "called", False),
        ("internet", "Ingress/shop/shop", "https", 443, "called", True),
        ("internet", "Ingress/shop/admin", "http", 80, "called", False),
        ("Service/shop/frontend", "Deployment/shop/frontend", "http", 8080, "called", None),
        ("Service/shop/redis-debug", "Deployment/shop/redis", "redis", 6379, "called", None),
        ("Ingress/shop/shop", "Deployment/shop/frontend", "http", 8080, "called", None),
        ("Ingress/shop/shop", "Deployment/shop/orders", "http", 8080, "called", None),
        ("Ingress/shop/admin", "Deployment/shop/orders", "http", 8080, "called", None),
        # Found in env vars, ConfigMaps and args, in every form a Service is named.
        ("Deployment/shop/frontend", "Deployment/shop/cart", "http", 8080, "called", False),
        ("Deployment/shop/frontend", "Deployment/shop/orders", "http", 8080, "called", False),
        ("Deployment/shop/frontend", "Deployment/shop/catalog", "http", 8080, "called", False),
        ("Deployment/shop/frontend", "Deployment/shop/checkout", "http", 8080, "called", False),
        (
            "Deployment/shop/frontend",
            "Deployment/shop/recommendations",
            "http",
            8080,
            "called",
            False,
        ),
        ("Deployment/shop/checkout", "Deployment/shop/cart", "http", 8080, "called", False),
        ("Deployment/shop/checkout", "Deployment/shop/orders", "http", 8080, "called", False),
        ("Deployment/shop/checkout", "Deployment/shop/shipping", "http", 8080, "called", False),
        (
            "Deployment/shop/recommendations",
            "Deployment/shop/catalog",
            "grpc",
            9090,
            "called",
            None,
        ),
        ("Deployment/shop/cart", "Deployment/shop/redis", "redis", 6379, "called", None),
        ("Deployment/shop/catalog", "Deployment/shop/redis", "redis", 6379, "called", False),
        ("Deployment/shop/catalog", "StatefulSet/shop/postgres", "postgres", 5432, "called", None),
        ("Deployment/shop/orders", "StatefulSet/shop/postgres", "postgres", 5432, "called", False),
        ("Deployment/shop/orders", "Deployment/payments/payments", "https", 8443, "called", True),
        (
            "Deployment/payments/payments",
            "Deployment/payments/fraud",
            "http",
            8080,
            "called",
            False,
        ),
        ("Deployment/payments/payments", "ext:api.stripe.com", "https", 443, "called", True),
        ("Deployment/shop/shipping", "ext:api.easypost.com", "https", 443, "called", True),
    }
    # Istio in payments: fraud is STRICT, payments PERMISSIVE; shop has no sidecars.
    # The payments NetworkPolicies admit exactly these calls.
    meshed = {(short(f.source), short(f.target), f.mtls, f.network_allowed) for f in g.flows}
    assert ("Deployment/payments/payments", "Deployment/payments/fraud", True, True) in meshed
    assert ("Deployment/shop/orders", "Deployment/payments/payments", False, True) in meshed
    derivations = {f.derivation for f in g.flows if f.source.endswith("orders")}
    assert (
        "inferred: env PAYMENTS_URL of Deployment/shop/orders names "
        "payments.payments.svc.cluster.local" in derivations
    )


def test_shop_findings() -> None:
    found = {
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in scan(SHOP).findings
    }
    assert found == {
        # A NodePort exposes redis on every node; whether nodes are public is not known.
        ("TM-PUB-001", "Deployment/shop/redis", "shop/redis.yaml", 78, "low"),
        ("TM-TLS-001", "Ingress/shop/admin", "shop/ingress.yaml", 37, "high"),
        ("TM-TLS-001", "Service/shop/frontend", "shop/frontend.yaml", 107, "high"),
        ("TM-RES-001", "Deployment/shop/shipping", "shop/shipping.yaml", 1, "medium"),
        # No sidecars in shop; payments is PERMISSIVE for its unmeshed caller orders.
        ("TM-MTLS-001", "Namespace/shop", "shop/cart.yaml", 35, "high"),
        ("TM-MTLS-001", "Namespace/payments", "shop/orders.yaml", 48, "high"),
        # No NetworkPolicy for shop: unconfirmed (policies may live elsewhere);
        # payments has its default-deny.
        ("TM-SEG-001", "Namespace/shop", "namespaces.yaml", 1, "low"),
        # The internet-facing nginx writes to emptyDirs with no sizeLimit, no
        # ephemeral-storage limit and no LimitRange in the namespace.
        ("TM-K8S-005", "Deployment/shop/frontend", "shop/frontend.yaml", 87, "medium"),
    }


def test_unconfirmed_exposure_says_what_is_not_known() -> None:
    (redis,) = [f for f in scan(SHOP).findings if f.rule == "TM-PUB-001"]
    assert redis.message == (
        "Deployment/shop/redis (cache) is reachable from the internet: internet -> "
        "Service/shop/redis-debug -> Deployment/shop/redis; unconfirmed: the scanned sources "
        "do not show whether the cluster's nodes are reachable from the internet (declared: "
        "NodePort Service Service/shop/redis-debug selects it)."
    )


def test_secrets_are_never_in_the_report() -> None:
    result = scan(SHOP)
    assert "change-me" not in json_report.render(result)
    assert result.skipped == {"other": 2}  # README.md and the GitHub workflow


def _scan(tmp_path: Path, text: str) -> ScanResult:
    (tmp_path / "app.yaml").write_text(text)
    return scan(tmp_path, options=ScanOptions(use_cache=False))


LB = """apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: web
%s
spec:
  type: LoadBalancer
  selector:
    app: api
%s
  ports:
    - name: http
      port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
spec:
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: api:1
"""


@pytest.mark.parametrize(
    ("annotations", "spec", "expected"),
    [
        ("", "", {("internet", "http", 80, False)}),
        (
            '  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: "true"',
            "",
            set(),
        ),
        ("", "  loadBalancerSourceRanges:\n    - 203.0.113.0/24", set()),
        (
            "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:x",
            "",
            {("internet", "http", 80, True)},
        ),
    ],
)
def test_load_balancer_service_exposure(
    tmp_path: Path, annotations: str, spec: str, expected: set[tuple[object, ...]]
) -> None:
    result = _scan(tmp_path, LB % (annotations, spec))
    flows = {
        (f.source, f.protocol, f.port, f.tls) for f in result.graph.flows if f.source == "internet"
    }
    assert flows == expected


def test_unstated_namespace_is_unknown_not_default(tmp_path: Path) -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: job\nspec: {}\n"
    result = _scan(tmp_path, text)
    elements = {(e.id, e.boundary) for e in result.graph.elements}
    assert ("k8s:Deployment/?/job", "k8s:cluster") in elements


def test_malformed_yaml_is_a_diagnostic_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(LB % ("", ""))
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [1, 2\n")
    result = scan(tmp_path, options=ScanOptions(use_cache=False))
    assert [(d.level, d.source, d.line, d.message) for d in result.diagnostics] == [
        ("error", "bad.yaml", 5, "YAML syntax error")
    ]
    assert "k8s:Deployment/web/api" in {e.id for e in result.graph.elements}


def test_only_hosts_outside_the_cluster_become_external(tmp_path: Path) -> None:
    env = "\n".join(
        f"            - name: {name}\n              value: {value}"
        for name, value in (
            ("A_URL", "http://orders.billing:8080"),  # a Service in a namespace we know
            ("B_URL", "http://10.0.3.7:9000"),  # a private address
            ("C_URL", "https://hooks.slack.com/services/x"),
            ("D_URL", "http://metrics.monitoring.svc:9090"),
        )
    )
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: billing\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: billing\n"
        "spec:\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n          env:\n"
        f"{env}\n"
    )
    result = _scan(tmp_path, text)
    assert {f.target for f in result.graph.flows} == {"ext:hooks.slack.com"}


def test_container_args_that_name_services_become_flows(tmp_path: Path) -> None:
    text = (
        LB % ("", "")
        + """---
apiVersion: v1
kind: Service
metadata:
  name: cache
  namespace: web
spec:
  selector:
    app: cache
  ports:
    - port: 6379
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: web
spec:
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: redis
          image: redis:7
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: warm
  namespace: web
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          labels:
            app: warm
        spec:
          containers:
            - name: warm
              image: warm:1
              command: ["sh", "-c", "curl -s http://api/warm && echo done"]
              args: ["--redis-host", "cache", "--verbose", "serve", "--bind=localhost:9000"]
"""
    )
    result = _scan(tmp_path, text)
    flows = {
        (f.protocol, f.port, f.target, f.evidence[0].detail)
        for f in result.graph.flows
        if f.source == "k8s:CronJob/web/warm"
    }
    assert flows == {
        ("http", 8080, "k8s:Deployment/web/api", "args names api"),
        ("tcp", 6379, "k8s:Deployment/web/cache", "args --redis-host names cache"),
    }


GATEWAY = """---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: web
spec:
  gatewayClassName: istio
  listeners:
    - name: http
      protocol: HTTP
      port: 80
    - name: https
      protocol: HTTPS
      port: 443
      hostname: shop.example.com
      tls:
        certificateRefs:
          - name: shop-cert
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: web
spec:
  parentRefs:
    - name: public
      sectionName: https
  rules:
    - backendRefs:
        - name: api
          port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: to-https
  namespace: web
spec:
  parentRefs:
    - name: public
      sectionName: http
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect:
            scheme: https
            statusCode: 301
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: elsewhere
  namespace: other
spec:
  parentRefs:
    - name: public
      namespace: web
  rules:
    - backendRefs:
        - name: api
          namespace: web
          port: 80
"""


def test_gateway_api_listeners_and_routes(tmp_path: Path) -> None:
    result = _scan(tmp_path, LB % ("", "") + GATEWAY)
    flows = {
        (short(f.source), short(f.target), f.protocol, f.port, f.tls)
        for f in result.graph.flows
        if "Gateway" in f.id
    }
    # the route from namespace `other` is not admitted (allowedRoutes defaults to Same)
    assert flows == {
        ("internet", "Gateway/web/public", "http", 80, False),
        ("internet", "Gateway/web/public", "https", 443, True),
        ("Gateway/web/public", "Deployment/web/api", "http", 8080, None),
    }
    gw = result.graph.element("k8s:Gateway/web/public")
    assert [(p.name, p.fact("redirects_to_https")) for p in gw.parts] == [
        ("HTTP:80", True),
        ("HTTPS:443", None),
    ]
    assert not [f for f in result.findings if f.resource == "Gateway/web/public"]


def test_gateway_http_listener_serving_routes_is_plaintext(tmp_path: Path) -> None:
    text = LB % ("", "") + GATEWAY.replace("sectionName: https", "sectionName: http")
    result = _scan(tmp_path, text)
    found = [
        (f.rule, f.resource, f.evidence[0].file, f.evidence[0].line)
        for f in result.findings
        if f.resource.startswith("Gateway")
    ]
    assert found == [("TM-TLS-001", "Gateway/web/public", "app.yaml", 40)]


def test_service_entries_declare_what_is_outside_the_mesh(tmp_path: Path) -> None:
    text = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: stripe
  namespace: pay
spec:
  hosts: ["*.stripe.com"]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: legacy
  namespace: pay
spec:
  hosts: [ledger.corp.example.com]
  location: MESH_INTERNAL
  resolution: DNS
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pay
  namespace: pay
spec:
  template:
    metadata:
      labels: {app: pay}
    spec:
      containers:
        - name: pay
          image: pay:1
          env:
            - {name: STRIPE_URL, value: "https://api.stripe.com/v1"}
            - {name: LEDGER_URL, value: "http://ledger.corp.example.com:8080"}
"""
    result = _scan(tmp_path, text)
    assert {(f.target, f.protocol, f.port, f.tls) for f in result.graph.flows} == {
        ("ext:*.stripe.com", "https", 443, True)
    }
    stripe = result.graph.element("ext:*.stripe.com")
    assert [(e.address, e.line) for e in stripe.evidence] == [("ServiceEntry/pay/stripe", 1)]
    assert "ext:ledger.corp.example.com" not in {e.id for e in result.graph.elements}


def _findings(root: Path) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in scan(root, options=ScanOptions(use_cache=False)).findings}


def test_shop_strict_payments_and_default_deny_shop(tmp_path: Path) -> None:
    shutil.copytree(SHOP, tmp_path / "shop")
    root = tmp_path / "shop"
    before = _findings(root)
    mesh = root / "payments" / "mesh.yaml"
    mesh.write_text(mesh.read_text().replace("mode: PERMISSIVE", "mode: STRICT"))
    assert _findings(root) == before - {("TM-MTLS-001", "Namespace/payments")}
    deny = (root / "payments" / "network-policy.yaml").read_text().split("---")[0]
    (root / "shop" / "deny.yaml").write_text(deny.replace("namespace: payments", "namespace: shop"))
    after = _findings(root)
    # A bare default-deny isolates shop and, with no allow policies, blocks every flow
    # into its pods: the NodePort path to redis and the plaintext calls go with it.
    assert after == before - {
        ("TM-MTLS-001", "Namespace/payments"),
        ("TM-SEG-001", "Namespace/shop"),
        ("TM-MTLS-001", "Namespace/shop"),
        ("TM-PUB-001", "Deployment/shop/redis"),
        ("TM-K8S-005", "Deployment/shop/frontend"),  # no longer reached from the internet
    }


ISTIO_GATEWAY = """---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: web
spec:
  selector:
    istio: ingressgateway
  servers:
    - port:
        number: 80
        name: http
        protocol: HTTP
      hosts: ["shop.example.com"]
      tls:
        httpsRedirect: true
    - port:
        number: 443
        name: https
        protocol: HTTPS
      hosts: ["shop.example.com"]
      tls:
        mode: SIMPLE
        credentialName: shop-cert
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
  namespace: web
spec:
  hosts: ["shop.example.com"]
  gateways: ["public"]
  http:
    - match:
        - uri:
            prefix: /api
      route:
        - destination:
            host: api.web.svc.cluster.local
            port:
              number: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: mesh-only
  namespace: web
spec:
  hosts: ["api"]
  http:
    - route:
        - destination:
            host: api
"""


def test_istio_gateway_servers_and_virtual_services(tmp_path: Path) -> None:
    result = _scan(tmp_path, LB % ("", "") + ISTIO_GATEWAY)
    flows = {
        (short(f.source), short(f.target), f.protocol, f.port, f.tls, f.evidence[0].line)
        for f in result.graph.flows
        if "Gateway" in f.id
    }
    assert flows == {
        ("internet", "Gateway/web/public", "http", 80, False, 41),
        ("internet", "Gateway/web/public", "https", 443, True, 48),
        ("Gateway/web/public", "Deployment/web/api", "http", 8080, None, 70),
    }
    assert not [f for f in result.findings if f.resource == "Gateway/web/public"]
    plain = _scan(tmp_path, LB % ("", "") + ISTIO_GATEWAY.replace("httpsRedirect: true", ""))
    assert [(f.rule, f.evidence[0].line) for f in plain.findings if "Gateway" in f.resource] == [
        ("TM-TLS-001", 41)
    ]


def test_credentials_in_urls_and_secret_vars_never_become_hosts(tmp_path: Path) -> None:
    env = "\n".join(
        f"            - name: {name}\n              value: {value}"
        for name, value in (
            ("AMQP_URL", "amqp://u:P@ss.w0rd@rabbit.example.com:5672/"),
            ("API_TOKEN", "tok.en:1234"),
        )
    )
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: billing\n"
        "spec:\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n          env:\n"
        f"{env}\n"
    )
    result = _scan(tmp_path, text)
    assert {f.target for f in result.graph.flows} == {"ext:rabbit.example.com"}
    report = json_report.render(result)
    assert "w0rd" not in report and "tok.en" not in report


def test_routes_use_the_service_port_they_name(tmp_path: Path) -> None:
    two_ports = (LB % ("", "")).replace(
        "      targetPort: 8080\n",
        "      targetPort: 8080\n    - name: metrics\n      port: 9090\n      targetPort: 9090\n",
    )
    ingress = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: web
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  name: http
"""
    result = _scan(tmp_path, two_ports + ingress)
    assert {
        (f.port, f.evidence[0].address)
        for f in result.graph.flows
        if f.source == "k8s:Ingress/web/api" and f.target.startswith("k8s:")
    } == {(8080, "Ingress/web/api")}


def test_two_label_hosts_are_external_only_with_a_public_tld(tmp_path: Path) -> None:
    env = "\n".join(
        f"            - name: {name}\n              value: {value}"
        for name, value in (("A_HOST", "redis.cache"), ("B_URL", "https://example.com/hook"))
    )
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: billing\n"
        "spec:\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n          env:\n"
        f"{env}\n"
    )
    assert {f.target for f in _scan(tmp_path, text).graph.flows} == {"ext:example.com"}
