"""Kubernetes network rules: datastores open to every pod, or routed from the internet."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Flow, Severity

_SCOPES = {
    "namespace": "every pod in its namespace",
    "all-namespaces": "every pod in every namespace",
    "all-sources": "every source (any pod, node or address that can route to it)",
}


class DatastoreOpenToEveryPod(Rule):
    """A datastore whose NetworkPolicy admits every pod, not just the ones that use it.

    Flags a datastore workload (PostgreSQL, Redis, Elasticsearch, ... by image) that a
    NetworkPolicy isolates for ingress, when one of the policy's ingress rules, on the
    datastore's port, admits every pod of the namespace (`podSelector: {}`), every
    namespace (`namespaceSelector: {}`) or every source (no `from`, or an ipBlock of
    0.0.0.0/0). For a namespace-wide rule it fires only when a workload among the
    scanned manifests is admitted (by both its egress and the datastore's ingress
    policies) without calling the datastore; the message lists those paths. Which
    workloads call a datastore is inferred from their configuration, so that case is
    medium confidence; the wider rules admit pods outside the scanned files and are
    confirmed. Not flagged: a datastore no NetworkPolicy selects, in a namespace without
    default-deny (TM-SEG-001 reports the namespace), and selectors naming the callers.
    High for every source, otherwise medium.

    Why it matters: the isolation is there in name only: any compromised pod in scope
    reaches the data tier directly, one stolen or default password away from its data
    (lateral movement; CWE-653, CWE-923).

    Remediation: in the rule that admits the datastore's port, replace the empty
    selector with the labels of the workloads that use it (and a namespaceSelector for
    callers in other namespaces).
    """

    meta = RuleMeta(
        id="TM-K8S-007",
        name="datastore-open-to-every-pod",
        title="NetworkPolicy admits every pod to a datastore",
        stride=("E", "I"),
        controls=("network-segmentation",),
        severity=Severity.MEDIUM,
        remediation=(
            "Narrow the NetworkPolicy rule on the datastore's port to the podSelector "
            "(and namespaceSelector) of the workloads that use it."
        ),
        references=("CWE-653", "CWE-923", "OWASP ASVS 5.0 13.2.4", "Kubernetes NetworkPolicy"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for ds in graph.with_flag("stores_data"):
            scope = ds.fact("ingress_admits")
            rule = ds.evidence_for("ingress_admits")
            if not isinstance(scope, str) or scope not in _SCOPES or rule is None:
                continue
            callers = {graph.element(f.source).resource for f in graph.flows_into(ds.id, "called")}
            admitted = [a for a in str(ds.fact("ingress_admitted") or "").split(",") if a]
            excess = [a for a in admitted if a not in callers]
            if scope == "namespace" and not excess:
                continue
            policy = rule.address or ds.resource
            message = f"{policy} admits {_SCOPES[scope]} to {ds.resource}"
            if excess:
                paths = ", ".join(f"{a} -> {ds.resource}" for a in excess)
                message += f"; workloads that never call it can reach it: {paths}"
            used = ", ".join(sorted(callers)) or "none among the scanned manifests"
            yield Verdict(
                element=ds.id,
                resource=policy,
                message=f"{message} (its callers: {used}).",
                evidence=(rule, *ds.evidence[:1]),
                severity=Severity.HIGH if scope == "all-sources" else Severity.MEDIUM,
                confidence=Confidence.MEDIUM if scope == "namespace" else Confidence.HIGH,
            )


class DatastoreRoutedFromInternet(Rule):
    """A datastore that an Ingress or Gateway route publishes to the internet.

    Flags a datastore workload when an internet-facing Ingress, Gateway API Gateway or
    Istio Gateway routes to it (an Ingress path, HTTPRoute/TCPRoute/TLSRoute backend or
    VirtualService destination naming its Service). HTTP datastores (Elasticsearch,
    OpenSearch, CouchDB, MinIO, Solr) are fully usable through such a route, and TCP
    and TLS routes pass any protocol. Datastores reached through load-balancer or
    NodePort Services alone are TM-PUB-001's and not flagged again; internal load
    balancers have no internet path. High; medium when every route authenticates at the
    entry point (ingress-nginx auth-url or auth-type annotations): the store is then not
    anonymous, but it is still on the internet. Unconfirmed when a hop's exposure is not
    known.

    Why it matters: a datastore on the internet is one weak, default or leaked
    credential (or one unauthenticated API) away from a breach, and such endpoints are
    scanned for constantly (CWE-668, CWE-284).

    Remediation: remove the route; publish the application that uses the datastore, not
    the datastore. If a UI must be reachable (Kibana, a console), put authentication in
    front (auth-url with an identity-aware proxy) and restrict source ranges.
    """

    meta = RuleMeta(
        id="TM-K8S-008",
        name="datastore-routed-from-internet",
        title="Ingress or Gateway route publishes a datastore to the internet",
        stride=("I", "T"),
        controls=("public-exposure",),
        severity=Severity.HIGH,
        remediation=(
            "Remove the Ingress/Gateway route to the datastore's Service; route to the "
            "application that uses it instead."
        ),
        references=("CWE-668", "CWE-284", "OWASP ASVS 5.0 V13", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        direct = graph.internet_paths(through=lambda e: technology(e.type).forwards)
        routed = graph.internet_paths(through=lambda e: technology(e.type).entry_point)
        for ds in graph.with_flag("stores_data"):
            path = routed.get(ds.id)
            if path is None or ds.id in direct:
                continue  # not routed, or TM-PUB-001's
            routes = [
                f
                for f in graph.flows_into(ds.id, "called")
                if f.source in routed
                and technology(graph.element(f.source).type).entry_point
                # a Kubernetes route (Ingress, Gateway, VirtualService), not a CDN origin
                and any(ev.source in ("kubernetes", "k8s-live") for ev in f.evidence)
            ]
            if not routes:
                continue
            guarded = all(_authenticated(graph, f.source) for f in routes)
            names = sorted({ev.address or f.source for f in routes for ev in f.evidence[:1]})
            unconfirmed = next(
                (
                    fact
                    for n in path
                    if isinstance(fact := graph.element(n).fact("exposure_unconfirmed"), str)
                ),
                None,
            )
            hops = " -> ".join(graph.element(n).resource for n in path)
            message = f"{ds.resource} ({ds.type}) is published to the internet: {hops}"
            message += f" (routed by {', '.join(names)})"
            if guarded:
                message += "; every route authenticates at the entry point"
            if unconfirmed:
                message += f"; unconfirmed: the scanned sources do not show {unconfirmed}"
            yield Verdict(
                element=ds.id,
                resource=ds.resource,
                message=message + ".",
                evidence=tuple(dict.fromkeys(e for f in routes for e in f.evidence[:1])),
                flow=routes[0].id,
                path=tuple(path),
                severity=Severity.MEDIUM if guarded else Severity.HIGH,
                confidence=Confidence.LOW if unconfirmed else Confidence.HIGH,
                remediation=(
                    f"Remove the route to {ds.resource} from {', '.join(names)}; route to "
                    "the application that uses it, or put authentication in front."
                ),
            )


def _authenticated(graph: DFDGraph, entry: str) -> bool:
    """Every internet flow into the entry point carries an authentication scheme."""
    inbound: list[Flow] = [f for f in graph.flows_into(entry) if f.source == INTERNET_ID]
    return bool(inbound) and all(f.authn not in (None, "none") for f in inbound)
