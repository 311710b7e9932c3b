"""Merge collector fragments into one model, deterministically and independent of order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from scanner.model import (
    Diagnostic,
    Element,
    Flow,
    Fragment,
    Join,
    Part,
    TrustBoundary,
    facts,
)


@dataclass(frozen=True)
class Merged:
    elements: tuple[Element, ...]
    flows: tuple[Flow, ...]
    boundaries: tuple[TrustBoundary, ...]
    diagnostics: tuple[Diagnostic, ...]
    inputs: tuple[str, ...]
    grants: tuple[Flow, ...] = ()  # see Fragment.grants
    joins: tuple[Join, ...] = ()  # links made between sources (scanner/attach.py, joins.py)


def _merge_props(
    label: str, items: list[Element], diagnostics: list[Diagnostic]
) -> dict[str, object]:
    merged: dict[str, object] = {}
    for item in items:
        for key, value in item.props.items():
            if key in merged and merged[key] != value:
                diagnostics.append(
                    Diagnostic(
                        "warning",
                        label,
                        f"sources disagree on {key!r} ({merged[key]!r} vs {value!r}); "
                        "treated as unknown",
                    )
                )
                merged[key] = None
            elif key not in merged:
                merged[key] = value
    return merged


def merge_parts(parts: list[Part]) -> tuple[Part, ...]:
    """Parts that two sources give alike (kind, name, resource and facts) become one,
    keeping both evidence trails; parts that differ stay apart."""
    merged: dict[tuple[str, str, str, object], Part] = {}
    for p in parts:
        key = (p.kind, p.name, p.resource, p.props)  # equal facts: the same thing twice
        if key not in merged:
            merged[key] = p
            continue
        old = merged[key]
        merged[key] = replace(old, evidence=tuple(dict.fromkeys(old.evidence + p.evidence)))
    return tuple(merged.values())


def _merge_elements(items: list[Element], diagnostics: list[Diagnostic]) -> Element:
    # A file location first, where a source has one: it is what CI annotates.
    items = sorted(
        items,
        key=lambda e: (not any(ev.file for ev in e.evidence[:1]), e.evidence, e.resource, e.type),
    )
    if len(items) == 1:
        return items[0]
    first = items[0]
    props = _merge_props(first.id, items, diagnostics)
    evidence = tuple(dict.fromkeys(ev for e in items for ev in e.evidence))
    parts = merge_parts([p for e in items for p in e.parts])
    return replace(
        first,
        props=facts({k: v for k, v in props.items() if isinstance(v, bool | int | str)}),
        evidence=evidence,
        parts=parts,
        boundary=next((e.boundary for e in items if e.boundary), None),
        key=next((e.key for e in items if e.key), None),
    )


_TRI = ("tls", "mtls", "authn", "authz", "rate_limited", "network_allowed")


def _merge_flows(items: list[Flow], diagnostics: list[Diagnostic]) -> Flow:
    items = sorted(items, key=lambda f: (f.basis != "called", f.evidence, f.derivation))
    first = items[0]
    if len(items) == 1:
        return first
    changes: dict[str, object] = {}
    for name in _TRI:
        known = {getattr(f, name) for f in items} - {None}
        if len(known) > 1:
            diagnostics.append(
                Diagnostic("warning", first.id, f"sources disagree on {name}; treated as unknown")
            )
        changes[name] = known.pop() if len(known) == 1 else None
    changes["evidence"] = tuple(dict.fromkeys(ev for f in items for ev in f.evidence))
    changes["data"] = tuple(sorted({d for f in items for d in f.data}))
    return replace(first, **changes)  # type: ignore[arg-type]


def _merge_boundaries(items: list[TrustBoundary]) -> TrustBoundary:
    items = sorted(items, key=lambda b: (b.evidence, b.name))
    members = tuple(sorted({m for b in items for m in b.members}))
    evidence = tuple(dict.fromkeys(ev for b in items for ev in b.evidence))
    return replace(items[0], members=members, evidence=evidence)


def merge(fragments: Iterable[Fragment]) -> Merged:
    """One model from many fragments; the result does not depend on their order."""
    elements: dict[str, list[Element]] = defaultdict(list)
    flows: dict[str, list[Flow]] = defaultdict(list)
    boundaries: dict[str, list[TrustBoundary]] = defaultdict(list)
    diagnostics: list[Diagnostic] = []
    inputs: set[str] = set()
    grants: dict[str, Flow] = {}
    for fragment in fragments:
        grants.update((g.id, g) for g in fragment.grants)
        for e in fragment.elements:
            elements[e.id].append(e)
        for f in fragment.flows:
            flows[f.id].append(f)
        for b in fragment.boundaries:
            boundaries[b.id].append(b)
        diagnostics.extend(fragment.diagnostics)
        inputs.update(fragment.inputs)
    merged_elements = tuple(_merge_elements(elements[k], diagnostics) for k in sorted(elements))
    merged_flows = tuple(_merge_flows(flows[k], diagnostics) for k in sorted(flows))
    merged_boundaries = tuple(_merge_boundaries(boundaries[k]) for k in sorted(boundaries))
    return Merged(
        merged_elements,
        merged_flows,
        merged_boundaries,
        tuple(sorted(set(diagnostics), key=_diag_key)),
        tuple(sorted(inputs)),
        tuple(grants[k] for k in sorted(grants)),
    )


def _diag_key(d: Diagnostic) -> tuple[str, int, str, str]:
    return (d.source, d.line or 0, d.level, d.message)
