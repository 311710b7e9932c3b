"""Open questions: the facts a threat model needs that the scanned sources do not state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Finding, Flow
from scanner.reporters.common import flow_label, open_findings


@dataclass(frozen=True)
class Question:
    topic: str
    text: str


TOPICS = (
    "Encryption in transit across a boundary",
    "Mutual TLS between services",
    "Authentication of traffic from the internet",
    "Rate limiting at internet entry points",
    "Encryption at rest",
    "Unconfirmed findings",
)


def questions(
    graph: DFDGraph, findings: tuple[Finding, ...], name: Callable[[str], str]
) -> list[Question]:
    """Each unknown that decides whether a threat applies, as a question, in TOPICS order.
    `name` gives an element's display name (already escaped for the output)."""

    def flow(f: Flow) -> str:
        return f"{name(f.source)} → {name(f.target)} ({flow_label(f)})"

    out: list[Question] = []
    for f in graph.flows:
        if f.network_allowed is False:
            continue
        source, target = graph.get(f.source), graph.get(f.target)
        if f.tls is None and graph.crosses(f):
            out.append(Question(TOPICS[0], f"Is {flow(f)} encrypted in transit?"))
        if (
            f.mtls is None
            and f.tls is not True
            and source is not None
            and target is not None
            and source.kind == target.kind == "process"
            and _in_cluster(graph, source.boundary)
            and _in_cluster(graph, target.boundary)
        ):
            out.append(Question(TOPICS[1], f"Does {flow(f)} use mutual TLS?"))
        if f.source == INTERNET_ID and f.basis == "called" and target is not None:
            if f.authn is None:
                out.append(Question(TOPICS[2], f"Does {name(f.target)} authenticate {flow(f)}?"))
            if f.rate_limited is None and technology(target.type).serves_api:
                out.append(Question(TOPICS[3], f"Is {name(f.target)} rate-limited?"))
    for e in graph.elements:
        if e.kind == "datastore" and e.fact("encryption_at_rest") is None:
            out.append(Question(TOPICS[4], f"Is {name(e.id)} encrypted at rest?"))
    out.extend(
        Question(TOPICS[5], f"{f.rule} on {name(f.element)}: {f.message}")
        for f in open_findings(findings)
        if f.confidence == Confidence.LOW
    )
    order = {t: i for i, t in enumerate(TOPICS)}
    unique = list(dict.fromkeys(out))
    return sorted(unique, key=lambda q: order[q.topic])


def _in_cluster(graph: DFDGraph, boundary: str | None) -> bool:
    return any(graph.boundary(b).type == "cluster" for b in graph.ancestors(boundary))
