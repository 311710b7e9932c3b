"""Zone rules: namespaces without default-deny isolation or without enforced mTLS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import Confidence, Evidence, Flow, Severity, TrustBoundary


def _namespaces(graph: DFDGraph) -> Iterable[TrustBoundary]:
    holding = {e.boundary for e in graph.elements if e.id.startswith("k8s:") and e.fact("image")}
    return (b for b in graph.boundaries if b.type == "namespace" and b.id in holding)


class NamespaceWithoutDefaultDeny(Rule):
    """A namespace whose pods accept traffic from anywhere in the cluster.

    Flags each namespace that runs workloads when no NetworkPolicy selects all of its
    pods for Ingress with no rules (the default-deny policy). When the scanned manifests
    hold other NetworkPolicies for the namespace but no default-deny, the finding is
    confirmed; when they hold none at all, it is unconfirmed, since policies may be
    applied from elsewhere. One finding per namespace, not per pod.

    Why it matters: without default-deny, a single compromised pod can reach every
    service and datastore in the cluster (lateral movement; CWE-923).

    Remediation: add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]`
    to the namespace, then allow the flows the services need.
    """

    meta = RuleMeta(
        id="TM-SEG-001",
        name="namespace-without-default-deny",
        title="Namespace without default-deny network isolation",
        stride=("E", "I"),
        controls=("network-segmentation",),
        severity=Severity.MEDIUM,
        remediation=(
            "Add a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress]) and "
            "explicit allow policies for the flows the namespace needs."
        ),
        references=("CWE-923", "CWE-653", "Kubernetes NetworkPolicy"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for ns in _namespaces(graph):
            if ns.props.get("default_deny_ingress") is True:
                continue
            count = ns.props.get("network_policies")
            some = isinstance(count, int) and count > 0
            yield Verdict(
                element=ns.id,
                resource=f"Namespace/{ns.name}",
                message=(
                    f"Namespace {ns.name} has no default-deny ingress NetworkPolicy"
                    + ("" if some else " among the scanned manifests")
                    + "; every pod in the cluster can reach its pods."
                ),
                evidence=ns.evidence[:1] or _first_workload_evidence(graph, ns),
                confidence=Confidence.HIGH if some else Confidence.LOW,
            )


class ServiceFlowWithoutMtls(Rule):
    """Service-to-service traffic into a namespace that mutual TLS does not protect.

    Flags a namespace once, listing its flows, when workloads call workloads in it and
    the mesh does not enforce mTLS on those flows: an end without a sidecar, or a
    PeerAuthentication that is PERMISSIVE (Istio's default) rather than STRICT. Flows
    whose mTLS state is unknown (no sign of a mesh) are not flagged.

    Why it matters: without enforced mTLS, any pod can impersonate a client and read or
    alter traffic between services (zero trust; CWE-319, CWE-287).

    Remediation: inject the sidecar into both ends and set a STRICT PeerAuthentication
    on the namespace (or the workload and port).
    """

    meta = RuleMeta(
        id="TM-MTLS-001",
        name="service-flow-without-mtls",
        title="Service-to-service traffic without enforced mTLS",
        stride=("S", "T", "I"),
        controls=("mtls",),
        severity=Severity.MEDIUM,
        remediation=("Mesh both workloads and apply a STRICT PeerAuthentication to the namespace."),
        references=("CWE-319", "CWE-287", "OWASP ASVS 5.0 12.3.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        by_zone: dict[str, list[Flow]] = defaultdict(list)
        for f in graph.flows:
            src, dst = graph.get(f.source), graph.get(f.target)
            if f.basis != "called" or f.mtls is not False or f.network_allowed is False:
                continue
            if src is None or dst is None:
                continue
            if src.fact("image") and dst.fact("image") and dst.boundary:
                by_zone[dst.boundary].append(f)
        for zone_id, flows in sorted(by_zone.items()):
            zone = graph.boundary(zone_id)
            names = ", ".join(
                f"{graph.element(f.source).resource} -> {graph.element(f.target).resource}"
                for f in flows
            )
            yield Verdict(
                element=zone.id,
                resource=f"Namespace/{zone.name}",
                message=f"mTLS is not enforced on {len(flows)} flow(s) into {zone.name}: {names}.",
                evidence=tuple(dict.fromkeys(ev for f in flows for ev in f.evidence[:1])),
                flow=flows[0].id,
            )


def _first_workload_evidence(graph: DFDGraph, ns: TrustBoundary) -> tuple[Evidence, ...]:
    found = next((e for e in graph.elements if e.boundary == ns.id and e.evidence), None)
    return found.evidence[:1] if found else ()
