"""Cross-source joins: one system out of Terraform, Kubernetes and live AWS.

After merging, each source's part of the diagram is an island. This pass links them
where the sources say so, and records every link it makes (a `Join`, with evidence):

- twin: a live AWS resource and its Terraform definition are one element, with drift
  noted where they disagree (scanner/twins.py);
- same: an element the configuration says is another one (`links: - element: A,
  same_as: B`) is merged into it;
- cluster: a Kubernetes cluster runs on an EKS cluster (named in the configuration, or
  the only EKS cluster and the only Kubernetes cluster of the scan): its boundary moves
  into the VPC zone where the EKS node groups run;
- load-balancer: on EKS, a LoadBalancer Service's AWS annotations decide its scheme (an
  internal NLB is internal, not unknown); an ALB Ingress's load balancer lives in the
  VPC's public subnets, so its element moves there;
- endpoint: a workload's external host that is an AWS datastore's endpoint (RDS,
  ElastiCache, OpenSearch, Redshift, S3) becomes a flow to that datastore's element;
- workload-identity: a workload whose ServiceAccount names an IAM role (IRSA) gets the
  flows that role's permissions open (Fragment.grants).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from scanner.merge import Merged, merge_parts
from scanner.model import (
    INTERNET_ID,
    Diagnostic,
    Element,
    Evidence,
    Flow,
    Join,
    TrustBoundary,
    facts,
)
from scanner.twins import Twins, combine

_ROLE_SOURCE = "iam-role:"


class _Model:
    """The merged model being joined: elements, flows and boundaries by id."""

    def __init__(self, model: Merged) -> None:
        self.elements = {e.id: e for e in model.elements}
        self.flows = {f.id: f for f in model.flows}
        self.boundaries = {b.id: b for b in model.boundaries}
        self.joins: list[Join] = []
        self.problems: list[Diagnostic] = []

    def ancestors(self, boundary: str | None) -> list[str]:
        out = []
        while boundary is not None and boundary not in out:
            out.append(boundary)
            parent = self.boundaries.get(boundary)
            boundary = parent.parent if parent else None
        return out

    def within(self, element: Element, boundary: str) -> bool:
        return boundary in self.ancestors(element.boundary)

    def add_flow(self, flow: Flow) -> None:
        old = self.flows.get(flow.id)
        self.flows[flow.id] = combine(old, flow) if old is not None else flow


# --- clusters on EKS -------------------------------------------------------------------------


def _eks_name(e: Element) -> str | None:
    if e.type == "kubernetes-api" and e.key and e.key.startswith("eks:cluster:"):
        return e.key.removeprefix("eks:cluster:")
    return None


def _common(m: _Model, zones: list[str]) -> str | None:
    """The innermost boundary holding all `zones`."""
    if not zones:
        return None
    shared = m.ancestors(zones[0])
    for z in zones[1:]:
        theirs = set(m.ancestors(z))
        shared = [b for b in shared if b in theirs]
    return shared[0] if shared else None


def _place_clusters(
    m: _Model, declared: Iterable[tuple[str, str, str, int | None]]
) -> dict[str, str]:
    """Move each Kubernetes cluster that runs on an EKS cluster into its nodes' zone;
    returns {cluster boundary id: EKS element id}."""
    eks: dict[str, list[Element]] = {}
    for e in m.elements.values():
        if name := _eks_name(e):
            eks.setdefault(name, []).append(e)
    clusters = [b for b in m.boundaries.values() if b.type == "cluster"]
    pairs: list[tuple[TrustBoundary, Element, bool]] = []
    declared = list(declared)
    for wanted_cluster, wanted, source, line in declared:
        cluster = next((b for b in clusters if wanted_cluster in (b.id, b.name)), None)
        apis = eks.get(wanted, [])
        if cluster is None or len(apis) != 1:
            what = (
                f"no Kubernetes cluster named {wanted_cluster}"
                if cluster is None
                else f"no EKS cluster named {wanted}"
                if not apis
                else f"several EKS clusters named {wanted}"
            )
            m.problems.append(
                Diagnostic("warning", source, f"links: {what} was scanned; not joined", line)
            )
            continue
        pairs.append((cluster, apis[0], True))
    apis = [e for found in eks.values() for e in found]
    if not declared and len(clusters) == 1 and len(apis) == 1:
        pairs.append((clusters[0], apis[0], False))
    placed = {}
    for cluster, api, is_declared in pairs:
        name = _eks_name(api) or api.name
        root = api.id.split("//", 1)[0]  # node groups of the same root or account
        nodes = [
            e
            for e in m.elements.values()
            if e.key
            and e.key.startswith(f"eks:nodegroup:{name}/")
            and e.boundary
            and e.id.split("//", 1)[0] == root
        ]
        zone = _common(m, [e.boundary for e in nodes if e.boundary]) or api.boundary
        kind = m.boundaries[zone].type if zone in m.boundaries else None
        if zone is None or kind not in ("vpc", "subnet"):
            m.problems.append(
                Diagnostic(
                    "info",
                    "joins",
                    f"{cluster.name} runs on EKS cluster {name}, whose nodes the scan does "
                    "not place in a VPC: the cluster is not moved",
                )
            )
            continue
        m.boundaries[cluster.id] = replace(
            cluster,
            parent=zone,
            props=facts(cluster.props, platform="eks", eks_cluster=name),
        )
        placed[cluster.id] = api.id
        why = (
            "declared in the configuration"
            if is_declared
            else "the only EKS cluster and the only Kubernetes cluster scanned"
        )
        m.joins.append(
            Join(
                "cluster",
                cluster.id,
                api.id,
                f"{cluster.name} runs on EKS cluster {name}, nodes in "
                f"{m.boundaries[zone].name} ({why})",
                tuple(
                    dict.fromkeys(
                        (*api.evidence[:1], *(ev for n in nodes for ev in n.evidence[:1]))
                    )
                ),
                declared=is_declared,
            )
        )
    return placed


# --- load balancers the cluster makes ----------------------------------------------------


def _public_zone(m: _Model, cluster: str) -> str | None:
    """The public subnet tier of the VPC the cluster runs in (the VPC itself when the
    sources place nothing else there, so the tier is not drawn)."""
    vpc = next(
        (b for b in m.ancestors(cluster) if b in m.boundaries and m.boundaries[b].type == "vpc"),
        None,
    )
    if vpc is None:
        return None
    return next(
        (
            b.id
            for b in m.boundaries.values()
            if b.type == "subnet" and b.parent == vpc and b.props.get("tier") == "public"
        ),
        vpc,
    )


def _load_balancers(m: _Model, placed: Mapping[str, str]) -> None:
    from_internet = {f.target for f in m.flows.values() if f.source == INTERNET_ID}
    for cluster, api in placed.items():
        public = _public_zone(m, cluster)
        for e in list(m.elements.values()):
            if not e.id.startswith("k8s:") or not m.within(e, cluster):
                continue
            if e.type == "network-load-balancer" and e.fact("lb_cloud") == "aws":
                internal = e.fact("lb_scheme") == "internal"
                if e.fact("internal") is None:
                    m.elements[e.id] = replace(e, props=facts(e.props, internal=internal))
                    m.joins.append(
                        Join(
                            "load-balancer",
                            e.id,
                            api,
                            f"{e.resource} is an {'internal' if internal else 'internet-facing'} "
                            "AWS load balancer: its annotations apply on EKS",
                            e.evidence[:1],
                        )
                    )
            elif e.fact("aws_alb") is True and e.fact("internal") is not True and public:
                if e.id not in from_internet:
                    continue
                m.elements[e.id] = replace(e, boundary=public)
                m.joins.append(
                    Join(
                        "load-balancer",
                        e.id,
                        public,
                        f"{e.resource} is provisioned as an internet-facing ALB in "
                        f"{m.boundaries[public].name}",
                        (*e.evidence[:1], *m.boundaries[public].evidence[:1]),
                    )
                )


# --- endpoints of AWS datastores ---------------------------------------------------------

_ENDPOINTS = (
    # (host pattern, key prefixes of the datastore it names)
    (
        re.compile(
            r"^(?P<id>[a-z0-9-]+)\.(?:cluster-(?:ro-)?)?[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com$"
        ),
        ("rds:db-instance:", "rds:cluster:"),
    ),
    (
        re.compile(
            r"^(?:master\.|replica\.|clustercfg\.)?(?P<id>[a-z0-9-]+)\.[a-z0-9]+\.(?:[a-z0-9-]+\.)?cache\.amazonaws\.com$"
        ),
        ("elasticache:replicationgroup:", "elasticache:cluster:"),
    ),
    (
        re.compile(
            r"^(?:vpc|search)-(?P<id>[a-z0-9-]+)-[a-z0-9]+\.[a-z0-9-]+\.es\.amazonaws\.com$"
        ),
        ("es:domain:",),
    ),
    (
        re.compile(r"^(?P<id>[a-z0-9-]+)\.[a-z0-9]+\.[a-z0-9-]+\.redshift\.amazonaws\.com$"),
        ("redshift:cluster:",),
    ),
    (re.compile(r"^(?P<id>[a-z0-9.-]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$"), ("s3:bucket:",)),
)


def _endpoint_keys(host: str) -> tuple[str, ...]:
    for pattern, prefixes in _ENDPOINTS:
        if match := pattern.match(host.lower()):
            return tuple(f"{p}{match['id']}" for p in prefixes)
    return ()


def _endpoints(m: _Model) -> None:
    by_key: dict[str, list[Element]] = {}
    for e in m.elements.values():
        if e.key:
            by_key.setdefault(e.key, []).append(e)
    touching: dict[str, list[Flow]] = {}
    for f in m.flows.values():
        for end in {f.source, f.target}:
            if end.startswith("ext:"):
                touching.setdefault(end, []).append(f)
    for ext in [e for e in m.elements.values() if e.id.startswith("ext:")]:
        found = [x for k in _endpoint_keys(ext.name) for x in by_key.get(k, [])]
        if len(found) != 1:
            continue  # not an AWS endpoint, or several candidates: left as it is
        store = found[0]
        calls = [f for f in touching.get(ext.id, []) if f.target == ext.id]
        for f in calls:
            del m.flows[f.id]
            port = f.port if f.port is not None else store.fact("port")
            m.add_flow(
                replace(
                    f,
                    target=store.id,
                    port=port if isinstance(port, int) else None,
                    derivation=f"{f.derivation}; {ext.name} is the endpoint of {store.resource}",
                )
            )
        if len(calls) == len(touching.get(ext.id, [])):
            del m.elements[ext.id]  # nothing else touches it
        m.joins.append(
            Join(
                "endpoint",
                ext.id,
                store.id,
                f"{ext.name} is the endpoint of {store.resource}",
                tuple(
                    dict.fromkeys((*(ev for f in calls for ev in f.evidence), *store.evidence[:1]))
                ),
            )
        )


def _named_resources(m: _Model) -> None:
    """A workload's env that names an AWS datastore by ARN, URL or name (its
    `aws-resource` parts) calls that datastore."""
    by_key: dict[str, list[Element]] = {}
    for e in m.elements.values():
        if e.key and e.kind == "datastore":
            by_key.setdefault(e.key, []).append(e)
    for w in list(m.elements.values()):
        for part in w.parts:
            if part.kind != "aws-resource":
                continue
            found = by_key.get(part.name, [])
            if len(found) != 1:
                continue
            store = found[0]
            env = part.fact("env")
            m.add_flow(
                Flow(
                    w.id,
                    store.id,
                    "https",
                    443,
                    "called",
                    f"inferred: env {env} of {w.resource} names {store.resource}",
                    tls=True,  # the AWS SDKs call the data APIs over HTTPS
                    evidence=part.evidence,
                )
            )
            m.joins.append(
                Join(
                    "endpoint",
                    w.id,
                    store.id,
                    f"env {env} of {w.resource} names {store.resource}",
                    (*part.evidence, *store.evidence[:1]),
                )
            )


# --- workload identities -----------------------------------------------------------------


def _workload_identities(m: _Model, grants: Iterable[Flow]) -> None:
    """A workload whose ServiceAccount names an IAM role (IRSA) gets the flows that
    role's permissions open: the role named by its ARN, or the one role of that name."""
    by_name: dict[str, dict[str, list[Flow]]] = {}
    for g in grants:
        name, _, address = g.source.removeprefix(_ROLE_SOURCE).partition("@")
        by_name.setdefault(name, {}).setdefault(address, []).append(g)
    for e in list(m.elements.values()):
        arn = e.fact("iam_role_arn")
        if not isinstance(arn, str):
            continue
        role = arn.rsplit("/", 1)[-1]
        roles = by_name.get(role, {})
        chosen = arn if arn in roles else next(iter(roles)) if len(roles) == 1 else None
        if chosen is None:
            if roles:
                m.problems.append(
                    Diagnostic(
                        "info",
                        "joins",
                        f"{e.resource} runs as {arn}: several scanned roles are named {role}, "
                        "so its permissions are not joined",
                    )
                )
            continue
        opened = roles[chosen]
        binding = e.evidence_for("iam_role_arn")
        bound: tuple[Evidence, ...] = (binding,) if binding else ()
        for g in opened:
            if g.target not in m.elements:
                continue
            m.add_flow(
                replace(
                    g,
                    source=e.id,
                    derivation=f"{g.derivation} (its ServiceAccount assumes the role: IRSA)",
                    evidence=tuple(dict.fromkeys((*bound, *g.evidence))),
                )
            )
        m.joins.append(
            Join(
                "workload-identity",
                e.id,
                arn,
                f"{e.resource} runs as IAM role {role} ({chosen}, IRSA): "
                f"{len(opened)} datastore(s) its permissions reach",
                tuple(dict.fromkeys((*bound, *(ev for g in opened for ev in g.evidence[:1])))),
            )
        )


