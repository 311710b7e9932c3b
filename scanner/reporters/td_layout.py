"""Nested trust zones as nested rectangles: the deterministic layout of the Threat Dragon export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scanner.graph import DFDGraph
from scanner.model import Element

GAP = 40  # between neighbouring nodes or boxes
PAD = 30  # between a box's edge and its content
TITLE = 40  # the band at the top of a box that holds its label
MARGIN = 40  # around the whole diagram
NODE_ROW = 800  # nodes wrap to a new row beyond this width
BOX_ROW = 1800  # child boxes wrap to a new row beyond this width
EMPTY_BOX = (200, 100)  # the size of a zone with nothing in it


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in diagram coordinates (y grows downwards)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def within(self, other: Rect) -> bool:
        """Threat Dragon's membership rule: this bbox lies entirely inside the other."""
        return (
            self.x >= other.x
            and self.y >= other.y
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def strictly_within(self, other: Rect) -> bool:
        """Inside the other with a gap on every side."""
        return (
            self.x > other.x
            and self.y > other.y
            and self.right < other.right
            and self.bottom < other.bottom
        )

    def moved(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.width, self.height)


@dataclass(frozen=True)
class Layout:
    """Where every zone box and every element node sits, and how deep each zone nests."""

    boxes: Mapping[str, Rect]  # boundary id -> box
    nodes: Mapping[str, Rect]  # element id -> node
    depth: Mapping[str, int]  # boundary id -> 0 for an outermost zone, 1 inside it, ...

    def z_index(self, boundary_id: str) -> int:
        """Negative, so boxes stay behind nodes; a deeper box sits above its parent."""
        return self.depth[boundary_id] - max(self.depth.values()) - 1

    def crossed(self, source: str, target: str) -> list[str]:
        """Boxes a flow crosses by Threat Dragon's rule: exactly one end inside, by box id."""
        src, dst = self.nodes[source], self.nodes[target]
        return [b for b, box in sorted(self.boxes.items()) if src.within(box) != dst.within(box)]


@dataclass(frozen=True)
class _Block:
    """The laid-out content of one zone, relative to the zone's own top-left corner."""

    width: int
    height: int
    boxes: tuple[tuple[str, Rect], ...]
    nodes: tuple[tuple[str, Rect], ...]


def _shelf(sizes: list[tuple[int, int]], limit: int) -> tuple[list[tuple[int, int]], int, int]:
    """Offsets of items laid left to right in rows no wider than `limit`; total width, height."""
    offsets: list[tuple[int, int]] = []
    x = y = row_height = width = 0
    for w, h in sizes:
        if x > 0 and x + w > limit:
            x, y, row_height = 0, y + row_height + GAP, 0
        offsets.append((x, y))
        width = max(width, x + w)
        row_height = max(row_height, h)
        x += w + GAP
    return offsets, width, (y + row_height if sizes else 0)


def _parents(graph: DFDGraph) -> dict[str, str | None]:
    """Each zone's drawn parent: its model parent, unless that is unknown or loops back."""
    ids = {b.id for b in graph.boundaries}
    out: dict[str, str | None] = {}
    for b in graph.boundaries:
        loops = b.parent is not None and b.id in graph.ancestors(b.parent)
        out[b.id] = b.parent if b.parent in ids and not loops else None
    return out


def layout(graph: DFDGraph, size: Callable[[Element], tuple[int, int]]) -> Layout:
    """Zones as nested boxes, each holding its own elements (in rows) above its child zones.

    An element sits in the box of its innermost zone and in no other box's own area, so
    a node lies inside a box exactly when the element is within that zone in the model.
    """
    parents = _parents(graph)
    children: dict[str | None, list[str]] = defaultdict(list)
    for boundary_id, parent in parents.items():
        children[parent].append(boundary_id)
    members: dict[str | None, list[Element]] = defaultdict(list)
    for e in graph.elements:
        members[e.boundary if e.boundary in parents else None].append(e)
    depth: dict[str, int] = {}

    def block(zone: str | None, level: int) -> _Block:
        left, top = (MARGIN, MARGIN) if zone is None else (PAD, TITLE)
        node_sizes = [size(e) for e in members[zone]]
        node_at, nodes_w, nodes_h = _shelf(node_sizes, NODE_ROW)
        inner = [block(child, level + 1) for child in sorted(children[zone])]
        widest = max((b.width for b in inner), default=0)
        box_at, boxes_w, boxes_h = _shelf(
            [(b.width, b.height) for b in inner], max(BOX_ROW, widest)
        )
        boxes_top = top + nodes_h + (GAP if node_sizes and inner else 0)
        nodes = [
            (e.id, Rect(left + dx, top + dy, w, h))
            for e, (dx, dy), (w, h) in zip(members[zone], node_at, node_sizes, strict=True)
        ]
        boxes: list[tuple[str, Rect]] = []
        for child, sub, (dx, dy) in zip(sorted(children[zone]), inner, box_at, strict=True):
            x, y = left + dx, boxes_top + dy
            depth[child] = level
            boxes.append((child, Rect(x, y, sub.width, sub.height)))
            boxes.extend((i, r.moved(x, y)) for i, r in sub.boxes)
            nodes.extend((i, r.moved(x, y)) for i, r in sub.nodes)
        right = left + max(nodes_w, boxes_w) + (PAD if zone is not None else MARGIN)
        bottom = boxes_top + boxes_h + (PAD if zone is not None else MARGIN)
        if zone is not None and not node_sizes and not inner:
            right, bottom = EMPTY_BOX
        return _Block(right, bottom, tuple(boxes), tuple(nodes))

    canvas = block(None, 0)
    return Layout(boxes=dict(canvas.boxes), nodes=dict(canvas.nodes), depth=depth)
