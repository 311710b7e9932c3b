"""The data-flow model: immutable records that every stage of tmscan passes along."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

# A security fact is TRI-STATE: True, False, or absent (unknown). Non-boolean facts
# (an auth scheme, a port list) are strings or ints; absent still means unknown.
Fact = bool | int | str
Facts = Mapping[str, Fact]

# STRIDE letters and the names Threat Dragon and the reports use for them.
STRIDE_NAMES = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}

INTERNET_ID = "internet"
INTERNET_BOUNDARY = "internet"

Kind = Literal["process", "datastore", "external"]
Basis = Literal["called", "reachable"]
Tier = Literal["public", "private", "isolated"]


class FrozenFacts(Mapping[str, Fact]):
    """A read-only, picklable mapping of facts, in key order."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Fact]) -> None:
        self._data = dict(sorted(data.items()))

    def __getitem__(self, key: str) -> Fact:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenFacts({self._data!r})"

    def __hash__(self) -> int:  # immutable, so records holding facts can be set members
        return hash(tuple(self._data.items()))

    def __reduce__(self) -> tuple[type[FrozenFacts], tuple[dict[str, Fact]]]:
        return (FrozenFacts, (self._data,))


def any_of(values: Iterable[bool | None]) -> bool | None:
    """Three-valued OR: True if one is True, unknown if one is unknown, else False."""
    found = list(values)
    return True if True in found else (None if None in found else False)


