"""The DFD as a graph: typed queries over elements, flows and boundaries (wraps networkx)."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import networkx as nx

from scanner.catalogue import Technology, technology
from scanner.model import INTERNET_ID, Basis, Element, Flow, TrustBoundary


class DFDGraph:
    """One merged data-flow diagram. Immutable once built; rules only read it."""

    def __init__(
        self,
        elements: Iterable[Element],
        flows: Iterable[Flow],
        boundaries: Iterable[TrustBoundary],
    ) -> None:
        self._elements = {e.id: e for e in sorted(elements, key=lambda e: e.id)}
        self._boundaries = {b.id: b for b in sorted(boundaries, key=lambda b: b.id)}
        self._flows = {f.id: f for f in sorted(flows, key=lambda f: f.id)}
        self._g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self._g.add_nodes_from(self._elements)
        for f in self._flows.values():
            if f.network_allowed is not False:  # a blocked flow is listed, not a path
                self._g.add_edge(f.source, f.target, key=f.id)

    # --- plain access ------------------------------------------------------------------

    @property
    def elements(self) -> tuple[Element, ...]:
        return tuple(self._elements.values())

    @property
    def flows(self) -> tuple[Flow, ...]:
        return tuple(self._flows.values())

    @property
    def boundaries(self) -> tuple[TrustBoundary, ...]:
        return tuple(self._boundaries.values())

    def element(self, element_id: str) -> Element:
        return self._elements[element_id]

    def get(self, element_id: str) -> Element | None:
        return self._elements.get(element_id)

    def boundary(self, boundary_id: str) -> TrustBoundary:
        return self._boundaries[boundary_id]

    def tech(self, element_id: str) -> Technology:
        return technology(self._elements[element_id].type)

    # --- typed queries -----------------------------------------------------------------

    def by_kind(self, kind: str) -> Iterator[Element]:
        return (e for e in self._elements.values() if e.kind == kind)

    def by_type(self, type_: str) -> Iterator[Element]:
        return (e for e in self._elements.values() if e.type == type_)

    def with_flag(self, flag: str) -> Iterator[Element]:
        """Elements whose technology has a catalogue flag (stores_data, entry_point, ...)."""
        return (e for e in self._elements.values() if getattr(technology(e.type), flag))

    def flows_into(self, element_id: str, basis: Basis | None = None) -> list[Flow]:
        if element_id not in self._g:
            return []
        ids = sorted(k for _, _, k in self._g.in_edges(element_id, keys=True))
        return [self._flows[i] for i in ids if basis is None or self._flows[i].basis == basis]

    def flows_from(self, element_id: str, basis: Basis | None = None) -> list[Flow]:
        if element_id not in self._g:
            return []
        ids = sorted(k for _, _, k in self._g.out_edges(element_id, keys=True))
        return [self._flows[i] for i in ids if basis is None or self._flows[i].basis == basis]

    # --- boundaries --------------------------------------------------------------------

    def ancestors(self, boundary_id: str | None) -> list[str]:
        """The boundary and every enclosing one, innermost first."""
        out: list[str] = []
        current = boundary_id
        while current is not None and current in self._boundaries and current not in out:
            out.append(current)
            current = self._boundaries[current].parent
        return out

    def within(self, element_id: str, boundary_id: str) -> bool:
        return boundary_id in self.ancestors(self._elements[element_id].boundary)

    def crosses(self, flow: Flow) -> bool:
        """A flow crosses a boundary when its ends sit in different zones."""
        src, dst = self._elements.get(flow.source), self._elements.get(flow.target)
        return src is None or dst is None or src.boundary != dst.boundary

    def flows_crossing(self, boundary_id: str) -> list[Flow]:
        """Flows with exactly one end inside the boundary (entering or leaving it)."""
        return [
            f
            for f in self._flows.values()
            if self.within(f.source, boundary_id) != self.within(f.target, boundary_id)
        ]

    # --- paths -------------------------------------------------------------------------

    def internet_path(
        self,
        target: str,
        through: Callable[[Element], bool] | None = None,
        basis: Basis | None = None,
    ) -> list[str] | None:
        """The shortest path internet -> target, or None.

        `through` restricts intermediate hops (e.g. only elements that forward
        connections); `basis` restricts the flows used.
        """
        return self.path(INTERNET_ID, target, through, basis)

    def path(
        self,
        source: str,
        target: str,
        through: Callable[[Element], bool] | None = None,
        basis: Basis | None = None,
    ) -> list[str] | None:
        if source not in self._g or target not in self._g:
            return None

        def node_ok(n: str) -> bool:
            return n in (source, target) or through is None or through(self._elements[n])

        def edge_ok(u: str, v: str, k: object) -> bool:
            return basis is None or self._flows[str(k)].basis == basis

        view = nx.subgraph_view(self._g, filter_node=node_ok, filter_edge=edge_ok)
        try:
            found: list[str] = nx.shortest_path(view, source, target)
        except nx.NetworkXNoPath:
            return None
        return found

    def internet_paths(
        self, through: Callable[[Element], bool] | None = None
    ) -> dict[str, list[str]]:
        """Shortest paths from the internet to every element it reaches, in one pass.

        Like `internet_path` for all targets at once: intermediate hops must satisfy
        `through`; ties are broken by element id, so the result is deterministic.
        """
        if INTERNET_ID not in self._g:
            return {}
        parent: dict[str, str] = {}
        queue = deque([INTERNET_ID])
        seen = {INTERNET_ID}
        while queue:
            node = queue.popleft()
            if node != INTERNET_ID and through is not None and not through(self._elements[node]):
                continue  # reached, but traffic does not pass on through it
            for nxt in sorted(self._g.successors(node)):
                if nxt not in seen and nxt in self._elements:
                    seen.add(nxt)
                    parent[nxt] = node
                    queue.append(nxt)
        out: dict[str, list[str]] = {}
        for target in parent:
            path = [target]
            while path[-1] != INTERNET_ID:
                path.append(parent[path[-1]])
            out[target] = path[::-1]
        return out

    def reachable_from_internet(self, basis: Basis | None = None) -> set[str]:
        if INTERNET_ID not in self._g:
            return set()
        if basis is None:
            return set(nx.descendants(self._g, INTERNET_ID))
        view = nx.subgraph_view(
            self._g, filter_edge=lambda u, v, k: self._flows[str(k)].basis == basis
        )
        return set(nx.descendants(view, INTERNET_ID))

    def flows_between(self, path: list[str]) -> list[Flow]:
        """For each hop of a path, the first flow (by id) that makes it."""
        out: list[Flow] = []
        for u, v in itertools.pairwise(path):
            keys = sorted(str(k) for k in self._g.get_edge_data(u, v, default={}))
            if keys:
                out.append(self._flows[keys[0]])
        return out
