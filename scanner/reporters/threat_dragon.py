"""The Threat Dragon v2 export: zones as nested boxes, elements and flows as cells, threats."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.graph import DFDGraph
from scanner.model import (
    INTERNET_BOUNDARY,
    Confidence,
    Element,
    Finding,
    Flow,
    Severity,
    TrustBoundary,
)
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import STRIDE_NAMES, flow_label, transport
from scanner.reporters.td_layout import Rect, layout

VERSION = "2.3.0"  # the Threat Dragon model version written; TD stamps its own on open
THUMBNAIL = "./public/content/images/thumbnail.stride.jpg"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tmscan.invalid/threat-dragon")

# Threat Dragon's STRIDE-per-element: the threat types its editor offers on each cell type.
ALLOWED = {"tm.Actor": "SR", "tm.Process": "STRIDE", "tm.Store": "TRID", "tm.Flow": "TID"}
# DFD kind -> (shape, data.type, node size)
SHAPES: Mapping[str, tuple[str, str, tuple[int, int]]] = {
    "external": ("actor", "tm.Actor", (160, 80)),
    "process": ("process", "tm.Process", (120, 120)),
    "datastore": ("store", "tm.Store", (160, 80)),
}
# critical -> Critical, ..., low -> Low; TD has no "info": Low, and the description says info.
SEVERITY = {s: s.name.title() for s in Severity} | {Severity.INFO: "Low"}
TRANSPORT_CONTROLS = frozenset({"tls", "mtls"})
RED = {"stroke": "red", "strokeWidth": 2.5, "strokeDasharray": ""}  # strings, never null
NODE_DATA: dict[str, object] = {
    "outOfScope": False,
    "reasonOutOfScope": "",
    "isTrustBoundary": False,
}
EXTRA: Mapping[str, dict[str, object]] = {  # TD's defaults for each shape's own data keys
    "actor": {"providesAuthentication": False},
    "process": {"privilegeLevel": "", "isWebApplication": False, "handlesCardPayment": False}
    | {"handlesGoodsOrServices": False},
    "store": {"isALog": False, "isSigned": False, "storesInventory": False},
}


def cell_id(kind: str, model_id: str) -> str:
    """The stable cell id of an element ("element"), flow ("flow") or boundary ("boundary")."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{model_id}"))


@dataclass(frozen=True)
class Placement:
    """Which cell carries a finding's threat, as which STRIDE letter, and why there."""

    cell: str  # "element:<id>" or "flow:<id>"
    letter: str
    note: str  # empty when the threat sits on the finding's own element or flow


def _cell_type(graph: DFDGraph, key: str) -> str:
    kind, _, model_id = key.partition(":")
    return "tm.Flow" if kind == "flow" else SHAPES[graph.element(model_id).kind][1]


def place(f: Finding, graph: DFDGraph, flows: Mapping[str, Flow]) -> Placement | None:
    """The first candidate cell that allows one of the finding's STRIDE letters.

    Candidates, best first: the named flow for a transport (tls/mtls) or zone-level
    finding; the finding's element; its flow and the flow's ends; the path (protected end
    first); the zone's own elements, then those of its inner zones; then any element
    (processes allow every letter). None only when the diagram has no element at all.
    """
    flow = flows.get(f.flow) if f.flow is not None else None
    own = graph.get(f.element)
    zones = {b.id: b for b in graph.boundaries}
    keys: list[str] = []
    if flow is not None and (TRANSPORT_CONTROLS & set(f.controls) or own is None):
        keys.append(f"flow:{flow.id}")
    if own is not None:
        keys.append(f"element:{own.id}")
    if flow is not None:
        keys += [f"flow:{flow.id}", f"element:{flow.target}", f"element:{flow.source}"]
    keys += [f"element:{p}" for p in reversed(f.path) if graph.get(p) is not None]
    if f.element in zones:
        keys += [f"element:{e.id}" for e in graph.elements if e.boundary == f.element]
        keys += [f"element:{e.id}" for e in graph.elements if graph.within(e.id, f.element)]
    keys += [f"element:{e.id}" for e in sorted(graph.elements, key=lambda e: e.kind != "process")]
    keys = list(dict.fromkeys(keys))
    if not keys:
        return None
    fits = [(k, s) for k in keys for s in f.stride if s in ALLOWED[_cell_type(graph, k)]]
    key, letter = fits[0] if fits else (keys[0], ALLOWED[_cell_type(graph, keys[0])][0])
    if key in (f"element:{f.element}", f"flow:{f.flow}") and own is not None:
        return Placement(key, letter, "")
    kind, _, model_id = key.partition(":")
    where = model_id if kind == "flow" else graph.element(model_id).resource
    if own is None:
        zone = f"{zones[f.element].name} ({f.element})" if f.element in zones else f.element
        note = f"Zone-level finding on {zone}: Threat Dragon boxes hold no threats."
    else:
        names = ", ".join(STRIDE_NAMES[s] for s in f.stride)
        note = f"Threat Dragon allows no {names} threat on {own.resource}."
    return Placement(key, letter, f"{note} Placed on {where}.")