def all_of(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: False if one is False, unknown if one is unknown, else True."""
    found = list(values)
    return False if False in found else (None if None in found else True)


def facts(values: Mapping[str, Fact | None] | None = None, /, **kw: Fact | None) -> Facts:
    """Freeze known facts into a read-only mapping, dropping unknowns (None)."""
    merged: dict[str, Fact | None] = dict(values or {})
    merged.update(kw)
    return FrozenFacts({k: v for k, v in merged.items() if v is not None})


EMPTY: Facts = FrozenFacts({})


class Severity(enum.IntEnum):
    """Finding severity, ordered so that comparisons mean 'at least as severe'."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


class Confidence(enum.IntEnum):
    """How sure a finding is; LOW means unconfirmed (a needed fact was unknown)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Evidence:
    """Where a fact was read: a file and line, or a live API call and resource URI."""

    source: str  # "terraform", "kubernetes", "openapi", "aws", "k8s-live"
    file: str | None = None  # relative to the scanned root
    line: int | None = None
    address: str | None = None  # the block or object that states the fact
    fact: str | None = None  # which fact this supports; None = the element itself
    uri: str | None = None  # live sources: ARN or API path
    account: str | None = None
    region: str | None = None
    cluster: str | None = None
    detail: str | None = None  # short human note ("route 0.0.0.0/0 -> igw")
    end_line: int | None = None  # last line of the block (line span)

    def location(self) -> dict[str, str | int]:
        """The report's `location` object for this evidence."""
        if self.file is not None:
            loc: dict[str, str | int] = {"file": self.file}
            if self.line is not None:
                loc["line"] = self.line
            return loc
        out: dict[str, str | int] = {}
        for key in ("uri", "account", "region", "cluster"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def short(self) -> str:
        """`file:line` or the URI, for terminal output."""
        if self.file is not None:
            return f"{self.file}:{self.line}" if self.line is not None else self.file
        return self.uri or self.source


@dataclass(frozen=True)
class Part:
    """A sub-resource inside an element (listener, stage, operation) with its own facts."""

    kind: str  # "listener", "stage", "operation", ...
    name: str
    resource: str  # the address a user changes (aws_lb_listener.http)
    props: Facts = field(default_factory=lambda: EMPTY)
    evidence: tuple[Evidence, ...] = ()

    def fact(self, name: str) -> Fact | None:
        return self.props.get(name)


@dataclass(frozen=True)
class Element:
    """A node of the DFD: a process, a datastore or an external entity."""

    id: str
    kind: Kind
    type: str  # a technology from the catalogue
    name: str
    resource: str  # the address a user recognises
    boundary: str | None = None  # innermost trust boundary id (set by the boundary pass)
    props: Facts = field(default_factory=lambda: EMPTY)
    parts: tuple[Part, ...] = ()
    evidence: tuple[Evidence, ...] = ()  # the first one locates the element itself
    key: str | None = None  # source-neutral asset key (e.g. rds:db-instance:orders)

    def fact(self, name: str) -> Fact | None:
        return self.props.get(name)

    def evidence_for(self, fact: str) -> Evidence | None:
        """Evidence for one fact, falling back to the element's own location."""
        for ev in self.evidence:
            if ev.fact == fact:
                return ev
        return self.evidence[0] if self.evidence else None


def flow_id(source: str, target: str, protocol: str, port: int | None) -> str:
    return f"{source}->{target}:{protocol}/{'*' if port is None else port}"


@dataclass(frozen=True)
class Flow:
    """A directed data flow between two elements, with its transport and access facts."""

    source: str
    target: str
    protocol: str  # "https", "http", "tcp", "postgres", ...
    port: int | None  # None = any / unknown
    basis: Basis
    derivation: str  # "declared: ..." or "inferred: <reason>"
    tls: bool | None = None
    mtls: bool | None = None
    authn: str | None = None  # scheme, "none", or None for unknown
    authz: bool | None = None
    rate_limited: bool | None = None
    data: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    # Does the platform's policy (a NetworkPolicy, a mesh authorization policy) admit it?
    # False: configured but blocked, so it carries no data and is not a path; None:
    # nothing decides or it is not known.
    network_allowed: bool | None = None

    @property
    def id(self) -> str:
        return flow_id(self.source, self.target, self.protocol, self.port)


@dataclass(frozen=True)
class TrustBoundary:
    """A nested trust zone: internet, account, vpc, subnet tier, cluster, namespace, mesh."""

    id: str
    type: str  # internet | account | vpc | subnet | cluster | namespace | mesh
    name: str
    parent: str | None
    trust: int  # 0 = internet; higher = more trusted
    props: Facts = field(
        default_factory=lambda: EMPTY
    )  # e.g. tier=public, subnets="subnet-a,subnet-b"
    evidence: tuple[Evidence, ...] = ()
    members: tuple[str, ...] = ()  # sub-resources grouped in the zone (e.g. subnets)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """Something the scan could not read or understand, and why."""

    level: Literal["error", "warning", "info"]
    source: str  # file path relative to the root, API call, or rule id
    message: str
    line: int | None = None

    def short(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Join:
    """One link the scan made between what two sources describe: the subject (an element
    or boundary of one source) joined to the target (of another), why, and where the
    sources say so. `declared`: the scan configuration stated it."""

    kind: str  # api | twin | same | cluster | load-balancer | endpoint | workload-identity
    subject: str
    target: str
    detail: str
    evidence: tuple[Evidence, ...] = ()
    declared: bool = False


@dataclass(frozen=True)
class Fragment:
    """What one collector contributes: part of the DFD plus its diagnostics."""

    elements: tuple[Element, ...] = ()
    flows: tuple[Flow, ...] = ()
    boundaries: tuple[TrustBoundary, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    inputs: tuple[str, ...] = ()  # files or calls read successfully
    # What a cloud identity's permissions reach, as flows from `iam-role:<role name>`:
    # not part of the diagram until a join binds a workload to the role (IRSA).
    grants: tuple[Flow, ...] = ()

    @staticmethod
    def combine(fragments: Iterable[Fragment]) -> Fragment:
        els: list[Element] = []
        fls: list[Flow] = []
        bds: list[TrustBoundary] = []
        dgs: list[Diagnostic] = []
        ins: list[str] = []
        gts: list[Flow] = []
        for f in fragments:
            els.extend(f.elements)
            fls.extend(f.flows)
            bds.extend(f.boundaries)
            dgs.extend(f.diagnostics)
            ins.extend(f.inputs)
            gts.extend(f.grants)
        return Fragment(tuple(els), tuple(fls), tuple(bds), tuple(dgs), tuple(ins), tuple(gts))


@dataclass(frozen=True)
class Suppression:
    kind: Literal["suppressed", "baseline"]
    reason: str


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one element, part or flow of the model."""

    rule: str
    title: str
    severity: Severity
    confidence: Confidence
    stride: tuple[str, ...]
    controls: tuple[str, ...]
    resource: str
    element: str
    message: str
    remediation: str
    evidence: tuple[Evidence, ...]  # the first is the primary location
    fingerprint: str
    flow: str | None = None
    asset: str | None = None
    path: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    suppression: Suppression | None = field(default=None)

    @property
    def location(self) -> dict[str, str | int]:
        return self.evidence[0].location() if self.evidence else {}

    def sort_key(self) -> tuple[int, str, str, str, str]:
        loc = self.evidence[0].short() if self.evidence else ""
        return (-int(self.severity), self.rule, self.resource, loc, self.fingerprint)
