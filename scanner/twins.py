"""A live resource and its code are one element: pair live AWS elements with their
Terraform definitions, merge them, and note where the account differs from the code.

Pairs are made by the source-neutral key (`rds:db-instance:orders-db`), else, for
resources AWS names with generated ids, by a name both sources state (an instance's Name
tag, an API's name), and only where exactly one element on each side has it. VPC zones
pair by CIDR block (once on each side), their subnet tiers by tier, the account zones
when there is one of each. The merged element keeps the Terraform id and location first
(what CI annotates) and both evidence trails.

Drift: where both sources state a security fact and disagree, the live value is the
one that runs; an `drift` part records both values and both locations. A flow from the
internet that only the live account has (a security group opened by hand) is drift on
the element it reaches. TM-DRIFT-001 reports them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace

from scanner.merge import merge_parts
from scanner.model import (
    INTERNET_ID,
    Element,
    Evidence,
    Fact,
    Flow,
    Join,
    Part,
    TrustBoundary,
    facts,
)

# Facts whose disagreement between the account and the code is a security drift.
SECURITY_FACTS = frozenset(
    {
        "publicly_accessible",
        "public",
        "public_ip",
        "internal",
        "encryption_at_rest",
        "kms_managed",
        "imds_v2_required",
        "iam_admin",
        "iam_database_authentication",
        "access_logging",
        "endpoint_public_access",
        "secrets_kms_key",
        "audit_logging",
        "authn",
        "rate_limited",
    }
)
Identity = tuple[str, ...]


def _identity(e: Element) -> Identity | None:
    if e.key:
        return ("key", e.key)
    tag = e.fact("name_tag")
    if isinstance(tag, str) and tag:
        return ("name-tag", e.type, tag)
    if e.name and e.name != e.resource and not e.name.startswith(("arn:", "aws_")):
        return ("name", e.type, e.name)
    return None


def _unique_pairs(
    code: list[Element | TrustBoundary],
    live: list[Element | TrustBoundary],
    ident: Callable[..., Identity | None],
) -> list[tuple[str, str]]:
    sides: dict[Identity, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for side, items in ((0, code), (1, live)):
        for x in items:
            if (i := ident(x)) is not None:
                sides[i][side].append(x.id)
    return sorted((c[0], lv[0]) for c, lv in sides.values() if len(c) == 1 and len(lv) == 1)


def _vpc_identity(b: TrustBoundary) -> Identity | None:
    cidr = b.props.get("cidr")
    return ("cidr", str(cidr)) if b.type == "vpc" and cidr else None


class Twins:
    """Pairs found in the merged model, and what merging them changes."""

    def __init__(
        self,
        elements: dict[str, Element],
        flows: dict[str, Flow],
        boundaries: dict[str, TrustBoundary],
    ) -> None:
        self.elements, self.flows, self.boundaries = elements, flows, boundaries
        self.joins: list[Join] = []

    def run(self) -> None:
        code = [e for e in self.elements.values() if e.id.startswith("tf:")]
        live = [e for e in self.elements.values() if e.id.startswith("aws:")]
        if not code or not live:
            return
        zones = self._zones()
        pairs = _unique_pairs(code, live, _identity)  # type: ignore[arg-type]
        if not pairs and not zones:
            return
        renamed = {**zones, **{lv: c for c, lv in pairs}}
        live_ids = {e.id for e in live}
        for c, lv in pairs:
            self._merge(self.elements[c], self.elements.pop(lv), zones)
        for e in list(self.elements.values()):
            if e.boundary in zones:
                self.elements[e.id] = replace(e, boundary=zones[e.boundary])
        for old, new in zones.items():
            gone = self.boundaries.pop(old)
            kept = self.boundaries[new]
            self.boundaries[new] = replace(
                kept, evidence=tuple(dict.fromkeys((*kept.evidence, *gone.evidence)))
            )
        for b in list(self.boundaries.values()):
            if b.parent in zones:
                self.boundaries[b.id] = replace(b, parent=zones[b.parent])
        self._rewrite_flows(renamed, live_ids, {c for c, _ in pairs})

    def _zones(self) -> dict[str, str]:
        """live boundary id -> code boundary id: VPCs by CIDR, tiers by tier, accounts."""
        code = [b for b in self.boundaries.values() if b.id.startswith("tf:")]
        live = [b for b in self.boundaries.values() if b.id.startswith("aws:")]
        out = {lv: c for c, lv in _unique_pairs(code, live, _vpc_identity)}  # type: ignore[arg-type]
        for lv, c in list(out.items()):
            for tier in ("public", "private", "isolated"):
                if f"{lv}/{tier}" in self.boundaries and f"{c}/{tier}" in self.boundaries:
                    out[f"{lv}/{tier}"] = f"{c}/{tier}"
        accounts = [[b.id for b in side if b.type == "account"] for side in (code, live)]
        if out and len(accounts[0]) == 1 and len(accounts[1]) == 1:
            out[accounts[1][0]] = accounts[0][0]
        return out

    def _merge(self, code: Element, live: Element, zones: dict[str, str]) -> None:
        drift: list[Part] = []
        props = _over(
            code.props, live.props, lambda k, a, b: drift.append(_drift(k, a, b, code, live))
        )
        # A part both state (a stage, a listener) is one part: the code's, with live facts.
        live_parts = {(p.kind, p.name): p for p in live.parts}
        parts: list[Part] = []
        for p in code.parts:
            twin = live_parts.pop((p.kind, p.name), None)
            if twin is None:
                parts.append(p)
                continue
            where = f"{p.kind} {p.name}"

            def note(k: str, a: str, b: str, w: str = where) -> None:
                drift.append(_drift(f"{w}: {k}", a, b, code, live, k))

            merged_props = _over(p.props, twin.props, note)
            evidence = tuple(dict.fromkeys((*p.evidence, *twin.evidence)))
            parts.append(replace(p, props=facts(merged_props), evidence=evidence))
        merged = replace(
            code,
            props=facts(props),
            evidence=tuple(dict.fromkeys((*code.evidence, *live.evidence))),
            parts=merge_parts([*parts, *live_parts.values(), *drift]),
            key=code.key or live.key,
        )
        self.elements[code.id] = merged
        self.joins.append(
            Join(
                "twin",
                live.id,
                code.id,
                f"{live.resource} in the account is {code.resource} in the code",
                (*code.evidence[:1], *live.evidence[:1]),
            )
        )

    def _rewrite_flows(self, renamed: dict[str, str], live_ids: set[str], merged: set[str]) -> None:
        """Flows onto the merged ids. Into a merged element, a flow from the internet only
        the account has is drift (a security group opened by hand); one only the code has
        is gone (what runs decides), and drift unless a changed fact already says why."""
        out: dict[str, Flow] = {}
        seen: dict[str, set[bool]] = {}  # flow id -> {from live?}
        for f in self.flows.values():
            moved = replace(
                f, source=renamed.get(f.source, f.source), target=renamed.get(f.target, f.target)
            )
            seen.setdefault(moved.id, set()).add(f.source in live_ids or f.target in live_ids)
            old = out.get(moved.id)
            if old is not None:
                moved = replace(
                    old, evidence=tuple(dict.fromkeys((*old.evidence, *moved.evidence)))
                )
            out[moved.id] = moved
        for f in list(out.values()):
            if f.source != INTERNET_ID or f.target not in merged or len(seen[f.id]) == 2:
                continue
            target = self.elements[f.target]
            only_live = seen[f.id] == {True}
            if not only_live:
                del out[f.id]
                if any(p.kind == "drift" for p in target.parts):
                    continue
            states = ("not reachable", "reachable")
            in_code, in_account = states if only_live else states[::-1]
            part = Part(
                "drift",
                f"internet {f.protocol}/{'*' if f.port is None else f.port}",
                target.resource,
                facts(fact="internet_reachable", code=in_code, live=in_account),
                f.evidence,
            )
            self.elements[f.target] = replace(target, parts=(*target.parts, part))
        self.flows.clear()
        self.flows.update(out)


def _over(
    code: Mapping[str, Fact | None],
    live: Mapping[str, Fact | None],
    differ: Callable[[str, str, str], object],
) -> dict[str, Fact | None]:
    """The code's facts with the live ones over them (what runs wins); `differ` hears of
    each security fact both state and disagree on. A doubt the code had (an unconfirmed
    exposure) goes when the live read did not share it."""
    out = {k: v for k, v in code.items() if not k.endswith(("_unconfirmed", "_unknown"))}
    for k, value in live.items():
        before = code.get(k)
        if before is not None and value is not None and before != value and k in SECURITY_FACTS:
            differ(k, str(before), str(value))
        out[k] = value
    return out


def _drift(
    name: str,
    code_value: str,
    live_value: str,
    code: Element,
    live: Element,
    fact: str | None = None,
) -> Part:
    fact = fact or name
    where: list[Evidence] = [
        ev for ev in (code.evidence_for(fact), live.evidence_for(fact)) if ev is not None
    ]
    return Part(
        "drift",
        name,
        code.resource,
        facts(fact=fact, code=code_value, live=live_value),
        tuple(dict.fromkeys(where)),
    )