def _threat(f: Finding, number: int, tid: str, at: Placement, graph: DFDGraph) -> dict[str, Any]:
    hops = [graph.element(p).resource if graph.get(p) else p for p in f.path]
    low = " (unconfirmed: a fact it needs is unknown)" if f.confidence == Confidence.LOW else ""
    lines = [
        f.message,
        "",
        f"Resource: {f.resource}",
        f"Location: {f.evidence[0].short()}" if f.evidence else "",
        f"Flow: {f.flow}" if f.flow is not None else "",
        "Path: " + " -> ".join(hops) if hops else "",
        f"Confidence: {f.confidence.label}{low}" if f.confidence != Confidence.HIGH else "",
        "tmscan severity: info" if f.severity == Severity.INFO else "",
        "STRIDE: " + ", ".join(STRIDE_NAMES[s] for s in f.stride),
        "Missing controls: " + ", ".join(f.controls) if f.controls else "",
        "References: " + ", ".join(f.references) if f.references else "",
        at.note,
        f"fingerprint: {f.fingerprint}",
    ]
    return {
        "id": tid,
        "number": number,
        "title": f"{f.rule}: {f.title}",
        "type": STRIDE_NAMES[at.letter],
        "status": "Open",
        "severity": SEVERITY[f.severity],
        "score": "",
        "description": "\n".join(lines[:2] + [line for line in lines[2:] if line]),
        "mitigation": f.remediation,
        "modelType": "STRIDE",
        "ruleId": f.rule,
        "fingerprint": f.fingerprint,
    }


def _labels(graph: DFDGraph) -> dict[str, str]:
    """Element names, or the address where two elements share a name."""
    count = Counter(e.name for e in graph.elements)
    return {e.id: e.name if e.name and count[e.name] == 1 else e.resource for e in graph.elements}


def _facts(props: Mapping[str, object]) -> str:
    return "Facts: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in props.items()) if props else ""


