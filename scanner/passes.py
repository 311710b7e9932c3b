"""Passes over the merged model: the internet zone and a consistent boundary tree."""

from __future__ import annotations

from dataclasses import replace

from scanner.merge import Merged
from scanner.model import (
    INTERNET_BOUNDARY,
    INTERNET_ID,
    Diagnostic,
    Element,
    TrustBoundary,
)

INTERNET_ZONE = TrustBoundary(INTERNET_BOUNDARY, "internet", "Internet", None, 0)
INTERNET_ELEMENT = Element(
    id=INTERNET_ID,
    kind="external",
    type="internet",
    name="Internet",
    resource="internet",
    boundary=INTERNET_BOUNDARY,
)


def boundaries(model: Merged) -> Merged:
    """Add the internet element and zone; repair boundaries that name missing parents,
    and drop flows whose ends are not elements.

    Every exposure path starts at the one `internet` element. A boundary whose parent is
    not in the model hangs from the internet zone (with a diagnostic), and an element
    that names a missing boundary keeps no boundary rather than an invented one.
    """
    diagnostics = list(model.diagnostics)
    known = {b.id for b in model.boundaries} | {INTERNET_BOUNDARY}
    fixed: list[TrustBoundary] = [INTERNET_ZONE]
    for b in model.boundaries:
        if b.id == INTERNET_BOUNDARY:
            continue
        if b.parent is None or b.parent not in known:
            if b.parent is not None:
                diagnostics.append(
                    Diagnostic("warning", b.id, f"parent boundary {b.parent} is not in the model")
                )
            fixed.append(replace(b, parent=INTERNET_BOUNDARY))
        else:
            fixed.append(b)
    elements = [e for e in model.elements if e.id != INTERNET_ID]
    repaired: list[Element] = [INTERNET_ELEMENT]
    for e in elements:
        if e.boundary is not None and e.boundary not in known:
            diagnostics.append(
                Diagnostic("warning", e.id, f"boundary {e.boundary} is not in the model")
            )
            repaired.append(replace(e, boundary=None))
        else:
            repaired.append(e)
    # A flow must join two elements of the model; one that does not is a collector bug,
    # reported rather than left for the graph to invent an empty node.
    ids = {e.id for e in repaired}
    flows = []
    for f in model.flows:
        if f.source in ids and f.target in ids:
            flows.append(f)
        else:
            diagnostics.append(Diagnostic("warning", f.id, "flow to an element not in the model"))
    return replace(
        model,
        elements=tuple(sorted(repaired, key=lambda e: e.id)),
        flows=tuple(flows),
        boundaries=tuple(sorted(fixed, key=lambda b: b.id)),
        diagnostics=tuple(diagnostics),
    )
