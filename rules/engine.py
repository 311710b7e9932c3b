"""The rules engine: rule metadata, verdicts, and evaluation over the graph into findings."""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from scanner.graph import DFDGraph
from scanner.model import Confidence, Diagnostic, Evidence, Finding, Severity

log = logging.getLogger(__name__)

STRIDE = "STRIDE"
CONTROLS = frozenset(
    {
        "authn",
        "authz",
        "mtls",
        "tls",
        "rate-limit",
        "public-exposure",
        "encryption-at-rest",
        "audit-logging",
        "least-privilege",
        "network-segmentation",
        "secrets",
        "input-validation",
        "privileged-workload",
        "resource-limits",
    }
)


@dataclass(frozen=True)
class RuleMeta:
    """What a rule is: stable id (never reused), name, STRIDE letters, controls, severity."""

    id: str
    name: str
    title: str
    stride: tuple[str, ...]
    controls: tuple[str, ...]
    severity: Severity
    remediation: str
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [s for s in self.stride if s not in STRIDE or len(s) != 1]
        if bad:
            raise ValueError(f"rule {self.id}: invalid STRIDE letters {bad}")
        unknown = set(self.controls) - CONTROLS
        if unknown:
            raise ValueError(f"rule {self.id}: unknown controls {sorted(unknown)}")


@dataclass(frozen=True)
class Verdict:
    """A rule's raw result on one element, part or flow; the engine makes it a Finding."""

    element: str
    resource: str
    message: str
    evidence: tuple[Evidence, ...]
    flow: str | None = None
    path: tuple[str, ...] = ()
    confidence: Confidence = Confidence.HIGH
    severity: Severity | None = None  # overrides the rule's default
    remediation: str | None = None  # overrides the rule's default


class Rule:
    """Base class: subclasses set `meta` and implement `check`; the docstring documents."""

    meta: ClassVar[RuleMeta]

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


def fingerprint(rule_id: str, anchor: str, resource: str, path: Sequence[str]) -> str:
    """Stable across edits: rule, source-neutral anchor, resource and path ends only."""
    ends = f"{path[0]}>{path[-1]}" if path else ""
    text = "\x1f".join((rule_id, anchor, resource, ends))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Evaluation:
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]


def evaluate(graph: DFDGraph, rules: Sequence[Rule]) -> Evaluation:
    """Run every rule; a rule that raises becomes a diagnostic and the others still run."""
    findings: dict[str, Finding] = {}
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        meta = rule.meta
        try:
            verdicts = list(rule.check(graph))
        except Exception as e:
            log.debug("rule %s failed", meta.id, exc_info=True)
            diagnostics.append(
                Diagnostic("error", f"rule {meta.id}", f"rule raised {type(e).__name__}: {e}")
            )
            continue
        for v in verdicts:
            finding = _finding(graph, meta, v)
            findings.setdefault(finding.fingerprint, finding)
    ordered = sorted(findings.values(), key=Finding.sort_key)
    return Evaluation(tuple(ordered), tuple(diagnostics))


def _finding(graph: DFDGraph, meta: RuleMeta, v: Verdict) -> Finding:
    element = graph.get(v.element)
    anchor = (element.key if element and element.key else None) or v.element
    return Finding(
        rule=meta.id,
        title=meta.title,
        severity=v.severity or meta.severity,
        confidence=v.confidence,
        stride=meta.stride,
        controls=meta.controls,
        resource=v.resource,
        element=v.element,
        message=v.message,
        remediation=v.remediation or meta.remediation,
        evidence=v.evidence,
        fingerprint=fingerprint(meta.id, anchor, v.resource, v.path),
        flow=v.flow,
        asset=element.key if element else None,
        path=v.path,
        references=meta.references,
    )