def _text(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _cell(key: str, shape: str, z: int, rect: Rect, attrs: Any, data: Any) -> dict[str, Any]:
    kind, _, model_id = key.partition(":")
    return {
        "id": cell_id(kind, model_id),
        "shape": shape,
        "zIndex": z,
        "position": {"x": rect.x, "y": rect.y},
        "size": {"width": rect.width, "height": rect.height},
        "visible": True,
        "attrs": attrs,
        "data": data | {"tmscanId": model_id},
    }


def _node(e: Element, label: str, rect: Rect, z: int, threats: list[Any], g: DFDGraph) -> Any:
    shape, data_type, _ = SHAPES[e.kind]
    zone = g.boundary(e.boundary).name if e.boundary and g.ancestors(e.boundary) else ""
    text = _text(
        f"{e.resource} ({e.id})",
        f"Technology: {e.type} ({e.kind})",
        f"Zone: {zone} ({e.boundary})" if zone else "",
        f"Declared at: {e.evidence[0].short()}" if e.evidence else "",
        _facts(e.props),
    )
    data = NODE_DATA | EXTRA[shape] | {"type": data_type, "name": label, "description": text}
    data |= {"hasOpenThreats": bool(threats), "threats": threats}
    if shape == "store":  # claim only what the model knows; unknown stays TD's default
        data |= {"isEncrypted": e.fact("encryption_at_rest") is True}
        data |= {"storesCredentials": e.type == "secret-store"}
    attrs: dict[str, Any] = {"text": {"text": label}}
    if threats:
        attrs |= {"topLine": RED, "bottomLine": RED} if shape == "store" else {"body": RED}
    return _cell(f"element:{e.id}", shape, z, rect, attrs, data)


def _flow(f: Flow, z: int, threats: list[Any], crossed: list[str], g: DFDGraph) -> Any:
    label = flow_label(f)
    public = any(g.element(x).boundary == INTERNET_BOUNDARY for x in (f.source, f.target))
    known = (("Authorization", f.authz), ("Rate limited", f.rate_limited))
    text = _text(
        f.id,
        f"Basis: {f.basis}",
        f"Derivation: {f.derivation}",
        f"Transport: {transport(f)}",
        f"Authentication: {f.authn}" if f.authn is not None else "",
        *(f"{name}: {'yes' if v else 'no'}" for name, v in known if v is not None),
        "Data: " + ", ".join(f.data) if f.data else "",
        f"Declared at: {f.evidence[0].short()}" if f.evidence else "",
    )
    line = {"stroke": "red", "strokeWidth": 2.5} if threats else {"stroke": "#333333"}
    line |= {"strokeWidth": line.get("strokeWidth", 1), "strokeDasharray": ""}
    line |= {"targetMarker": {"name": "block"}, "sourceMarker": {"name": ""}}
    data = NODE_DATA | {"type": "tm.Flow", "name": label, "description": text}
    data |= {"isBidirectional": False, "isEncrypted": f.tls is True or f.mtls is True}
    data |= {"isPublicNetwork": public, "protocol": f.protocol, "trustBoundaryIds": crossed}
    data |= {"hasOpenThreats": bool(threats), "threats": threats, "tmscanId": f.id}
    return {
        "id": cell_id("flow", f.id),
        "shape": "flow",
        "zIndex": z,
        "source": {"cell": cell_id("element", f.source)},
        "target": {"cell": cell_id("element", f.target)},
        "connector": "smooth",
        "vertices": [],
        "attrs": {"line": line},
        "labels": [{"position": 0.5, "attrs": {"labelText": {"text": label}}}],
        "data": data,
    }


def _box(b: TrustBoundary, rect: Rect, z: int) -> Any:
    text = _text(f"{b.type} zone {b.id}, trust level {b.trust}", _facts(b.props))
    attrs = {"label": {"text": b.name}, "headerText": {"text": b.name}}
    data: dict[str, object] = {"type": "tm.BoundaryBox", "name": b.name, "description": text}
    data |= {"isTrustBoundary": True, "hasOpenThreats": False}
    return _cell(f"boundary:{b.id}", "trust-boundary-box", z, rect, attrs, data)


def emitted_flows(graph: DFDGraph) -> dict[str, Flow]:
    """The flows drawn: not blocked by policy (they carry no data), with both ends drawn."""
    return {
        f.id: f
        for f in graph.flows
        if f.network_allowed is not False and graph.get(f.source) and graph.get(f.target)
    }


def threats(result: ScanResult, flows: Mapping[str, Flow]) -> dict[str, list[dict[str, Any]]]:
    """Threats by cell ("element:<id>" / "flow:<id>"), numbered 1..N in finding order."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    for f in (f for f in result.findings if f.suppression is None):
        at = place(f, result.graph, flows)
        if at is not None:
            tid = str(uuid.uuid5(NAMESPACE, f.fingerprint))
            if tid in seen:  # two findings with one fingerprint still get distinct ids
                tid = str(uuid.uuid5(NAMESPACE, f"{f.fingerprint}#{len(seen) + 1}"))
            seen.add(tid)
            out[at.cell].append(_threat(f, len(seen), tid, at, result.graph))
    return out


def render(result: ScanResult, options: ReportOptions) -> str:
    """Threat Dragon v2 JSON: one STRIDE diagram, one threat per open finding."""
    g = result.graph
    flows = emitted_flows(g)
    geo = layout(g, lambda e: SHAPES[e.kind][2])
    on = threats(result, flows)
    count = sum(len(t) for t in on.values())
    depth_first = sorted(geo.boxes, key=lambda b: (geo.depth[b], b))
    cells = [_box(g.boundary(b), geo.boxes[b], geo.z_index(b)) for b in depth_first]
    names = _labels(g)
    for z, e in enumerate(g.elements, start=1):
        cells.append(_node(e, names[e.id], geo.nodes[e.id], z, on[f"element:{e.id}"], g))
    for z, f in enumerate(flows.values(), start=len(g.elements) + 1):
        crossed = [cell_id("boundary", b) for b in geo.crossed(f.source, f.target)]
        cells.append(_flow(f, z, on[f"flow:{f.id}"], crossed, g))
    left_out = sum(1 for f in result.findings if f.suppression is not None)
    summary = (
        f"Generated by tmscan from {len(result.inputs)} source(s). This is a first draft, "
        "discovered from configuration: review every element, flow and threat. "
        f"{count} open finding(s) are threats; {left_out} suppressed or baselined finding(s) "
        "are left out."
    )
    about = (
        f"{len(g.elements)} elements, {len(flows)} flows, {len(g.boundaries)} trust boundaries. "
        "Each zone is a box; an element is inside a box exactly when it is in that zone. "
        f"{len(g.flows) - len(flows)} flow(s) blocked by network policy are not drawn."
    )
    diagram = {"id": 0, "title": f"Data-flow diagram: {result.root}", "diagramType": "STRIDE"}
    diagram |= {"description": about, "thumbnail": THUMBNAIL, "version": VERSION, "cells": cells}
    title = f"Threat model: {result.root}"
    model = {
        "version": VERSION,
        "summary": {"title": title, "owner": "", "description": summary, "id": 0},
        "detail": {
            "contributors": [],
            "diagrams": [diagram],
            "diagramTop": 1,
            "reviewer": "",
            "threatTop": count,
        },
    }
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
