"""A live resource and its code are one element: pair live AWS elements with their
Terraform definitions, merge them, and note where the account differs from the code.

Pairs are made by the source-neutral key (`rds:db-instance:orders-db`), else, for
resources AWS names with generated ids, by a name both sources state (an instance's Name
tag, an API's name), and only where exactly one element on each side has it. A VPC zone
pairs when its CIDR block is unique on both sides and resources inside it paired too;
its subnet tiers pair by tier, the account zones when a VPC paired. The merged element
keeps the Terraform id and location first (what CI annotates) and both evidence trails.

Drift: where both sources state a security fact and disagree, the live value is the
one that runs; a `drift` part records both values and both locations. A path from the
internet that only the live account has (a security group opened by hand) is drift on
the element it reaches, unless a changed exposure fact already says so. TM-DRIFT-001
reports them.
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
# Facts that decide exposure: a change in one explains a path opened or closed by it.
EXPOSURE_FACTS = frozenset({"publicly_accessible", "public", "public_ip", "internal"})
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
        self.renamed: dict[str, str] = {}  # live element or zone id -> its code twin's

    def run(self) -> None:
        code = [e for e in self.elements.values() if e.id.startswith("tf:")]
        live = [e for e in self.elements.values() if e.id.startswith("aws:")]
        if not code or not live:
            return
        pairs = _unique_pairs(code, live, _identity)  # type: ignore[arg-type]
        zones = self._zones(pairs)
        if not pairs:
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
        self.renamed = renamed

    def _vpc_of(self, e: Element) -> str | None:
        at = e.boundary
        seen: set[str] = set()
        while at is not None and at in self.boundaries and at not in seen:
            seen.add(at)
            if self.boundaries[at].type == "vpc":
                return at
            at = self.boundaries[at].parent
        return None

    def _zones(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        """live boundary id -> code boundary id: a VPC whose CIDR block is unique on both
        sides and holds at least one twinned resource on both (one CIDR alone, a common
        10.0.0.0/16, proves nothing), its subnet tiers by tier, and the account zones when
        a VPC paired and there is one of each."""
        code = [b for b in self.boundaries.values() if b.id.startswith("tf:")]
        live = [b for b in self.boundaries.values() if b.id.startswith("aws:")]
        confirmed = {
            (self._vpc_of(self.elements[c]), self._vpc_of(self.elements[lv])) for c, lv in pairs
        }
        out = {
            lv: c
            for c, lv in _unique_pairs(code, live, _vpc_identity)  # type: ignore[arg-type]
            if (c, lv) in confirmed
        }
        for lv, c in sorted(out.items()):
            self.joins.append(
                self._zone_join(lv, c, "the same CIDR block, and resources paired in both")
            )
            for tier in ("public", "private", "isolated"):
                if f"{lv}/{tier}" in self.boundaries and f"{c}/{tier}" in self.boundaries:
                    out[f"{lv}/{tier}"] = f"{c}/{tier}"
        accounts = [[b.id for b in side if b.type == "account"] for side in (code, live)]
        if out and len(accounts[0]) == 1 and len(accounts[1]) == 1:
            out[accounts[1][0]] = accounts[0][0]
            self.joins.append(self._zone_join(accounts[1][0], accounts[0][0], "its VPCs paired"))
        return out

    def _zone_join(self, live: str, code: str, why: str) -> Join:
        lb, cb = self.boundaries[live], self.boundaries[code]
        return Join(
            "twin",
            live,
            code,
            f"{lb.name} in the account is {cb.name} in the code ({why})",
            (*cb.evidence[:1], *lb.evidence[:1]),
        )

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
        """Flows onto the merged ids. Into a merged element, a path from the internet that
        only the account has is drift (one per element, naming every port), unless a
        changed exposure fact already says so; one that only the code has goes when a
        changed exposure fact closed it, and otherwise stays (the account's side may
        only be unknown: a security group the scan could not read)."""
        out: dict[str, Flow] = {}
        seen: dict[str, set[bool]] = {}  # flow id -> {from live?}
        for f in self.flows.values():
            moved = replace(
                f, source=renamed.get(f.source, f.source), target=renamed.get(f.target, f.target)
            )
            seen.setdefault(moved.id, set()).add(f.source in live_ids or f.target in live_ids)
            old = out.get(moved.id)
            out[moved.id] = combine(old, moved) if old is not None else moved
        opened: dict[str, list[Flow]] = {}
        for f in list(out.values()):
            if f.source != INTERNET_ID or f.target not in merged or len(seen[f.id]) == 2:
                continue
            explained = any(
                p.kind == "drift" and p.fact("fact") in EXPOSURE_FACTS
                for p in self.elements[f.target].parts
            )
            if seen[f.id] == {True}:
                if not explained:
                    opened.setdefault(f.target, []).append(f)
            elif explained:
                del out[f.id]
        for target_id, flows in sorted(opened.items()):
            target = self.elements[target_id]
            ports = ", ".join(f"{f.protocol}/{'*' if f.port is None else f.port}" for f in flows)
            part = Part(
                "drift",
                f"internet {ports}",
                target.resource,
                facts(fact="internet_reachable", code="not reachable", live="reachable"),
                tuple(dict.fromkeys(ev for f in flows for ev in f.evidence)),
            )
            self.elements[target_id] = replace(target, parts=(*target.parts, part))
        self.flows.clear()
        self.flows.update(out)


def combine(old: Flow, new: Flow) -> Flow:
    """One flow stated twice: a known fact beats an unknown one, `called` beats
    `reachable`, and both evidence trails are kept."""
    changes: dict[str, object] = {
        name: getattr(old, name) if getattr(old, name) is not None else getattr(new, name)
        for name in ("tls", "mtls", "authn", "authz", "rate_limited", "network_allowed")
    }
    if old.basis != "called" and new.basis == "called":
        changes["basis"], changes["derivation"] = new.basis, new.derivation
    changes["evidence"] = tuple(dict.fromkeys((*old.evidence, *new.evidence)))
    changes["data"] = tuple(sorted({*old.data, *new.data}))
    return replace(old, **changes)  # type: ignore[arg-type]


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
