"""Cross-source pass: put each API description on the element that serves it.

An OpenAPI collector knows operations but not infrastructure; Terraform and Kubernetes
know infrastructure but not operations. A spec is joined to the elements that serve it:
by an explicit link in the configuration, by a Terraform API's `body = file(...)`, or by
its server host names (Ingress/Gateway hosts, API Gateway custom domains, load balancer
DNS names). Its operations, schemes and servers then become parts of those elements, so
the rules see them where the internet reaches them. A spec nothing serves stays its own
element, and a diagnostic says it could not be placed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from scanner.config import Link
from scanner.merge import Merged
from scanner.model import Diagnostic, Element, Join, facts

SPEC_TYPE = "web-api"


def _hosts(e: Element) -> list[str]:
    return [h for h in str(e.fact("hosts") or "").split(",") if h]


_ELB = re.compile(
    r"(?:internal-)?(?P<name>[a-z0-9-]+)-[0-9a-z]+\."
    r"(?:[a-z0-9-]+\.)?elb\.(?:[a-z0-9-]+\.)?amazonaws\.com"
)


def _split(entry: str) -> tuple[str, str]:
    host, _, path = entry.partition("/")
    return host, path.strip("/")


class _Candidates:
    """The elements a spec may land on, indexed once: by the spec file their body reads,
    by exact host, by wildcard domain, and (load balancers) by name."""

    def __init__(self, elements: Iterable[Element]) -> None:
        self.by_body: dict[str, list[Element]] = {}
        self.by_host: dict[str, list[tuple[str, Element, str]]] = {}
        self.by_domain: dict[str, list[tuple[str, Element, str]]] = {}
        self.by_lb_name: dict[str, list[Element]] = {}
        for e in elements:
            for file in str(e.fact("openapi_spec") or "").split(","):
                if file:
                    self.by_body.setdefault(file, []).append(e)
            for entry in _hosts(e):
                host, base = _split(entry)
                if host.startswith("*."):
                    self.by_domain.setdefault(host[2:], []).append((base, e, entry))
                else:
                    self.by_host.setdefault(host, []).append((base, e, entry))
            if e.type in ("load-balancer", "network-load-balancer") and e.name:
                self.by_lb_name.setdefault(e.name.lower(), []).append(e)

    def serving(self, spec: Element) -> list[tuple[Element, str]]:
        """The elements that serve a spec, each with how it was matched. By host name,
        the longest base path that matches wins (one domain, several APIs under /orders
        and /catalog)."""
        file = str(spec.fact("openapi_spec"))
        if file in self.by_body:
            return [(e, f"its body is read from {file}") for e in self.by_body[file]]
        scored: dict[str, tuple[int, Element, str]] = {}
        servers = [h for h in str(spec.fact("server_paths") or "").split(",") if h]
        for server in servers or _hosts(spec):
            host, path = _split(server)
            domain = host.partition(".")[2]
            for base, e, entry in self.by_host.get(host, []) + self.by_domain.get(domain, []):
                if not base or f"{path}/".startswith(f"{base}/"):
                    score = len(base) + 1
                    if score > scored.get(e.id, (0,))[0]:
                        scored[e.id] = (score, e, f"it serves {entry}")
            m = _ELB.fullmatch(host)
            for e in self.by_lb_name.get(m["name"], []) if m else []:
                scored.setdefault(e.id, (1, e, f"{host} is its DNS name"))
        if not scored:
            return []
        best = max(score for score, _, _ in scored.values())
        return [(e, why) for score, e, why in scored.values() if score == best]


def _linked(link: Link, candidates: Sequence[Element]) -> list[Element]:
    name = link.served_by
    for key in ("resource", "id", "name"):
        hits = [e for e in candidates if getattr(e, key) == name]
        if hits:
            return hits
    return []


def _join(target: Element, spec: Element) -> Element:
    """The serving element with the spec's parts; its own facts stay (the spec's facts
    travel on its `api` part, so several specs on one element stay apart)."""
    files = {*str(target.fact("openapi_spec") or "").split(","), str(spec.fact("openapi_spec"))}
    props = dict(target.props)
    props["openapi_spec"] = ",".join(sorted(files - {""}))
    return replace(
        target,
        props=facts(props),
        parts=target.parts + spec.parts,
        evidence=target.evidence + spec.evidence,
    )


def attach_specs(model: Merged, links: Iterable[Link] = ()) -> Merged:
    """Join each API description to the elements that serve it (see the module doc)."""
    elements = {e.id: e for e in model.elements}
    specs = [e for e in model.elements if e.type == SPEC_TYPE and e.fact("openapi_spec")]
    candidates = [e for e in model.elements if e.type != SPEC_TYPE]
    by_file = {str(e.fact("openapi_spec")): e for e in specs}
    diagnostics = list(model.diagnostics)
    explicit: dict[str, list[tuple[Element, str]]] = {}
    for link in links:
        if link.openapi not in by_file:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    link.source,
                    f"links: no API description {link.openapi} was read",
                    link.line,
                )
            )
            continue
        hits = _linked(link, candidates)
        if not hits:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    link.source,
                    f"links: nothing scanned is named {link.served_by}",
                    link.line,
                )
            )
            continue
        why = f"{link.source} links it"
        explicit.setdefault(link.openapi, []).extend((e, why) for e in hits)
    dropped: set[str] = set()
    joins: list[Join] = []
    index = _Candidates(candidates)
    for file, spec in sorted(by_file.items()):
        serving = explicit.get(file) or index.serving(spec)
        if not serving:
            hosts = ", ".join(_hosts(spec)) or "no host"
            if spec.fact("api_public") is True:
                message = (
                    f"could not be placed: nothing scanned serves {hosts}; drawn as its own "
                    "internet-facing API (link it under `links:` in .tmscan.yaml)"
                )
            else:
                message = (
                    f"could not be placed: nothing scanned serves it and its servers "
                    f"({hosts}) are not public hosts; its exposure is unknown"
                )
            diagnostics.append(Diagnostic("warning", file, message, spec.evidence[0].line))
            continue
        for target, why in serving:
            elements[target.id] = _join(elements[target.id], spec)
            diagnostics.append(
                Diagnostic(
                    "info", file, f"served by {target.resource}: {why}", spec.evidence[0].line
                )
            )
            joins.append(
                Join(
                    "api",
                    file,
                    target.id,
                    f"{file} is served by {target.resource}: {why}",
                    (*spec.evidence[:1], *target.evidence[:1]),
                    declared=why.endswith("links it"),
                )
            )
        dropped.add(spec.id)
    flows = tuple(f for f in model.flows if f.source not in dropped and f.target not in dropped)
    return replace(
        model,
        elements=tuple(e for i, e in elements.items() if i not in dropped),
        flows=flows,
        diagnostics=tuple(diagnostics),
        joins=(*model.joins, *joins),
    )
