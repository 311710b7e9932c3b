"""What several reporters need: STRIDE names, findings by anchor, short labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scanner.model import Confidence, Element, Finding, Flow, Severity

STRIDE_NAMES = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}


def anchors(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings by what they sit on: the flow id when a finding names a flow whose end is
    its element, else the element (or boundary) id. Open findings only (not suppressed)."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.suppression is None:
            out[f.element].append(f)
    return dict(out)


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


def element_label(element: Element) -> str:
    """The name a person knows the element by, and the address when it differs."""
    if element.name and element.name != element.resource:
        return f"{element.name}\n{element.resource}"
    return element.resource or element.name