def _find(m: _Model, name: str) -> Element | None:
    """The one element an id, resource address or name means (None: none, or several)."""
    for attr in ("id", "resource", "name"):
        hits = [e for e in m.elements.values() if getattr(e, attr) == name]
        if len(hits) == 1:
            return hits[0]
        if hits:
            return None
    return None


def _declared_same(m: _Model, same: Iterable[tuple[str, str, str, int | None]]) -> None:
    """`links: - element: A / same_as: B`: A is B seen by another source; A's flows and
    evidence move onto B."""
    for a_name, b_name, source, line in same:
        a, b = _find(m, a_name), _find(m, b_name)
        if a is None or b is None or a.id == b.id:
            missing = a_name if a is None else b_name
            problem = (
                f"links: {a_name} and {b_name} are already one element"
                if a is not None and b is not None
                else f"links: nothing scanned is named {missing} (or several things are)"
            )
            m.problems.append(Diagnostic("warning", source, problem, line))
            continue
        for f in [f for f in m.flows.values() if a.id in (f.source, f.target)]:
            del m.flows[f.id]
            moved = replace(
                f,
                source=b.id if f.source == a.id else f.source,
                target=b.id if f.target == a.id else f.target,
            )
            if moved.source != moved.target:
                m.add_flow(moved)
        del m.elements[a.id]
        m.elements[b.id] = replace(
            b,
            props=facts({**a.props, **b.props}),  # what B's own source says wins
            parts=merge_parts([*b.parts, *a.parts]),
            evidence=tuple(dict.fromkeys((*b.evidence, *a.evidence))),
        )
        declared = Evidence("config", file=source, line=line, detail=f"{a_name} is {b_name}")
        m.joins.append(
            Join(
                "same",
                a.id,
                b.id,
                f"{a.resource} is {b.resource}",
                (declared, *a.evidence[:1], *b.evidence[:1]),
                declared=True,
            )
        )


