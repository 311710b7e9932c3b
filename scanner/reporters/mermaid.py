"""A Mermaid flowchart of the DFD: trust boundaries as nested subgraphs (renders on GitHub)."""

from __future__ import annotations

import json
from collections import defaultdict

from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import worst
from scanner.reporters.diagram import (
    DASHED_ZONES,
    RED,
    ZONE_FILL,
    Cluster,
    Node,
    View,
    build,
    marks,
    title,
)

_LINK = {
    "mtls": "stroke:#2e7d32,stroke-width:3px,color:#2e7d32",
    "plaintext": f"stroke:{RED},color:{RED}",
    "unknown": "stroke:#8a8a8a,color:#6b6b6b",
}
_ARROW = {"called": "-->", "reachable": "-.->"}
_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "`": "#96;", "\r": ""}


def _zone_style(zone: str) -> str:
    stroke = "#2e7d32" if zone == "mesh" else "#5f6368"
    dashed = ",stroke-dasharray:5 5" if zone in DASHED_ZONES else ""
    return f"fill:{ZONE_FILL.get(zone, '#ffffff')},stroke:{stroke}{dashed}"


def text(label: str) -> str:
    """A quoted Mermaid label: entities for the characters Mermaid reads, <br/> for lines."""
    body = "".join(_ENTITIES.get(ch, ch) for ch in label)
    return '"' + body.replace("\n", "<br/>") + '"'


def _node(n: Node) -> str:
    label = text(n.label + marks(n.findings))
    if n.kind == "datastore":
        return f"{n.id}[({label})]"
    if n.kind == "process":
        return f"{n.id}({label})"
    if n.kind == "zone":
        return f"{n.id}[[{label}]]"
    return f"{n.id}[{label}]"


def _cluster(view: View, c: Cluster, depth: int) -> list[str]:
    pad = "    " * depth
    lines = [f"{pad}subgraph {c.id}[{text(c.label + marks(c.findings).replace(chr(10), '  '))}]"]
    clusters, nodes = view.children(c.id)
    lines += [f"{pad}    {_node(n)}" for n in nodes]
    for inner in clusters:
        lines += _cluster(view, inner, depth + 1)
    lines.append(f"{pad}end")
    return lines


def to_mermaid(view: View) -> str:
    lines = ["---", f"title: {json.dumps(view.title)}", "---", "flowchart LR"]
    clusters, nodes = view.children(None)
    lines += [f"    {_node(n)}" for n in nodes]
    for c in clusters:
        lines += _cluster(view, c, 1)
    link_styles: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(view.edges):
        arrow = "==>" if e.transport == "mtls" else _ARROW[e.basis]
        label = e.label if e.transport in ("tls", "mtls") else f"{e.label} {e.transport}"
        if e.transport == "mtls":
            label += " mTLS"
        lines.append(f"    {e.source} {arrow}|{text(label)}| {e.target}")
        if e.transport in _LINK:
            link_styles[_LINK[e.transport]].append(i)
    for style, indices in sorted(link_styles.items()):
        lines.append(f"    linkStyle {','.join(map(str, indices))} {style}")
    for c in view.clusters:
        style = _zone_style(c.type)
        if worst(c.findings) is not None:
            style = style.replace("stroke:#5f6368", f"stroke:{RED},stroke-width:2px")
        lines.append(f"    style {c.id} {style}")
    flagged = [n.id for n in view.nodes if worst(n.findings) is not None]
    if flagged:
        lines.append(f"    classDef finding stroke:{RED},stroke-width:3px,color:{RED}")
        lines.append(f"    class {','.join(flagged)} finding")
    return "\n".join(lines) + "\n"


def render(result: ScanResult, options: ReportOptions) -> str:
    return to_mermaid(build(result.graph, result.findings, title(result), options))
