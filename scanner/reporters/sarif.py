"""SARIF 2.1.0 output, shaped for GitHub code scanning: rules, results, locations, paths."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from rules.engine import Rule
from scanner import __version__
from scanner.graph import DFDGraph
from scanner.model import Confidence, Diagnostic, Evidence, Finding, Severity
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import STRIDE_NAMES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/tmscan/tmscan"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "tmscan/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub buckets security-severity: >= 9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
NOTIFICATION_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_CWE = re.compile(r"^CWE-(\d+)$")
_LABEL = re.compile(r"^(Why it matters|Remediation):")

Json = dict[str, Any]


def render(result: ScanResult, options: ReportOptions) -> str:
    """The SARIF log as deterministic JSON text (sorted keys, no times, relative URIs).
    The options only shape diagrams; SARIF has none."""
    return json.dumps(sarif_log(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sarif_log(result: ScanResult) -> Json:
    """The SARIF log object: one run of tmscan."""
    findings = sorted(result.findings, key=Finding.sort_key)
    rules = _descriptors(result.rules, findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    defaults = {r.meta.id: r.meta.severity for r in result.rules}
    run: Json = {
        "tool": {
            "driver": {
                "name": "tmscan",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": f"The scanned directory ({result.root})."}}
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(d) for d in result.diagnostics],
            }
        ],
        "results": [
            _result(f, rule_id(f, defaults), index[rule_id(f, defaults)], result.graph)
            for f in findings
        ],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# --- rules ----------------------------------------------------------------------------


def pascal_case(name: str) -> str:
    """`datastore-reachable-from-internet` -> `DatastoreReachableFromInternet`."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_\s]+", name) if p)


def _tags(stride: Iterable[str], controls: Iterable[str]) -> list[str]:
    letters = [f"stride:{STRIDE_NAMES[s].lower().replace(' ', '-')}" for s in stride]
    return ["security", *letters, *(f"control:{c}" for c in controls)]


def _paragraphs(doc: str) -> list[str]:
    return [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]


def _reference_md(ref: str) -> str:
    cwe = _CWE.match(ref)
    if cwe:
        return f"[{ref}](https://cwe.mitre.org/data/definitions/{cwe.group(1)}.html)"
    return f"<{ref}>" if ref.startswith(("http://", "https://")) else ref


def _descriptor(rule: Rule) -> Json:
    meta = rule.meta
    doc = rule.documentation()
    paragraphs = _paragraphs(doc)
    refs = list(meta.references)
    text = [doc] if doc else []
    text.append(f"Recommended fix: {meta.remediation}")
    md = [f"**{meta.title}**", *(_LABEL.sub(r"**\1:**", p) for p in paragraphs)]
    md.append(f"**Recommended fix:** {meta.remediation}")
    if refs:
        text.append("References: " + "; ".join(refs))
        md.append("**References:**\n\n" + "\n".join(f"- {_reference_md(r)}" for r in refs))
    out: Json = {
        "id": meta.id,
        "name": pascal_case(meta.name),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": paragraphs[0] if paragraphs else meta.title},
        "help": {"text": "\n\n".join(text), "markdown": "\n\n".join(md)},
        "defaultConfiguration": {"level": LEVELS[meta.severity]},
        "properties": _rule_properties(meta.stride, meta.controls, meta.severity),
    }
    url = next((r for r in refs if r.startswith(("http://", "https://"))), None)
    if url is not None:
        out["helpUri"] = url
    return out


def _rule_properties(stride: Iterable[str], controls: Iterable[str], severity: Severity) -> Json:
    return {
        "tags": _tags(stride, controls),
        "security-severity": SECURITY_SEVERITY[severity],
        "precision": "high",
    }


def rule_id(f: Finding, defaults: dict[str, Severity]) -> str:
    """The descriptor a result points at. GitHub takes an alert's severity from its rule's
    security-severity, so a finding that is unconfirmed, or whose severity differs from
    its rule's, points at a sub-rule (SARIF's hierarchical ids): `TM-PUB-001/unconfirmed`
    (rated low: it must not fail a check), `TM-RBAC-001/medium`."""
    if f.confidence == Confidence.LOW:
        return f"{f.rule}/unconfirmed"
    default = defaults.get(f.rule)
    return f.rule if default is None or f.severity == default else f"{f.rule}/{f.severity.label}"


def _variant(base: Json, variant: str, severity: Severity) -> Json:
    out: Json = copy.deepcopy(base)
    out["id"] = f"{base['id']}/{variant}"
    if "name" in out:
        out["name"] += pascal_case(variant)
    out["shortDescription"] = {"text": f"{base['shortDescription']['text']} ({variant})"}
    out["defaultConfiguration"] = {
        "level": "note" if variant == "unconfirmed" else LEVELS[severity]
    }
    out["properties"]["security-severity"] = SECURITY_SEVERITY[severity]
    return out


