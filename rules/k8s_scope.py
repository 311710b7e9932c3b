"""Which Kubernetes workloads the K8S rules look at, and which of them face the internet."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import Element, Severity


def k8s_workloads(graph: DFDGraph) -> Iterator[Element]:
    return (e for e in graph.elements if e.id.startswith("k8s:") and e.fact("image"))


def internet_facing(graph: DFDGraph) -> dict[str, list[str]]:
    """Elements the internet reaches through entry points only (Ingress, Gateway,
    load-balancer Service): the first to handle what the internet sends, with the path.
    An entry point whose own exposure is unconfirmed (a NodePort Service: are the nodes
    public?) does not count."""
    return graph.internet_paths(
        through=lambda e: technology(e.type).entry_point and not e.fact("exposure_unconfirmed")
    )


def raised(severity: Severity, path: list[str] | None) -> Severity:
    """One level up (at most high) for an internet-facing workload."""
    return min(Severity(severity + 1), Severity.HIGH) if path else severity


def exposure(graph: DFDGraph, path: list[str] | None) -> str:
    if not path:
        return ""
    return " It faces the internet: " + " -> ".join(graph.element(n).resource for n in path) + "."
