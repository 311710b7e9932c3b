"""NetworkPolicy semantics: does the cluster's policy admit a flow between two pods?

A pod is isolated for ingress (egress) when any NetworkPolicy of its namespace selects it
with that policy type; it then accepts (sends) only what the union of those policies'
rules allow. Answers are tri-state: a peer given only as an ipBlock, a named port we
cannot resolve, or a namespace whose labels the files do not show makes the answer
unknown, never "denied".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collectors.kubernetes.manifests import K8sObject, clean
from collectors.kubernetes.workloads import containers, pod_labels
from scanner.model import all_of, any_of

_NAME_LABEL = "kubernetes.io/metadata.name"


def selects(selector: Any, labels: Mapping[str, str] | None) -> bool | None:
    """Does a label selector match these labels? (None labels = not known.)"""
    if not isinstance(selector, dict):
        return True  # absent selector: everything
    if labels is None:
        return (
            True
            if not selector.get("matchLabels") and not selector.get("matchExpressions")
            else None
        )
    checks: list[bool] = [
        labels.get(str(k)) == str(v) for k, v in (selector.get("matchLabels") or {}).items()
    ]
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = {str(v) for v in expr.get("values") or []}
        checks.append(
            {
                "In": labels.get(key) in values,
                "NotIn": labels.get(key) not in values,
                "Exists": key in labels,
                "DoesNotExist": key not in labels,
            }.get(op, False)
        )
    return all(checks)


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    """A NetworkPolicy's types: as stated, else Ingress, plus Egress when it has egress
    rules (an empty `egress: []` does not add it)."""
    stated = spec.get("policyTypes")
    if isinstance(stated, list) and stated:
        return [str(t) for t in stated]
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


class Policies:
    """The NetworkPolicies of a set of manifests, ready to judge pod-to-pod flows."""

    def __init__(self, objs: Iterable[K8sObject]) -> None:
        self.policies: list[tuple[K8sObject, dict[str, Any]]] = []
        self.namespace_labels: dict[str, dict[str, str]] = {}
        for o in objs:
            if o.kind == "NetworkPolicy":
                self.policies.append((o, clean(o.body.get("spec") or {})))
            elif o.kind == "Namespace":
                raw = clean((o.body.get("metadata") or {}).get("labels") or {})
                self.namespace_labels[o.name] = {str(k): str(v) for k, v in raw.items()}

    def _ns_selects(self, selector: Any, namespace: str) -> bool | None:
        """Does a namespaceSelector match a namespace? Without its Namespace object only
        the automatic name label is known; a selector on anything else is undecided."""
        if namespace in self.namespace_labels:
            return selects(selector, {**self.namespace_labels[namespace], _NAME_LABEL: namespace})
        keys = set((selector or {}).get("matchLabels") or {}) | {
            str(e.get("key")) for e in (selector or {}).get("matchExpressions") or []
        }
        if keys <= {_NAME_LABEL}:
            return selects(selector, {_NAME_LABEL: namespace})
        return None

    def _selecting(self, pod: K8sObject, direction: str) -> tuple[list[dict[str, Any]], bool]:
        """The policies that isolate a pod in a direction, and whether a policy whose
        namespace (or the pod's) is not stated might also select it."""
        out, undecided = [], False
        for policy, spec in self.policies:
            if direction not in policy_types(spec):
                continue
            if policy.namespace is None or pod.namespace is None:
                # a namespace left to kustomize/Helm: it may or may not be the pod's
                if selects(spec.get("podSelector"), pod_labels(pod)) is not False:
                    undecided = True
                continue
            if policy.namespace == pod.namespace and selects(
                spec.get("podSelector"), pod_labels(pod)
            ):
                out.append(spec)
        return out, undecided

    def _peer(self, peer: Any, policy_ns: str, other: K8sObject | None) -> bool | None:
        """Does one `from`/`to` entry match the pod at the other end (None: not a pod)?"""
        if not isinstance(peer, dict):
            return False
        if "ipBlock" in peer:
            return None  # pod and client addresses are not in the manifests
        if other is None:
            return None  # an ingress controller or load balancer we cannot see
        if other.namespace is None:
            ns_match: bool | None = None  # the caller's namespace is not stated
        elif "namespaceSelector" in peer:
            ns_match = self._ns_selects(peer["namespaceSelector"], other.namespace)
        else:
            ns_match = other.namespace == policy_ns
        pod_match = selects(peer.get("podSelector"), pod_labels(other))
        return all_of((ns_match, pod_match))

    def _port(self, rule_ports: Any, port: int | None, target: K8sObject) -> bool | None:
        if not rule_ports:
            return True
        verdicts: list[bool | None] = []
        for p in rule_ports:
            if not isinstance(p, dict):
                continue
            if str(p.get("protocol", "TCP")).upper() != "TCP":
                verdicts.append(False)
                continue
            number = p.get("port")
            if number is None:
                verdicts.append(True)
            elif port is None:
                verdicts.append(None)
            elif isinstance(number, str):
                verdicts.append(_named_port(target, number, port))
            else:
                end = p.get("endPort")
                verdicts.append(int(number) <= port <= int(end if end is not None else number))
        return any_of(verdicts)

    def _direction(
        self, pod: K8sObject, other: K8sObject | None, port: int | None, target: K8sObject, way: str
    ) -> bool | None:
        specs, undecided = self._selecting(pod, way.capitalize())
        if not specs:
            return None if undecided else True  # not isolated in this direction
        key, peers_key = (way, "from") if way == "ingress" else (way, "to")
        verdicts: list[bool | None] = []
        for spec in specs:
            for rule in spec.get(key) or []:
                if not isinstance(rule, dict):
                    continue
                peers = rule.get(peers_key)
                peer_ok = (
                    True
                    if not peers
                    else any_of(self._peer(p, str(pod.namespace), other) for p in peers)
                )
                verdicts.append(all_of((peer_ok, self._port(rule.get("ports"), port, target))))
        verdict = any_of(verdicts)
        return None if verdict is False and undecided else verdict  # it might allow it

    def allows(self, source: K8sObject | None, target: K8sObject, port: int | None) -> bool | None:
        """Does policy admit traffic from `source` (None: from outside the pods we know)
        to `target` on `port`? True / False / unknown."""
        ingress = self._direction(target, source, port, target, "ingress")
        egress = (
            self._direction(source, target, port, target, "egress") if source is not None else True
        )
        return all_of((ingress, egress))


def _named_port(workload: K8sObject, name: str, port: int) -> bool | None:
    for c in containers(workload):
        for p in c.get("ports") or []:
            if isinstance(p, dict) and p.get("name") == name:
                return p.get("containerPort") == port
    return None
