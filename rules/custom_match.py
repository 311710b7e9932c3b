"""A custom rule's `match:` block: compiled from YAML into conditions, applied to the graph."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from rules.engine import Rule, RuleMeta, Verdict, identity
from scanner.catalogue import Technology, catalogue, technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Element, Fact, Flow

if TYPE_CHECKING:
    from rules.custom import Fields

UNKNOWN = "unknown"  # a fact value meaning "the sources do not state it"
UNCONFIRMED = "\x00unconfirmed"  # marks a path with a hop of unconfirmed exposure
# Flow attributes a rule may test under `facts:` (a flow's other fields have their own keys).
FLOW_FACTS = ("authn", "authz", "basis", "mtls", "network_allowed", "rate_limited", "tls")
BOOL_FLOW_FACTS = ("authz", "mtls", "network_allowed", "rate_limited", "tls")
ELEMENT_PLACEHOLDERS = ("resource", "name", "type")
FLOW_PLACEHOLDERS = ("source", "destination", "port", "protocol")

KINDS = ("process", "datastore", "external")
FLAGS = tuple(f.name for f in dataclasses.fields(Technology) if f.type in ("bool", bool))
ENDS = ("kind", "type", "technology", "facts", "internet_reachable")
ELEMENT_ONLY = ("kind", "type", "technology", "internet_reachable")
FLOW_ONLY = ("protocol", "port", "crosses_boundary", "from_internet", "source", "destination")

Target = Literal["element", "flow"]
Paths = Mapping[str, list[str]]
Check = tuple[str, bool | None]  # (what was tested, True / False / unknown)


@dataclass(frozen=True)
class FactTest:
    """A fact must equal one of `values`; an absent fact matches only when `unknown_matches`."""

    name: str
    values: tuple[Fact, ...]
    unknown_matches: bool = False

    def test(self, actual: Fact | None) -> bool | None:
        if actual is None:
            return True if self.unknown_matches else None
        # Strict types: true is not 1, "443" is not 443.
        return any(type(actual) is type(v) and actual == v for v in self.values)


@dataclass(frozen=True)
class ElementFilter:
    """Conditions on one element: the target of an element rule, or an end of a flow."""

    kinds: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    flags: tuple[tuple[str, bool], ...] = ()  # catalogue technology flags
    facts: tuple[FactTest, ...] = ()
    internet_reachable: bool | None = None

    def checks(self, element: Element, paths: Paths, prefix: str = "") -> Iterator[Check]:
        if self.kinds:
            yield "kind", element.kind in self.kinds
        if self.types:
            yield "type", element.type in self.types
        tech = technology(element.type)
        for flag, wanted in self.flags:
            yield flag, bool(getattr(tech, flag)) == wanted
        if self.internet_reachable is not None:
            path = paths.get(element.id)
            if path is not None and path[-1] == UNCONFIRMED:
                yield "internet_reachable", None
            else:
                yield "internet_reachable", (path is not None) == self.internet_reachable
        for fact in self.facts:
            yield prefix + fact.name, fact.test(element.fact(fact.name))


@dataclass(frozen=True)
class RuleSpec:
    """What a custom rule matches, compiled from its `match:` block and `message:`."""

    target: Target
    subject: ElementFilter = ElementFilter()  # target: element
    protocols: frozenset[str] = frozenset()  # target: flow, from here on
    ports: frozenset[int] = frozenset()
    crosses_boundary: bool | None = None
    from_internet: bool | None = None
    source: ElementFilter | None = None
    destination: ElementFilter | None = None
    flow_facts: tuple[FactTest, ...] = ()
    message: str | None = None  # a template over ELEMENT_/FLOW_PLACEHOLDERS
    report_unknown: bool = False
    origin: str = ""  # file:line the rule was declared at

    @property
    def needs_paths(self) -> bool:
        ends = (self.subject, self.source, self.destination)
        return any(f is not None and f.internet_reachable is not None for f in ends)


def _outcome(checks: Iterable[Check]) -> tuple[str, ...] | None:
    """None when a condition fails; else the conditions left unknown (none: a match)."""
    unknown: list[str] = []
    for name, result in checks:
        if result is False:
            return None
        if result is None:
            unknown.append(name)
    return tuple(unknown)


def _flow_fact(flow: Flow, name: str) -> Fact | None:
    return cast(Fact | None, getattr(flow, name))


def compile_match(match: Fields) -> RuleSpec | None:
    """The conditions of a `match:` block; None (with problems recorded) when unusable."""
    target = match.get("target", required=True)
    if target is not None and target not in ("element", "flow"):
        match.fail("target", f"{show(target)} is not one of element, flow")
        target = None
    if target == "element":
        match.allow(("target", *ENDS), {k: "only for target: flow" for k in FLOW_ONLY})
        return RuleSpec("element", subject=_filter(match))
    if target is None:
        match.allow(("target", *ENDS, *FLOW_ONLY))
        return None
    hint = "only for target: element (use match.source or match.destination)"
    match.allow(("target", "facts", *FLOW_ONLY), {k: hint for k in ELEMENT_ONLY})
    ports: set[int] = set()
    for value, line in match.items("port"):
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
            ports.add(value)
        else:
            match.fail("port", f"{show(value)} is not a port number (1-65535)", line)
    protocols: set[str] = set()
    for value, line in match.items("protocol"):
        if isinstance(value, str) and value.strip():
            protocols.add(value.strip().lower())
        else:
            match.fail("protocol", f"expected a protocol name, got {show(value)}", line)
    ends: dict[str, ElementFilter] = {}
    for end in ("source", "destination"):
        fields = match.mapping(end)
        if fields is not None:
            fields.allow(ENDS)
            ends[end] = _filter(fields)
    return RuleSpec(
        "flow",
        protocols=frozenset(protocols),
        ports=frozenset(ports),
        crosses_boundary=match.flag("crosses_boundary"),
        from_internet=match.flag("from_internet"),
        source=ends.get("source"),
        destination=ends.get("destination"),
        flow_facts=_facts(match, element=False),
    )


def _filter(fields: Fields) -> ElementFilter:
    flags: list[tuple[str, bool]] = []
    technology = fields.mapping("technology")
    if technology is not None:
        technology.allow(FLAGS)
        for flag in FLAGS:
            value = technology.flag(flag)
            if value is not None:
                flags.append((flag, value))
    return ElementFilter(
        kinds=fields.choices("kind", KINDS, "kind"),
        types=fields.choices("type", tuple(sorted(catalogue())), "type"),
        flags=tuple(flags),
        facts=_facts(fields, element=True),
        internet_reachable=fields.flag("internet_reachable"),
    )


def _facts(fields: Fields, element: bool) -> tuple[FactTest, ...]:
    facts = fields.mapping("facts")
    if facts is None:
        return ()
    facts.no_duplicates()
    out: list[FactTest] = []
    for name in facts.data:
        if not isinstance(name, str):
            facts.problems.append((facts.line(name), f"{facts.prefix}{name}: not a fact name"))
            continue
        if not element and name not in FLOW_FACTS:
            known = ", ".join(FLOW_FACTS)
            fields.fail("facts", f"unknown flow fact {name!r} (one of {known})", facts.line(name))
            continue
        values: list[Fact] = []
        unknown = False
        for value, line in facts.items(name, required=True):
            if value == UNKNOWN:
                unknown = True
            elif (problem := _fact_problem(name, value, element)) is None:
                values.append(value)
            else:
                facts.fail(name, problem, line)
        out.append(FactTest(name, tuple(values), unknown))
    return tuple(out)


def _fact_problem(name: str, value: Any, element: bool) -> str | None:
    if element:
        ok, expected = isinstance(value, bool | int | str), "true, false, an integer, text"
    elif name in BOOL_FLOW_FACTS:
        ok, expected = isinstance(value, bool), "true, false"
    elif name == "basis":
        ok, expected = value in ("called", "reachable"), "called, reachable"
    else:
        ok, expected = isinstance(value, str), "text"
    return None if ok else f"{show(value)} is not {expected} or unknown"


def show(value: Any) -> str:
    """A YAML value as an error message quotes it."""
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "nothing"}[value]
    return repr(value) if isinstance(value, str) else str(value)


class CustomRule(Rule):
    """Base of the rules declared in YAML; each gets its own subclass, documented by it."""

    spec: ClassVar[RuleSpec]

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        paths: dict[str, list[str]] = graph.internet_paths() if self.spec.needs_paths else {}
        # A path through a hop whose exposure the sources leave open (a NodePort whose
        # nodes may not be public) is not a confirmed path: it makes the condition unknown.
        for target, path in list(paths.items()):
            if any(graph.element(n).fact("exposure_unconfirmed") for n in path):
                paths[target] = [*path, UNCONFIRMED]
        if self.spec.target == "element":
            return self._elements(graph, paths)
        return self._flows(graph, paths)

    def _elements(self, graph: DFDGraph, paths: Paths) -> Iterator[Verdict]:
        spec = self.spec
        for element in graph.elements:
            if element.id == INTERNET_ID:
                continue
            unknown = _outcome(spec.subject.checks(element, paths))
            if unknown is None or (unknown and not spec.report_unknown):
                continue
            first = spec.subject.facts[0].name if spec.subject.facts else None
            primary = element.evidence_for(first) if first else None
            evidence = tuple(dict.fromkeys(e for e in (primary, *element.evidence) if e))
            values = {"resource": element.resource, "name": element.name, "type": element.type}
            yield Verdict(
                element=element.id,
                resource=element.resource,
                message=self._message(values, "{resource} ({type})", unknown),
                evidence=evidence,
                path=tuple(n for n in paths.get(element.id, ()) if n != UNCONFIRMED)
                if spec.subject.internet_reachable
                else (),
                confidence=Confidence.LOW if unknown else Confidence.HIGH,
            )

    def _flows(self, graph: DFDGraph, paths: Paths) -> Iterator[Verdict]:
        spec = self.spec
        states_allowed = any(f.name == "network_allowed" for f in spec.flow_facts)
        for flow in graph.flows:
            if flow.network_allowed is False and not states_allowed:
                continue  # blocked by policy: it carries nothing, unless the rule asks
            src, dst = graph.get(flow.source), graph.get(flow.target)
            if src is None or dst is None:
                continue
            unknown = _outcome(self._flow_checks(graph, flow, src, dst, paths))
            if unknown is None or (unknown and not spec.report_unknown):
                continue
            port = "*" if flow.port is None else str(flow.port)
            values = {
                "resource": dst.resource,
                "name": dst.name,
                "type": dst.type,
                "source": src.resource,
                "destination": dst.resource,
                "port": port,
                "protocol": flow.protocol,
            }
            default = "{source} -> {destination} ({protocol}/{port})"
            yield Verdict(
                element=dst.id,
                resource=dst.resource,
                message=self._message(values, default, unknown),
                evidence=flow.evidence or dst.evidence,
                flow=flow.id,
                path=self._flow_path(flow, paths),
                confidence=Confidence.LOW if unknown else Confidence.HIGH,
                # One finding per flow, not per destination (the fingerprint's identity).
                key=f"{identity(graph, flow.source)} {flow.protocol}/{port}",
            )

    def _flow_checks(
        self, graph: DFDGraph, flow: Flow, src: Element, dst: Element, paths: Paths
    ) -> Iterator[Check]:
        spec = self.spec
        if spec.protocols:
            yield "protocol", flow.protocol.lower() in spec.protocols
        if spec.ports:  # no port on a flow means any or unknown
            yield "port", None if flow.port is None else flow.port in spec.ports
        if spec.crosses_boundary is not None:
            yield "crosses_boundary", graph.crosses(flow) == spec.crosses_boundary
        if spec.from_internet is not None:
            yield "from_internet", (flow.source == INTERNET_ID) == spec.from_internet
        for fact in spec.flow_facts:
            yield fact.name, fact.test(_flow_fact(flow, fact.name))
        if spec.source is not None:
            yield from spec.source.checks(src, paths, "source.")
        if spec.destination is not None:
            yield from spec.destination.checks(dst, paths, "destination.")

    def _flow_path(self, flow: Flow, paths: Paths) -> tuple[str, ...]:
        ends = (self.spec.source, self.spec.destination)
        if self.spec.from_internet:
            return (flow.source, flow.target)
        if any(end is not None and end.internet_reachable for end in ends):
            return tuple(paths.get(flow.target, ()))  # the way in to what the flow reaches
        return ()

    def _message(self, values: dict[str, str], default: str, unknown: tuple[str, ...]) -> str:
        if self.spec.message is None:
            text = f"{self.meta.title}: {default.format_map(values)}."
        else:
            text = self.spec.message.format_map(values)
        if unknown:
            text += f" Unconfirmed: the scanned sources do not state {', '.join(unknown)}."
        return text


def make_rule(meta: RuleMeta, spec: RuleSpec, documentation: str) -> Rule:
    """A Rule instance of a new CustomRule subclass carrying the rule's metadata and docs."""
    name = "Custom_" + meta.id.replace("-", "_")
    attrs: dict[str, object] = {"meta": meta, "spec": spec, "__doc__": documentation}
    cls = cast(type[CustomRule], type(name, (CustomRule,), {**attrs, "__module__": __name__}))
    return cls()
