"""Graphviz DOT of the DFD, and SVG/PNG rendered from it by the `dot` program."""

from __future__ import annotations

import shutil
import subprocess

from scanner.pipeline import ScanResult
from scanner.reporters import ReportError, ReportOptions
from scanner.reporters.common import worst
from scanner.reporters.diagram import (
    DASHED_ZONES,
    RED,
    ZONE_FILL,
    Cluster,
    Edge,
    Node,
    View,
    build,
    marks,
    title,
)

FONT = "DejaVu Sans"
_TRANSPORT = {  # color, extra label
    "mtls": ("#2e7d32", "mTLS"),
    "tls": ("#1f1f1f", "TLS"),
    "plaintext": (RED, "plaintext"),
    "unknown": ("#8a8a8a", "TLS unknown"),
}
_SHAPE = {
    "process": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "datastore": 'shape=cylinder, style=filled, fillcolor="#fff8e1"',
    "external": 'shape=box, style=filled, fillcolor="#eeeeee"',
    "zone": 'shape=box3d, style=filled, fillcolor="#f3e8fd"',
}


def quote(text: str) -> str:
    """A DOT string literal; newlines become centred line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + body.replace("\n", "\\n") + '"'


def _node(n: Node, indent: str) -> str:
    severity = worst(n.findings)
    attrs = [f"label={quote(n.label + marks(n.findings))}", _SHAPE[n.kind]]
    if severity is not None:
        attrs.append(f'color="{RED}", penwidth=2.5, fontcolor="{RED}"')
    return f"{indent}{n.id} [{', '.join(attrs)}];"


def _cluster(view: View, c: Cluster, depth: int) -> list[str]:
    indent = "  " * depth
    severity = worst(c.findings)
    label = c.label + marks(c.findings).replace("\n", "  ")
    lines = [
        f"{indent}subgraph cluster_{c.id} {{",
        f"{indent}  label={quote(label)};",
        f'{indent}  style="filled{",dashed" if c.type in DASHED_ZONES else ""}";',
        f'{indent}  fillcolor="{ZONE_FILL.get(c.type, "#ffffff")}";',
        f'{indent}  color="{RED if severity is not None else "#5f6368"}";',
    ]
    if severity is not None:
        lines.append(f"{indent}  penwidth=2; fontcolor={quote(RED)};")
    clusters, nodes = view.children(c.id)
    lines += [_node(n, indent + "  ") for n in nodes]
    for inner in clusters:
        lines += _cluster(view, inner, depth + 1)
    lines.append(f"{indent}}}")
    return lines


def _edge(e: Edge) -> str:
    color, what = _TRANSPORT[e.transport]
    label = f"{e.label}\n{what}" if e.transport != "tls" else e.label
    attrs = [f"label={quote(label)}", f'color="{color}"', f'fontcolor="{color}"']
    if e.basis == "reachable":
        attrs.append("style=dashed")
    if e.transport == "mtls":
        attrs.append("penwidth=2")
    if e.findings:
        attrs.append("penwidth=2.5")
    return f"  {e.source} -> {e.target} [{', '.join(attrs)}];"


_LEGEND = (
    '  legend [shape=none, margin=0, label=<<TABLE BORDER="1" COLOR="#bdbdbd" '
    'CELLBORDER="0" CELLSPACING="1" CELLPADDING="2">'
    '<TR><TD ALIGN="LEFT"><B>Legend</B></TD></TR>'
    '<TR><TD ALIGN="LEFT"><FONT COLOR="#1f1f1f">&#8594; TLS</FONT></TD></TR>'
    '<TR><TD ALIGN="LEFT"><FONT COLOR="#2e7d32"><B>&#8594; mTLS</B></FONT></TD></TR>'
    '<TR><TD ALIGN="LEFT"><FONT COLOR="#c62828">&#8594; plaintext</FONT></TD></TR>'
    '<TR><TD ALIGN="LEFT"><FONT COLOR="#8a8a8a">&#8594; TLS unknown</FONT></TD></TR>'
    '<TR><TD ALIGN="LEFT">- - &#8594; reachable, not declared</TD></TR>'
    '<TR><TD ALIGN="LEFT"><FONT COLOR="#c62828">&#9888; element with findings</FONT></TD></TR>'
    "</TABLE>>];"
)


def to_dot(view: View) -> str:
    lines = [
        "digraph dfd {",
        f"  graph [rankdir=LR, newrank=true, compound=true, fontname={quote(FONT)}, "
        f"fontsize=12, nodesep=0.35, ranksep=0.9, labelloc=t, label={quote(view.title)}];",
        f'  node [fontname={quote(FONT)}, fontsize=10, margin="0.15,0.06"];',
        f"  edge [fontname={quote(FONT)}, fontsize=9, arrowsize=0.7];",
    ]
    clusters, nodes = view.children(None)
    lines += [_node(n, "  ") for n in nodes]
    for c in clusters:
        lines += _cluster(view, c, 1)
    lines += [_edge(e) for e in view.edges]
    lines.append(_LEGEND)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(result: ScanResult, options: ReportOptions) -> str:
    return to_dot(build(result.graph, result.findings, title(result), options))


def run_dot(source: str, fmt: str) -> bytes:
    """Render DOT text with Graphviz's `dot` (`fmt`: svg or png)."""
    exe = shutil.which("dot")
    if exe is None:
        raise ReportError(
            f"--format {fmt} needs Graphviz's `dot` program, which is not on PATH "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); "
            "--format dot writes the source without it"
        )
    done = subprocess.run(
        [exe, f"-T{fmt}"], input=source.encode(), capture_output=True, check=False, timeout=300
    )
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        raise ReportError(f"dot -T{fmt} failed: {err[-1] if err else done.returncode}")
    return done.stdout


def render_svg(result: ScanResult, options: ReportOptions) -> bytes:
    return run_dot(render(result, options), "svg")


def render_png(result: ScanResult, options: ReportOptions) -> bytes:
    return run_dot(render(result, options), "png")
