"""The JSON report: the versioned contract described by scanner/data/report.schema.json."""

from __future__ import annotations

import json
from typing import Any

from scanner import __version__
from scanner.model import Element, Evidence, Finding, Flow, TrustBoundary
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions

SCHEMA_VERSION = "1.0"


def _evidence(ev: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {"source": ev.source, "location": ev.location()}
    for key in ("address", "fact", "detail", "end_line"):
        value = getattr(ev, key)
        if value is not None:
            out[key] = value
    return out


def _element(e: Element) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "type": e.type,
        "name": e.name,
        "resource": e.resource,
        "boundary": e.boundary,
        "asset": e.key,
        "props": dict(e.props),
        "parts": [
            {
                "kind": p.kind,
                "name": p.name,
                "resource": p.resource,
                "props": dict(p.props),
                "evidence": [_evidence(ev) for ev in p.evidence],
            }
            for p in e.parts
        ],
        "evidence": [_evidence(ev) for ev in e.evidence],
    }


def _flow(f: Flow) -> dict[str, Any]:
    return {
        "id": f.id,
        "source": f.source,
        "target": f.target,
        "protocol": f.protocol,
        "port": f.port,
        "basis": f.basis,
        "derivation": f.derivation,
        "tls": f.tls,
        "mtls": f.mtls,
        "authn": f.authn,
        "authz": f.authz,
        "rate_limited": f.rate_limited,
        "network_allowed": f.network_allowed,
        "data": list(f.data),
        "evidence": [_evidence(ev) for ev in f.evidence],
    }


def _boundary(b: TrustBoundary) -> dict[str, Any]:
    return {
        "id": b.id,
        "type": b.type,
        "name": b.name,
        "parent": b.parent,
        "trust": b.trust,
        "props": dict(b.props),
        "members": list(b.members),
        "evidence": [_evidence(ev) for ev in b.evidence],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule,
        "title": f.title,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "stride": list(f.stride),
        "controls": list(f.controls),
        "resource": f.resource,
        "element": f.element,
        "flow": f.flow,
        "asset": f.asset,
        "location": f.location,
        "message": f.message,
        "remediation": f.remediation,
        "references": list(f.references),
        "path": list(f.path),
        "evidence": [_evidence(ev) for ev in f.evidence],
        "fingerprint": f.fingerprint,
    }
    if f.suppression is not None:
        out["suppression"] = {"kind": f.suppression.kind, "reason": f.suppression.reason}
    return out


def report(result: ScanResult) -> dict[str, Any]:
    g = result.graph
    by_severity: dict[str, int] = {}
    for f in result.findings:
        by_severity[f.severity.label] = by_severity.get(f.severity.label, 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "tmscan", "version": __version__},
        "scan": {
            "root": result.root,
            "inputs": list(result.inputs),
            "skipped": result.skipped,
            "counts": {
                "elements": len(g.elements),
                "flows": len(g.flows),
                "boundaries": len(g.boundaries),
                "findings": len(result.findings),
                "diagnostics": len(result.diagnostics),
                "findings_by_severity": dict(sorted(by_severity.items())),
            },
        },
        "model": {
            "elements": [_element(e) for e in g.elements],
            "flows": [_flow(f) for f in g.flows],
            "boundaries": [_boundary(b) for b in g.boundaries],
            "joins": [
                {
                    "kind": j.kind,
                    "subject": j.subject,
                    "target": j.target,
                    "detail": j.detail,
                    "declared": j.declared,
                    "evidence": [_evidence(ev) for ev in j.evidence],
                }
                for j in result.joins
            ],
        },
        "findings": [finding_dict(f) for f in result.findings],
        "diagnostics": [
            {"level": d.level, "source": d.source, "line": d.line, "message": d.message}
            for d in result.diagnostics
        ],
    }


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    """Deterministic text: sorted keys, no times, no absolute paths."""
    return json.dumps(report(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
