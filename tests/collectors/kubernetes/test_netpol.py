"""NetworkPolicy semantics: which pod-to-pod flows the cluster's policies admit."""

from __future__ import annotations

import pytest

from collectors.kubernetes.manifests import K8sObject, objects
from collectors.kubernetes.netpol import Policies, selects

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: web, image: web:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1
          ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: prom, namespace: monitoring}
spec:
  template:
    metadata: {labels: {app: prometheus}}
    spec: {containers: [{name: prom, image: prom:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: job, namespace: ops}
spec:
  template:
    metadata: {labels: {app: job}}
    spec: {containers: [{name: job, image: job:1}]}
"""

DENY_ALL = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""

API_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [front]}]}}]
      ports: [{port: http}]
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
          podSelector: {matchLabels: {app: prometheus}}
      ports: [{port: 9000, endPort: 9100}]
    - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
"""

WEB_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 8080, protocol: TCP}]
"""


def _objs(*docs: str) -> dict[str, K8sObject]:
    found = list(objects("\n---\n".join((PODS, *docs)), "all.yaml"))
    return {o.name: o for o in found}


def _policies(*docs: str) -> Policies:
    return Policies(objects("\n---\n".join((PODS, *docs)), "all.yaml"))


def test_without_policies_everything_is_admitted() -> None:
    pods = _objs()
    assert _policies().allows(pods["web"], pods["api"], 8080) is True


def test_default_deny_blocks_both_directions() -> None:
    pods = _objs()
    policies = _policies(DENY_ALL)
    assert policies.allows(pods["web"], pods["api"], 8080) is False
    assert policies.allows(pods["prom"], pods["api"], 9090) is False
    assert policies.allows(pods["api"], pods["prom"], 9090) is False  # api's egress


@pytest.mark.parametrize(
    ("source", "port", "expected"),
    [
        ("web", 8080, True),  # matchExpressions + the named port http = 8080
        ("web", 9090, False),  # the named port does not cover metrics
        ("prom", 9090, True),  # namespace by its automatic name label, pod, port range
        # monitoring has no Namespace object: might it carry team=ops? unknown
        ("prom", 8080, None),
        # ops has no labels beyond its name in the files: team=ops does not match
        ("job", 8080, False),
    ],
)
def test_ingress_rules_admit_only_their_peers_and_ports(
    source: str, port: int, expected: bool | None
) -> None:
    pods = _objs()
    assert _policies(API_INGRESS).allows(pods[source], pods["api"], port) is expected


def test_namespace_labels_unknown_without_the_namespace_object() -> None:
    # monitoring has no Namespace object: a selector on other labels cannot be decided.
    pods = _objs()
    policy = API_INGRESS.replace("kubernetes.io/metadata.name: monitoring", "team: observability")
    assert _policies(policy).allows(pods["prom"], pods["api"], 9090) is None


def test_egress_policies_limit_the_caller() -> None:
    pods = _objs()
    policies = _policies(WEB_EGRESS)
    assert policies.allows(pods["web"], pods["api"], 8080) is True
    assert policies.allows(pods["web"], pods["api"], 9090) is False
    assert policies.allows(pods["web"], pods["prom"], 9090) is False
    assert policies.allows(pods["job"], pods["api"], 9090) is True  # job is not selected


def test_unseen_sources_and_ip_blocks_are_unknown() -> None:
    pods = _objs()
    ip_block = API_INGRESS.replace(
        "- from: [{podSelector: {matchExpressions",
        "- from: [{ipBlock: {cidr: 10.0.0.0/8}}]\n      ports: [{port: http}]\n    - from: [{podSelector: {matchExpressions",
    )
    policies = _policies(ip_block)
    assert policies.allows(None, pods["api"], 8080) is None  # an ingress controller
    # a pod's address may or may not fall in the block: unknown
    assert policies.allows(pods["job"], pods["api"], 8080) is None
    assert policies.allows(pods["job"], pods["api"], 9090) is False
    assert policies.allows(pods["web"], pods["api"], 8080) is True


def test_selector_operators() -> None:
    labels = {"app": "api", "tier": "back"}
    assert selects(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, labels
    )
    assert selects({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, labels)
    assert not selects({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, labels)
    assert selects({}, labels) is True
    assert selects({"matchLabels": {"app": "api"}}, None) is None


def test_policy_types_default_and_empty_egress() -> None:
    pods = _objs()
    # egress: [] does not isolate egress; ingress: [{}] admits everything
    open_policy = DENY_ALL.replace(
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}",
        "spec: {podSelector: {}, ingress: [{}], egress: []}",
    )
    assert _policies(open_policy).allows(pods["web"], pods["api"], 8080) is True
    # ingress: [] without policyTypes is a default-deny for ingress
    deny = DENY_ALL.replace(
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}",
        "spec: {podSelector: {}, ingress: []}",
    )
    assert _policies(deny).allows(pods["web"], pods["api"], 8080) is False


def test_unstated_namespaces_are_unknown() -> None:
    pods = _objs()
    helm_policy = DENY_ALL.replace(
        "metadata: {name: deny, namespace: shop}", "metadata: {name: deny}"
    )
    assert _policies(helm_policy).allows(pods["web"], pods["api"], 8080) is None
    loose = list(
        objects(
            PODS.replace("metadata: {name: web, namespace: shop}", "metadata: {name: web}"),
            "a.yaml",
        )
    )
    web = next(o for o in loose if o.name == "web")
    policy = Policies([*loose, *objects(API_INGRESS, "p.yaml")])
    assert policy.allows(web, pods["api"], 8080) is None  # which namespace is web in?
