"""Open Threat Model (OTM 0.2.0) export: zones, components, dataflows, threats, mitigations."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from scanner import __version__
from scanner.graph import DFDGraph
from scanner.model import Confidence, Element, Evidence, Finding, Flow, Severity, TrustBoundary
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import STRIDE_NAMES, flow_label

OTM_VERSION = "0.2.0"
REPRESENTATION = {"id": "dfd", "name": "Data-flow diagram", "type": "diagram"}
RISK_REDUCTION = 80  # what applying a rule's remediation is assumed to remove
UNKNOWN_TRUST = 50  # the rating of the stand-in zone for elements with no known zone
TRANSPORT = frozenset({"tls", "mtls"})  # findings about these sit on the dataflow itself
# impact from severity, likelihood from confidence; for confirmed (high-confidence)
# findings, Threat Dragon's OTM import (likelihood * impact / 1000) gives back the severity.
IMPACT = {
    Severity.CRITICAL: 100,
    Severity.HIGH: 80,
    Severity.MEDIUM: 60,
    Severity.LOW: 40,
    Severity.INFO: 10,
}
LIKELIHOOD = {Confidence.HIGH: 90, Confidence.MEDIUM: 60, Confidence.LOW: 30}
COMPONENT_TYPES = {"internet": "generic-client"}  # the internet is a zone; its node a client

FLOW_FACTS = ("tls", "mtls", "authn", "authz", "rate_limited", "network_allowed")

Doc = dict[str, Any]


@dataclass(frozen=True, order=True)
class Anchor:
    """Where one threat instance goes: an element's component, a flow's dataflow, or a
    stand-in component (for a zone with no components, or an element not in the model)."""

    kind: Literal["element", "flow", "stand-in"]
    ref: str  # element id, flow id, or the finding's boundary / unknown element id


def trust_rating(trust: int) -> int:
    """Model trust (0 = internet) -> OTM trustRating (100 = trusted): 0 -> 1, t -> 20 + 20t,
    capped at 100 (account 40, vpc/cluster 60, private subnet/namespace 80)."""
    return 1 if trust <= 0 else min(100, 20 + 20 * trust)


def risk(finding: Finding) -> dict[str, int | str]:
    """OTM threat risk: impact from severity, likelihood from confidence (0-100)."""
    return {
        "impact": IMPACT[finding.severity],
        "impactComment": f"severity {finding.severity.label}",
        "likelihood": LIKELIHOOD[finding.confidence],
        "likelihoodComment": f"confidence {finding.confidence.label}",
    }


def cwes(references: Iterable[str]) -> list[str]:
    """The CWE ids among a rule's references, normalised to `CWE-<n>`, in order."""
    found = (m.group(1) for r in references if (m := re.search(r"\bCWE-(\d+)\b", r, re.I)))
    return list(dict.fromkeys(f"CWE-{n}" for n in found))


def mitigation_id(rule: str) -> str:
    return f"mitigation-{rule.lower()}"


def slug(text: str) -> str:
    """`k8s:ns/shop` -> `k8s-ns-shop`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def allocate(keys: Iterable[str], taken: Set[str], salt: str, suffix: str = "") -> dict[str, str]:
    """A stable id per key: its slug, or, when the slug collides with another key's or
    with `taken`, the slug plus a short hash of the key (every colliding key gets one)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in sorted(set(keys)):
        groups[(slug(key) or salt) + suffix].append(key)
    out = {ms[0]: s for s, ms in groups.items() if len(ms) == 1 and s not in taken}
    used = set(taken) | set(out.values())
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            continue
        for key in members:
            digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()
            size = 8
            while (candidate := f"{base}-{digest[:size]}") in used:
                size += 4
            out[key] = candidate
            used.add(candidate)
    return out


def place(graph: DFDGraph, flows: Set[str], finding: Finding) -> tuple[Anchor, ...]:
    """Where a finding's threat instances go. On its element's component, or on the
    dataflow when it is about transport (tls/mtls). A zone-level finding (element = a
    boundary id; OTM zones carry no threats) goes on the dataflow it names, else on every
    component inside the zone, else on a stand-in component of the zone. Nothing is lost."""
    on_flow = finding.flow if finding.flow in flows else None
    if graph.get(finding.element) is not None:
        if on_flow is not None and TRANSPORT & set(finding.controls):
            return (Anchor("flow", on_flow),)
        return (Anchor("element", finding.element),)
    if on_flow is not None:
        return (Anchor("flow", on_flow),)
    if finding.element in {b.id for b in graph.boundaries}:
        inside = [e.id for e in graph.elements if graph.within(e.id, finding.element)]
        if inside:
            return tuple(Anchor("element", i) for i in inside)
    return (Anchor("stand-in", finding.element),)


