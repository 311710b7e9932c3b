"""What several reporters need: STRIDE names, findings by anchor, short labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scanner.model import STRIDE_NAMES, Confidence, Element, Finding, Flow, Severity

__all__ = [
    "STRIDE_NAMES",
    "anchors",
    "display_names",
    "flow_label",
    "open_findings",
    "transport",
    "worst",
]


def open_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are neither suppressed nor in the baseline."""
    return [f for f in findings if f.suppression is None]


def anchors(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Open findings by the element (or, for zone-level findings, boundary) they sit on."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in open_findings(findings):
        out[f.element].append(f)
    return dict(out)


def display_names(elements: Iterable[Element]) -> dict[str, str]:
    """Element id -> the name a reader knows it by: its name, or its address when the
    name is missing or shared with another element (a Service and its Deployment)."""
    items = list(elements)
    counts: dict[str, int] = defaultdict(int)
    for e in items:
        counts[(e.name or e.resource).lower()] += 1
    return {
        e.id: (e.name or e.resource) if counts[(e.name or e.resource).lower()] == 1 else e.resource
        for e in items
    }


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The highest severity among confirmed findings, or None."""
    sev = [f.severity for f in findings if f.confidence != Confidence.LOW]
    return max(sev) if sev else None


def flow_label(flow: Flow) -> str:
    """`https/443`, `tcp/*`."""
    return f"{flow.protocol}/{'*' if flow.port is None else flow.port}"


def transport(flow: Flow) -> str:
    """The transport state a diagram shows: mtls, tls, plaintext or unknown."""
    if flow.mtls is True:
        return "mtls"
    if flow.tls is True:
        return "tls"
    if flow.tls is False:
        return "plaintext"
    return "unknown"