def _descriptors(rules: Sequence[Rule], findings: Sequence[Finding]) -> list[Json]:
    """Every rule that ran, by id; a sub-rule for each severity variant findings use (see
    `rule_id`); and a bare descriptor for any rule a finding names that is not among them
    (a hand-built result), so every ruleIndex has a target."""
    by_id = {r.meta.id: _descriptor(r) for r in rules}
    defaults = {r.meta.id: r.meta.severity for r in rules}
    for f in findings:  # worst first, so an unknown rule takes its worst finding's level
        if f.rule not in by_id:
            by_id[f.rule] = {
                "id": f.rule,
                "shortDescription": {"text": f.title},
                "defaultConfiguration": {"level": LEVELS[f.severity]},
                "properties": _rule_properties(f.stride, f.controls, f.severity),
            }
            defaults[f.rule] = f.severity
    for f in findings:
        wanted = rule_id(f, defaults)
        if wanted not in by_id:
            variant = wanted.split("/", 1)[1]
            severity = Severity.LOW if variant == "unconfirmed" else f.severity
            by_id[wanted] = _variant(by_id[f.rule], variant, severity)
    return [by_id[k] for k in sorted(by_id)]


# --- results --------------------------------------------------------------------------


def _level(f: Finding) -> str:
    return "note" if f.confidence == Confidence.LOW else LEVELS[f.severity]


def _name(graph: DFDGraph, element_id: str) -> str:
    element = graph.get(element_id)
    return element.name if element is not None and element.name else element_id


def _message(f: Finding, graph: DFDGraph) -> str:
    head = f"{f.title} (unconfirmed)" if f.confidence == Confidence.LOW else f.title
    text = f"{head}: {f.message}"
    if f.path:
        text += " Path: " + " -> ".join(_name(graph, e) for e in f.path) + "."
    return text


def _physical(file: str, line: int | None, end_line: int | None) -> Json:
    out: Json = {"artifactLocation": {"uri": quote(file, safe="/"), "uriBaseId": SRCROOT}}
    if line is not None:
        region: Json = {"startLine": line}
        if end_line is not None and end_line >= line:
            region["endLine"] = end_line
        out["region"] = region
    return out


def _live(ev: Evidence) -> Json:
    uri = ev.uri or ev.address or ev.source
    return {"name": ev.address or uri, "fullyQualifiedName": uri, "kind": "resource"}


def _location(ev: Evidence | None, extra: Sequence[Json] = ()) -> Json:
    """A file evidence gives a physical location; a live one a logical location."""
    logical: list[Json] = []
    out: Json = {}
    if ev is not None and ev.file is not None:
        out["physicalLocation"] = _physical(ev.file, ev.line, ev.end_line)
    elif ev is not None:
        logical.append(_live(ev))
    logical.extend(x for x in extra if x not in logical)
    if logical:
        out["logicalLocations"] = logical
    return out


def _related(evidence: Sequence[Evidence]) -> list[Json]:
    out = []
    for i, ev in enumerate(evidence, start=1):
        loc = _location(ev)
        loc["id"] = i
        note = ev.detail or ev.fact or ev.address
        if note:
            loc["message"] = {"text": note}
        out.append(loc)
    return out


def _code_flow(f: Finding, graph: DFDGraph) -> Json | None:
    """The path as one thread flow of the hops that have evidence. Hops with none (the
    internet) are named in the flow's message only, since GitHub wants a location on each
    step; a flow of fewer than two such steps would only repeat the result's location."""
    steps = []
    for element_id in f.path:
        element = graph.get(element_id)
        if element is None or not element.evidence:
            continue
        loc = _location(element.evidence[0])
        loc["message"] = {"text": f"{element.name or element_id} ({element.resource})"}
        steps.append({"location": loc})
    if len(steps) < 2:
        return None
    text = " -> ".join(_name(graph, e) for e in f.path)
    return {"message": {"text": text}, "threadFlows": [{"locations": steps}]}


def _result_properties(f: Finding) -> Json:
    props: Json = {
        "stride": list(f.stride),
        "controls": list(f.controls),
        "confidence": f.confidence.label,
        "severity": f.severity.label,
        "resource": f.resource,
        "element": f.element,
    }
    if f.flow is not None:
        props["flow"] = f.flow
    return props


def _result(f: Finding, rule: str, rule_index: int, graph: DFDGraph) -> Json:
    resource = {"name": f.resource, "fullyQualifiedName": f.element, "kind": "resource"}
    primary = f.evidence[0] if f.evidence else None
    out: Json = {
        "ruleId": rule,
        "ruleIndex": rule_index,
        "level": _level(f),
        "message": {"text": _message(f, graph)},
        "locations": [_location(primary, [resource])],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": _result_properties(f),
    }
    if len(f.evidence) > 1:
        out["relatedLocations"] = _related(f.evidence[1:])
    flow = _code_flow(f, graph) if len(f.path) > 1 else None
    if flow is not None:
        out["codeFlows"] = [flow]
    if f.suppression is not None:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f.suppression.reason,
                "properties": {"kind": f.suppression.kind},
            }
        ]
    return out


# --- diagnostics ----------------------------------------------------------------------


def _is_file(source: str) -> bool:
    """A diagnostic's source is a relative file path (not a rule, call, id or directory)."""
    if not source or source.startswith(("/", "\\")) or re.search(r"[\s:]", source):
        return False
    last = source.rsplit("/", 1)[-1]
    return "." in last.strip(".")


def _notification(d: Diagnostic) -> Json:
    text = d.message if d.source in ("", ".") else d.short()  # "." is the scanned root
    out: Json = {"level": NOTIFICATION_LEVELS[d.level], "message": {"text": text}}
    if _is_file(d.source):
        out["locations"] = [{"physicalLocation": _physical(d.source, d.line, None)}]
    return out