def _text(value: bool | int | str) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _where(evidence: Iterable[Evidence]) -> str | None:
    """The first evidence's location as `file:line` or URI, if it has one."""
    first = next(iter(evidence), None)
    return first.short() if first is not None and (first.file or first.uri) else None


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+|;\s+", text.strip(), maxsplit=1)[0].rstrip(".")


class _Builder:
    """Ids for every model object, then the OTM sections built from them."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.metas = {r.meta.id: r.meta for r in result.rules}
        g = self.graph = result.graph
        found: dict[str, Finding] = {}
        for f in result.findings:
            if f.suppression is None:
                found.setdefault(f.fingerprint, f)
        self.findings = [found[k] for k in sorted(found)]
        flow_ids = frozenset(f.id for f in g.flows)
        self.placed = {f.fingerprint: place(g, flow_ids, f) for f in self.findings}
        stand_ins = {a.ref for p in self.placed.values() for a in p if a.kind == "stand-in"}
        self.zones = allocate((b.id for b in g.boundaries), set(), "zone")
        taken = set(self.zones.values())
        homeless = {e.boundary for e in g.elements} | stand_ins
        self.unzoned = None if homeless <= set(self.zones) else "unzoned"
        if self.unzoned is not None:
            self.unzoned = allocate([self.unzoned], taken, "unzoned")[self.unzoned]
            taken.add(self.unzoned)
        self.components = allocate((e.id for e in g.elements), taken, "component")
        taken |= set(self.components.values())
        self.stand_ins = allocate(stand_ins, taken, "stand-in", "-findings")
        taken |= set(self.stand_ins.values())
        self.dataflows = allocate(flow_ids, taken, "dataflow")
        self.instances: dict[Anchor, list[Doc]] = defaultdict(list)
        for f in self.findings:
            for anchor in self.placed[f.fingerprint]:  # fresh objects: no YAML aliases
                required = [{"mitigation": mitigation_id(f.rule), "state": "required"}]
                self.instances[anchor].append(
                    {"threat": f.fingerprint, "state": "exposed", "mitigations": required}
                )

    def _with_threats(self, item: Doc, anchor: Anchor) -> Doc:
        threats = self.instances.get(anchor)
        return {**item, "threats": threats} if threats else item

    def zone(self, b: TrustBoundary) -> Doc:
        chain = self.graph.ancestors(b.parent)
        out: Doc = {
            "id": self.zones[b.id],
            "name": b.name or b.id,
            "type": b.type,
            "risk": {"trustRating": trust_rating(b.trust)},
            "attributes": {"tmscan_id": b.id, "trust": str(b.trust)},
        }
        if b.parent in self.zones and b.id not in chain:  # a cyclic chain becomes roots
            out["parent"] = {"trustZone": self.zones[b.parent]}
        return out

    def component(self, e: Element) -> Doc:
        attributes = {"tmscan_id": e.id, "resource": e.resource}
        if e.key:
            attributes["asset"] = e.key
        if (where := _where(e.evidence)) is not None:
            attributes["location"] = where
        zone = self.zones.get(e.boundary or "", self.unzoned)
        item: Doc = {
            "id": self.components[e.id],
            "name": e.name or e.resource or e.id,
            "type": COMPONENT_TYPES.get(e.type, e.type),
            "parent": {"trustZone": zone},
            "tags": [e.kind],
            "attributes": attributes,
        }
        return self._with_threats(item, Anchor("element", e.id))

    def stand_in(self, ref: str, cid: str) -> Doc:
        """A component holding the findings on an empty zone or an element not in the model."""
        zone = ref in self.zones
        item: Doc = {
            "id": cid,
            "name": f"{self.graph.boundary(ref).name if zone else ref} (findings)",
            "type": "trust-zone" if zone else "unknown",
            "parent": {"trustZone": self.zones[ref] if zone else self.unzoned},
            "tags": ["zone-level" if zone else "not-in-model"],
            "attributes": {"tmscan_id": ref},
        }
        return self._with_threats(item, Anchor("stand-in", ref))

    def dataflow(self, f: Flow) -> Doc:
        attributes = {"tmscan_id": f.id, "basis": f.basis, "derivation": f.derivation}
        attributes |= {k: _text(v) for k in FLOW_FACTS if (v := getattr(f, k)) is not None}
        if f.data:
            attributes["data"] = ", ".join(f.data)
        if (where := _where(f.evidence)) is not None:
            attributes["location"] = where
        tags = [f.basis, f.protocol] + (["blocked"] if f.network_allowed is False else [])
        item: Doc = {
            "id": self.dataflows[f.id],
            "name": flow_label(f),
            "source": self.components[f.source],
            "destination": self.components[f.target],
            "bidirectional": False,
            "tags": tags,
            "attributes": attributes,
        }
        return self._with_threats(item, Anchor("flow", f.id))

    def remediation(self, rule: str, finding: Finding) -> str:
        meta = self.metas.get(rule)
        return meta.remediation if meta is not None else finding.remediation

    def threat(self, f: Finding) -> Doc:
        parts = [f.message, f"Resource: {f.resource}."]
        attributes = {
            "rule": f.rule,
            "fingerprint": f.fingerprint,
            "severity": f.severity.label,
            "confidence": f.confidence.label,
            "resource": f.resource,
        }
        if f.asset:
            attributes["asset"] = f.asset
        if (where := _where(f.evidence)) is not None:
            parts.append(f"Location: {where}.")
            attributes["location"] = where
        if f.remediation != self.remediation(f.rule, f):
            parts.append(f"Remediation: {f.remediation}")
        out: Doc = {
            "id": f.fingerprint,
            "name": f"{f.rule}: {f.title}",
            "description": " ".join(parts),
            "categories": [STRIDE_NAMES[s] for s in f.stride if s in STRIDE_NAMES],
            "risk": risk(f),
            "tags": list(f.controls),
            "attributes": attributes,
        }
        if found := cwes(f.references):
            out["cwes"] = found
        return out

    def mitigations(self) -> list[Doc]:
        first: dict[str, Finding] = {}
        for f in self.findings:
            first.setdefault(f.rule, f)
        out: list[Doc] = []
        for rule, finding in sorted(first.items()):
            text = self.remediation(rule, finding)
            out.append(
                {
                    "id": mitigation_id(rule),
                    "name": _first_sentence(text) or f"Fix {rule}",
                    "description": text or finding.title,
                    "riskReduction": RISK_REDUCTION,
                    "attributes": {"rule": rule},
                }
            )
        return out

    def document(self) -> Doc:
        g, root = self.graph, self.result.root
        zones = [self.zone(b) for b in g.boundaries]
        if self.unzoned is not None:
            zones.append(
                {
                    "id": self.unzoned,
                    "name": "Zone not known",
                    "type": "unknown",
                    "risk": {"trustRating": UNKNOWN_TRUST},
                }
            )
        sources = len(self.result.inputs)
        return {
            "otmVersion": OTM_VERSION,
            "project": {
                "name": root,
                "id": slug(root) or "tmscan",
                "description": (
                    f"Generated by tmscan from {sources} source(s); a first draft to review."
                ),
                "attributes": {"generator": f"tmscan {__version__}"},
            },
            "representations": [dict(REPRESENTATION)],
            "trustZones": zones,
            "components": [self.component(e) for e in g.elements]
            + [self.stand_in(ref, cid) for ref, cid in sorted(self.stand_ins.items())],
            "dataflows": [self.dataflow(f) for f in g.flows],
            "threats": [self.threat(f) for f in self.findings],
            "mitigations": self.mitigations(),
        }


def document(result: ScanResult) -> Doc:
    """The OTM document as plain data (no nulls, stable ids, sorted where order is free)."""
    return _Builder(result).document()


def render(result: ScanResult, options: ReportOptions) -> str:
    """OTM as JSON (indent 2, sorted keys, trailing newline)."""
    return json.dumps(document(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_otm_yaml(result: ScanResult, options: ReportOptions) -> str:
    """The same OTM document as block-style YAML (LibYAML's emitter when PyYAML has it:
    about 5x faster on large models)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        document(result),
        Dumper=dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
    )
    return text
