"""The drawable view of a DFD: nodes, edges and nested clusters, with collapse and grouping."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from scanner.graph import DFDGraph
from scanner.model import Confidence, Finding
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import anchors, flow_label, transport

RED = "#c62828"  # plaintext flows and elements with findings, in every diagram
# Fill of each kind of trust boundary; the internet and a mesh are drawn dashed.
ZONE_FILL = {
    "internet": "#fdecea",
    "account": "#f5f5f5",
    "vpc": "#e8f0fe",
    "subnet": "#ffffff",
    "cluster": "#f3e8fd",
    "namespace": "#ffffff",
    "mesh": "#e8f5e9",
}
DASHED_ZONES = ("internet", "mesh")
# Transport states a diagram distinguishes, and basis: what a reader must tell apart.
TRANSPORTS = ("mtls", "tls", "plaintext", "unknown")
# What replicas' addresses differ by: a count/for_each index. Numbered names (`api-v1`,
# `api-v2`) are different resources, however alike their neighbours.
_INDEX = re.compile(r"\[[^\]]*\]")


def replica_base(resource: str) -> str:
    """`aws_instance.web[2]` -> `aws_instance.web`; `module.a[0].aws_instance.b["x"]` ->
    `module.a.aws_instance.b`; anything else is itself."""
    return _INDEX.sub("", resource)


@dataclass(frozen=True)
class Node:
    id: str  # the diagram's own id (n0, n1, ...): safe in every diagram language
    label: str  # first line: name; further lines: address, count
    kind: str  # process | datastore | external | zone (a collapsed boundary)
    members: tuple[str, ...]  # the model elements drawn as this node
    cluster: str | None  # the cluster id it is drawn in
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str  # protocol/port
    transport: str  # one of TRANSPORTS
    basis: str  # called | reachable
    flows: tuple[str, ...]  # the model flows drawn as this edge
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Cluster:
    id: str
    boundary: str  # the model boundary id
    type: str
    label: str
    parent: str | None
    findings: tuple[Finding, ...]  # zone-level findings (on the boundary itself)


@dataclass(frozen=True)
class View:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]

    def children(self, cluster: str | None) -> tuple[list[Cluster], list[Node]]:
        """The clusters and nodes drawn directly inside `cluster` (None: the top level)."""
        return (
            [c for c in self.clusters if c.parent == cluster],
            [n for n in self.nodes if n.cluster == cluster],
        )


def _collapsed(graph: DFDGraph, options: ReportOptions) -> dict[str, str]:
    """Boundary id -> the outermost collapsed boundary that swallows it."""
    chosen = {
        b.id
        for b in graph.boundaries
        if (b.type in options.collapse or b.id in options.collapse) and b.type != "internet"
    }
    out: dict[str, str] = {}
    for b in graph.boundaries:
        outer = [a for a in graph.ancestors(b.id) if a in chosen]
        if outer:
            out[b.id] = outer[-1]
    return out


def build(
    graph: DFDGraph, findings: tuple[Finding, ...], title: str, options: ReportOptions
) -> View:
    """Lay the model out for drawing: one node per element, replica group or collapsed zone."""
    by_anchor = anchors(findings)
    swallowed = _collapsed(graph, options)
    # Cluster ids follow the sorted boundary ids, so the same model gives the same text.
    cluster_id = {
        b.id: f"c{i}" for i, b in enumerate(b for b in graph.boundaries if b.id not in swallowed)
    }
    zone_node = {b: f"z{i}" for i, b in enumerate(sorted(set(swallowed.values())))}

    # 1. Each element maps to a drawing key: itself, or the collapsed zone it sits in.
    key_of: dict[str, str] = {}
    for e in graph.elements:
        outer = swallowed.get(e.boundary or "")
        key_of[e.id] = f"zone:{outer}" if outer else e.id

    # 2. Replicas: copies of one resource (count/for_each instances) in one zone,
    # with the same neighbours over the same protocols, ports and transport; drawn once
    # with a count. Different resources that merely look alike stay apart.
    if options.group_replicas:
        signature: dict[str, list[tuple[str, str, str, str, str]]] = defaultdict(list)
        for f in graph.flows:
            if f.network_allowed is False or f.source not in key_of or f.target not in key_of:
                continue
            label, state = flow_label(f), transport(f)
            signature[f.source].append(("out", key_of[f.target], label, state, f.basis))
            signature[f.target].append(("in", key_of[f.source], label, state, f.basis))
        groups: dict[tuple[object, ...], list[str]] = defaultdict(list)
        for e in graph.elements:
            if key_of[e.id] == e.id and e.kind != "external" and signature.get(e.id):
                base = replica_base(e.resource)
                sig = (base, e.boundary, e.kind, e.type, tuple(sorted(signature[e.id])))
                groups[sig].append(e.id)
        for members in groups.values():
            if len(members) > 1:
                for m in members:
                    key_of[m] = f"group:{members[0]}"

    # 3. Nodes, one per drawing key, in the order of their first element.
    members_of: dict[str, list[str]] = defaultdict(list)
    for e in graph.elements:
        members_of[key_of[e.id]].append(e.id)
    nodes: list[Node] = []
    node_of: dict[str, str] = {}
    for i, (key, members) in enumerate(members_of.items()):
        first = graph.element(members[0])
        found = tuple(f for m in members for f in by_anchor.get(m, ()))
        if key.startswith("zone:"):
            zone = graph.boundary(key[5:])
            inner = [z for z, outer in swallowed.items() if outer == zone.id]
            found += tuple(f for z in sorted(inner) for f in by_anchor.get(z, ()))
            node = Node(
                zone_node[zone.id],
                f"{zone.type}: {zone.name}\n{len(members)} elements",
                "zone",
                tuple(members),
                cluster_id.get(zone.parent or ""),
                found,
            )
        else:
            label = first.name or first.resource
            if len(members) > 1:
                label = f"{label} (x{len(members)})\n" + ", ".join(
                    graph.element(m).name or graph.element(m).resource for m in members
                )
            elif first.resource and first.resource.lower() != label.lower():
                label = f"{label}\n{first.resource}"
            node = Node(
                f"n{i}",
                label,
                first.kind,
                tuple(members),
                cluster_id.get(first.boundary or ""),
                found,
            )
        nodes.append(node)
        for m in members:
            node_of[m] = node.id

    # 4. Edges: flows between drawn nodes, merged when they look the same.
    merged: dict[tuple[str, str, str, str, str], list[str]] = defaultdict(list)
    for f in graph.flows:
        if f.network_allowed is False or f.source not in node_of or f.target not in node_of:
            continue
        s, t = node_of[f.source], node_of[f.target]
        if s != t:
            merged[(s, t, flow_label(f), transport(f), f.basis)].append(f.id)
    flow_findings: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.flow is not None and finding.suppression is None:
            flow_findings[finding.flow].append(finding)
    edges = tuple(
        Edge(s, t, label, state, basis, tuple(ids), tuple(x for i in ids for x in flow_findings[i]))
        for (s, t, label, state, basis), ids in sorted(merged.items())
    )

    clusters = tuple(
        Cluster(
            cid,
            b.id,
            b.type,
            f"{b.type}: {b.name}" if b.type != "internet" else "Internet",
            cluster_id.get(b.parent or ""),
            tuple(by_anchor.get(b.id, ())),
        )
        for b in graph.boundaries
        if (cid := cluster_id.get(b.id)) is not None
    )
    return View(title, tuple(nodes), edges, clusters)


def title(result: ScanResult) -> str:
    return f"Data-flow diagram: {result.root} (tmscan)"


def marks(findings: tuple[Finding, ...]) -> str:
    """`\u26a0 TM-PUB-001 high`, one line per rule, confirmed first (three, then a count)."""
    rules: dict[str, Finding] = {}
    ordered = sorted(findings, key=lambda f: (f.confidence == Confidence.LOW, f.sort_key()))
    for f in ordered:
        rules.setdefault(f.rule, f)
    lines = [
        f"\u26a0 {f.rule} {f.severity.label}"
        + (" (unconfirmed)" if f.confidence == Confidence.LOW else "")
        for f in list(rules.values())[:3]
    ]
    if len(rules) > 3:
        lines.append(f"+{len(rules) - 3} more rules")
    return "".join("\n" + line for line in lines)