def join_twins(model: Merged) -> Merged:
    """Live AWS resources and their Terraform as one element each (scanner/twins.py): run
    first, so every later join (an API description's server, a workload's endpoint)
    lands on the one element."""
    m = _Model(model)
    twins = Twins(m.elements, m.flows, m.boundaries)
    twins.run()
    if not twins.joins:
        return model
    grants = tuple(replace(g, target=twins.renamed.get(g.target, g.target)) for g in model.grants)
    return replace(
        model,
        elements=tuple(m.elements[k] for k in sorted(m.elements)),
        flows=tuple(m.flows[k] for k in sorted(m.flows)),
        boundaries=tuple(m.boundaries[k] for k in sorted(m.boundaries)),
        joins=(*model.joins, *twins.joins),
        grants=grants,
    )


def join_sources(
    model: Merged,
    clusters: Iterable[tuple[str, str, str, int | None]] = (),
    same: Iterable[tuple[str, str, str, int | None]] = (),
) -> Merged:
    """The model with its sources joined (see the module doc); `clusters` names the EKS
    cluster a Kubernetes cluster (boundary id or name) runs on and `same` elements that
    are one thing, as declared in the configuration (each with its file and line)."""
    m = _Model(model)
    _declared_same(m, same)
    placed = _place_clusters(m, clusters)
    _load_balancers(m, placed)
    _endpoints(m)
    _named_resources(m)
    _workload_identities(m, model.grants)
    if not m.joins:
        return replace(model, diagnostics=(*model.diagnostics, *m.problems))
    return replace(
        model,
        elements=tuple(m.elements[k] for k in sorted(m.elements)),
        flows=tuple(m.flows[k] for k in sorted(m.flows)),
        boundaries=tuple(m.boundaries[k] for k in sorted(m.boundaries)),
        joins=(*model.joins, *m.joins),
        diagnostics=(*model.diagnostics, *m.problems),
    )
