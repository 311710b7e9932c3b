"""The rules engine: rule metadata, verdicts, and evaluation over the graph into findings."""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from scanner.catalogue import technology
from scanner.errors import RuleError
from scanner.graph import DFDGraph
from scanner.model import Confidence, Diagnostic, Element, Evidence, Finding, Severity

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
            raise RuleError(f"rule {self.id}: invalid STRIDE letters {bad}")
        unknown = set(self.controls) - CONTROLS
        if unknown:
            raise RuleError(f"rule {self.id}: unknown controls {sorted(unknown)}")


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
    part: str | None = None  # the part (listener, stage) the verdict is on, if any
    # More identity, when resource and part do not tell two verdicts apart (the same
    # operation in two API descriptions served by one element).
    key: str | None = None


class Rule:
    """Base class: subclasses set `meta` and implement `check`; the docstring documents."""

    meta: ClassVar[RuleMeta]

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


def fingerprint(rule_id: str, anchor: str, part: str, ends: Sequence[str]) -> str:
    """Stable across edits: the rule, the anchor's source-neutral identity, the
    sub-resource when the finding is on one (a listener, a stage), and the path ends.
    No line numbers, no message text."""
    text = "\x1f".join((rule_id, anchor, part, ">".join(ends)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def forwards(element: Element) -> bool:
    """A hop that passes connections on (an NLB, a NodePort Service): what is reachable
    through it is reachable from its callers. The `through` predicate of path queries."""
    return technology(element.type).forwards


def identity(graph: DFDGraph, element_id: str) -> str:
    """An element's source-neutral identity: its asset key when known, else its id.

    A key names a resource within an account and region (an RDS identifier, a queue
    name); read live, the account and region the element was read in are part of its
    identity, so the same names in two regions or accounts stay two things."""
    element = graph.get(element_id)
    if element is None or not element.key:
        return element_id
    live = next((ev for ev in element.evidence if ev.account), None)
    return f"{element.key}@{live.account}/{live.region or ''}" if live else element.key


@dataclass(frozen=True)
class Evaluation:
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]


def evaluate(graph: DFDGraph, rules: Sequence[Rule]) -> Evaluation:
    """Run every rule; a rule that raises becomes a diagnostic and the others still run."""
    findings: dict[str, Finding] = {}  # fingerprint/element -> finding
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
            # Two elements may share a fingerprint (one bucket name in a dev and a prod
            # root): each keeps its finding; one element's repeats are one finding.
            findings.setdefault(f"{finding.fingerprint}/{finding.element}", finding)
    ordered = sorted(findings.values(), key=Finding.sort_key)
    return Evaluation(tuple(ordered), tuple(diagnostics))


def _finding(graph: DFDGraph, meta: RuleMeta, v: Verdict) -> Finding:
    element = graph.get(v.element)
    # The sub-resource when it has its own address (a listener, a stage), else the part's
    # name (two listeners of one classic ELB share the ELB's address).
    own = element is None or v.resource != element.resource
    part = v.resource if own else (v.part or "")
    if v.key:
        part += f"\x1f{v.key}"
    ends = (identity(graph, v.path[0]), identity(graph, v.path[-1])) if v.path else ()
    confidence, message = v.confidence, v.message
    # An element whose count/for_each is unknown may not exist: nothing on it is confirmed.
    maybe = [
        e.resource
        for i in dict.fromkeys((*v.path, v.element))
        if (e := graph.get(i)) is not None and e.fact("existence_unknown") is True
    ]
    if maybe:
        confidence = Confidence.LOW
        message += f" Unconfirmed: {', '.join(maybe)} may not exist (count/for_each unknown)."
    return Finding(
        rule=meta.id,
        title=meta.title,
        severity=v.severity or meta.severity,
        confidence=confidence,
        stride=meta.stride,
        controls=meta.controls,
        resource=v.resource,
        element=v.element,
        message=message,
        remediation=v.remediation or meta.remediation,
        evidence=v.evidence,
        fingerprint=fingerprint(meta.id, identity(graph, v.element), part, ends),
        flow=v.flow,
        asset=element.key if element else None,
        path=v.path,
        references=meta.references,
    )
