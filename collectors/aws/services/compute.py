"""AWS compute family: Lambda function URLs, Auto Scaling groups, ECS services and EKS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.flows import service_port
from collectors.aws.network import WORLD
from collectors.aws.reachability import rule_port
from scanner.model import INTERNET_ID, Basis, Element, Evidence, Flow, Part, facts


@dataclass(frozen=True)
class FunctionUrl(r.Record):
    function: str | None = None  # ref of the function, or its literal name or ARN
    auth_type: str | None = None  # NONE | AWS_IAM


@dataclass(frozen=True)
class LambdaPermission(r.Record):
    function: str | None = None
    action: str | None = None
    principal: str | None = None
    url_auth_type: str | None = None  # the function_url_auth_type condition
    scoped: bool = False  # source_arn, source_account or principal_org_id narrows it


@dataclass(frozen=True)
class LaunchTemplate(r.Record):
    """A launch template or launch configuration: what every instance starts with."""

    name: str | None = None
    security_groups: tuple[str, ...] = ()
    public_ip: bool | None = None  # None: the subnet's map_public_ip_on_launch decides
    http_tokens: str | None = None  # IMDS: required | optional (None = not stated)
    calls: tuple[str, ...] = ()  # refs named in user data
    instance_profile: str | None = None


@dataclass(frozen=True)
class AutoScalingGroup(r.Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()
    launch_template: str | None = None
    target_groups: tuple[str, ...] = ()
    min_size: int | None = None
    max_size: int | None = None
    desired: int | None = None


@dataclass(frozen=True)
class AutoScalingAttachment(r.Record):
    group: str | None = None
    target_group: str | None = None


@dataclass(frozen=True)
class Container:
    name: str | None
    ports: tuple[tuple[str, int], ...]  # (protocol, containerPort)
    env_refs: tuple[tuple[str, str], ...]  # (env var name, ref)
    privileged: bool | None


@dataclass(frozen=True)
class EcsCluster(r.Record):
    name: str | None = None


@dataclass(frozen=True)
class EcsTaskDefinition(r.Record):
    family: str | None = None
    containers: tuple[Container, ...] | None = None  # None: definitions not readable
    task_role: str | None = None  # the role its containers run as


@dataclass(frozen=True)
class EcsTarget:
    target_group: str | None
    port: int | None  # container_port
    evidence: Evidence


@dataclass(frozen=True)
class EcsService(r.Record):
    name: str | None = None
    cluster: str | None = None
    task_definition: str | None = None
    launch_type: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_ip: bool | None = None  # assign_public_ip (None: no awsvpc network config)
    targets: tuple[EcsTarget, ...] = ()
    desired: int | None = None


@dataclass(frozen=True)
class EksCluster(r.Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_endpoint: bool | None = None
    private_endpoint: bool | None = None
    public_cidrs: tuple[str, ...] | None = None
    secrets_kms_key: bool | None = None  # envelope encryption of secrets with a KMS key
    audit_logging: bool | None = None
    endpoint_evidence: Evidence | None = None


@dataclass(frozen=True)
class EksNodeGroup(r.Record):
    name: str | None = None
    cluster: str | None = None
    subnets: tuple[str, ...] = ()
    launch_template: str | None = None
    remote_port: int = 22  # 3389 for Windows AMI types
    remote_world: bool | None = None  # remote access opened to 0.0.0.0/0 by EKS
    remote_evidence: Evidence | None = None
    min_size: int | None = None
    max_size: int | None = None
    desired: int | None = None
    role: str | None = None  # the node role the kubelets and pods' hosts run as


T = TypeVar("T", bound=r.Record)
_Forwards = dict[str, list[tuple[Element, r.Record]]]  # target group -> (LB, listener/rule)
_URL_AUTHN = {"NONE": "none", "AWS_IAM": "aws-iam"}


def elements(ctx: Context) -> list[Flow]:
    """Add this family's elements to the scope; return the flows they make."""
    forwards = _forwarders(ctx)
    # Flows with one id (two rules opening one port) are merged with their evidence.
    return _function_urls(ctx) + _auto_scaling(ctx, forwards) + _ecs(ctx, forwards) + _eks(ctx)


def _find(records: Sequence[T], ref: str | None, name: str = "name") -> T | None:
    """The record a reference names: its ref, or its literal name (or an ARN ending in it)."""
    if not ref:
        return None
    tail = ref.rsplit("/", 1)[-1].split(":function:")[-1].split(":")[0]
    return next((x for x in records if x.ref == ref), None) or next(
        (x for x in records if getattr(x, name, None) in (ref, tail)), None
    )


def _entry(el: Element, why: str, authn: str | None, evidence: Iterable[Evidence]) -> Flow:
    """An HTTPS entry point the internet calls (function URL, cluster endpoint)."""
    return _internet(el, "https", 443, "called", why, tuple(evidence), tls=True, authn=authn)


def _internet(
    el: Element,
    protocol: str,
    port: int | None,
    basis: Basis,
    why: str,
    evidence: tuple[Evidence, ...],
    tls: bool | None = None,
    authn: str | None = None,
) -> Flow:
    return Flow(
        INTERNET_ID, el.id, protocol, port, basis, why, tls=tls, authn=authn, evidence=evidence
    )


# --- Lambda ---------------------------------------------------------------------------


def _function_urls(ctx: Context) -> list[Flow]:
    fns = ctx.inv.functions
    urls: dict[str, list[FunctionUrl]] = defaultdict(list)
    for url in ctx.inv.of(FunctionUrl):
        if (fn := _find(fns, url.function)) is not None:
            urls[fn.ref].append(url)
    out: list[Flow] = []
    for fn in fns:
        el, own = ctx.element(fn.ref), urls.get(fn.ref, [])
        if el is None or not own:
            continue
        schemes = [_URL_AUTHN.get(u.auth_type or "") for u in own]
        # The weakest entry point decides; unknown if one is unknown.
        authn = "none" if "none" in schemes else (None if None in schemes else schemes[0])
        parts = tuple(
            Part(
                kind="function-url",
                name=f"function URL {u.auth_type or '?'}",
                resource=u.address,
                props=facts(
                    authorization_type=u.auth_type,
                    authn=_URL_AUTHN.get(u.auth_type or ""),
                    protocol="https",
                    port=443,
                    tls=True,
                ),
                evidence=(u.evidence,),
            )
            for u in own
        )
        el = ctx.extend(fn.ref, {"internet_facing": True, "authn": authn}, parts)
        types = ", ".join(u.auth_type or "?" for u in own)
        why = f"declared: function URL {own[0].address} (authorization_type {types})"
        out.append(_entry(el, why, authn, (u.evidence for u in own)))  # HTTPS only
    called = {f.target for f in out}
    for perm in ctx.inv.of(LambdaPermission):
        fn = _find(fns, perm.function)
        el = ctx.element(fn.ref) if fn else None
        public, authn = _public_invoke(perm)
        if el is None or not public or el.id in called:
            continue
        why = f"inferred: {perm.address} lets any principal call {perm.action}"
        ev = (perm.evidence,)
        out.append(_internet(el, "https", 443, "reachable", why, ev, tls=True, authn=authn))
    return out


def _public_invoke(perm: LambdaPermission) -> tuple[bool, str | None]:
    """Does a grant let anyone invoke the function, and with what authentication?

    Principal "*" without a source condition opens the function to anyone: through its
    URL without signing when the grant is for URLs with auth type NONE, and through the
    Invoke API otherwise (which still wants a SigV4 signature, from any AWS account).
    """
    if perm.principal != "*" or perm.scoped:
        return False, None
    if perm.action == "lambda:InvokeFunctionUrl":
        return True, _URL_AUTHN.get(perm.url_auth_type or "")
    return perm.action in ("lambda:InvokeFunction", "lambda:*", "*"), "aws-iam"


# --- instance groups: Auto Scaling groups and EKS node groups --------------------------


def _auto_scaling(ctx: Context, forwards: _Forwards) -> list[Flow]:
    groups = ctx.inv.of(AutoScalingGroup)
    attached: dict[str, list[tuple[str, int | None, Evidence]]] = defaultdict(list)
    for att in ctx.inv.of(AutoScalingAttachment):
        if (asg := _find(groups, att.group)) is not None and att.target_group:
            attached[asg.ref].append((att.target_group, None, att.evidence))
    out: list[Flow] = []
    for asg in groups:
        lt = _find(ctx.inv.of(LaunchTemplate), asg.launch_template)
        sizes = (asg.min_size, asg.max_size, asg.desired)
        el, flows, _ = _instances(ctx, asg, asg.subnets, lt, sizes)
        tgs = [(tg, None, asg.evidence) for tg in asg.target_groups] + attached[asg.ref]
        out += flows + _lb_flows(ctx, forwards, el, tgs)
    return out


def _instances(
    ctx: Context,
    rec: r.Record,
    subnets: tuple[str, ...],
    lt: LaunchTemplate | None,
    sizes: tuple[int | None, int | None, int | None],
    **props: bool | None,
) -> tuple[Element, list[Flow], tuple[Evidence, ...] | None]:
    """A group of like instances as one vm element, with its internet and user-data flows.

    Like a single instance: reachable from the internet on the ports its security
    groups open to the world when it gets a public IP in a public subnet (whose route
    evidence is returned; None when no instance provably does).
    """
    by_ref = {s.ref: s for s in ctx.inv.subnets}
    stated = lt.public_ip if lt else None
    ips: list[bool | None] = []
    route: tuple[Evidence, ...] | None = None  # a public subnet where they get public IPs
    for s in subnets:
        default = by_ref[s].public_ip_on_launch if s in by_ref else None
        ips.append(stated if stated is not None else default)
        tier = ctx.zone((s,))[1]
        if ips[-1] is True and tier.tier == "public" and route is None:
            route = tier.evidence
    public_ip = True if True in ips else (False if ips and None not in ips else stated)
    el = ctx.add(
        rec,
        "vm",
        "process",
        ctx.zone(subnets)[0],
        props=facts(
            public_ip=public_ip,
            instances_min=sizes[0],
            instances_max=sizes[1],
            instances_desired=sizes[2],
            imds_v2_required=(lt.http_tokens == "required") if lt and lt.http_tokens else None,
            **props,
        ),
        evidence=(rec.evidence, *((lt.evidence,) if lt else ())),
    )
    groups = lt.security_groups if lt else ()
    ctx.member(el, groups, subnets)
    ctx.guard(el, groups, "tcp", None, cidr_peers=False)
    out: list[Flow] = []
    for rule in ctx.sgs.world_ports(groups) if route is not None else ():
        why = f"inferred: {rule.address} admits the internet"
        ev = (*((rule.evidence,) if rule.evidence else ()), *(route or ()))
        out.append(_internet(el, _protocol(rule), rule_port(rule), "reachable", why, ev))
    if lt is not None:
        why = f"user data of {lt.address}"
        out += _reference_flows(ctx, el, [(t, why, lt.evidence) for t in lt.calls])
    return el, out, route


def _protocol(rule: r.SecurityGroupRule) -> str:
    return "tcp" if rule.protocol in ("-1", "?") else rule.protocol


# --- load balancers and named datastores ----------------------------------------------


def _forwarders(ctx: Context) -> _Forwards:
    """Target group ref -> the load balancers (and listener or rule) forwarding to it."""
    by_listener = {ls.ref: ls for ls in ctx.inv.listeners}
    routes: list[tuple[str | None, r.Record, tuple[r.Action, ...]]] = [
        (ls.load_balancer, ls, ls.actions) for ls in ctx.inv.listeners
    ]
    for rule in ctx.inv.listener_rules:
        parent = by_listener.get(rule.listener or "")
        routes.append((parent.load_balancer if parent else None, rule, rule.actions))
    out: _Forwards = defaultdict(list)
    for lb_ref, via, actions in routes:
        if (lb := ctx.element(lb_ref or "")) is not None:
            for tg in (t for a in actions for t in a.target_groups):
                out[tg].append((lb, via))
    return out


def _lb_flows(
    ctx: Context,
    forwards: _Forwards,
    target: Element,
    tgs: Iterable[tuple[str, int | None, Evidence]],
) -> list[Flow]:
    """`called` flows from load balancers to a target registered in target groups."""
    groups = {tg.ref: tg for tg in ctx.inv.target_groups}
    out = []
    for tg_ref, port, ev in tgs:
        if (tg := groups.get(tg_ref)) is None:
            continue
        protocol = (tg.protocol or "tcp").lower()
        for lb, via in forwards.get(tg_ref, ()):
            out.append(
                Flow(
                    lb.id,
                    target.id,
                    protocol,
                    port or tg.port,
                    basis="called",
                    derivation=f"declared: {via.address} forwards to {tg.address}",
                    tls=protocol in ("https", "tls") if tg.protocol else None,
                    evidence=(ev, tg.evidence, via.evidence),
                )
            )
    return out


def _reference_flows(
    ctx: Context, src: Element, refs: Iterable[tuple[str, str, Evidence]]
) -> list[Flow]:
    """`called` flows to the datastores that env vars or user data name."""
    out = []
    for target_ref, why, ev in refs:
        dst = ctx.element(target_ref)
        if dst is None or dst.kind != "datastore":
            continue
        protocol, port = service_port(dst)
        out.append(
            Flow(
                src.id,
                dst.id,
                protocol,
                port,
                basis="called",
                derivation=f"inferred: {why} references {dst.resource}",
                tls=True if protocol == "https" else None,
                evidence=(ev,),
            )
        )
    return out


# --- ECS ------------------------------------------------------------------------------


def _ecs(ctx: Context, forwards: _Forwards) -> list[Flow]:
    out: list[Flow] = []
    for svc in ctx.inv.of(EcsService):
        cluster = _find(ctx.inv.of(EcsCluster), svc.cluster)
        td = _find(ctx.inv.of(EcsTaskDefinition), svc.task_definition, "family")
        containers = td.containers if td else None
        ports = tuple(dict.fromkeys(p for c in containers or () for p in c.ports))
        zone, tier = ctx.zone(svc.subnets)
        key = f"ecs:service:{cluster.name}/{svc.name}" if cluster and cluster.name else None
        el = ctx.add(
            replace(svc, key=svc.key or (key if svc.name else None)),
            "container",
            "process",
            zone,
            props=facts(
                cluster=cluster.name if cluster else None,
                launch_type=svc.launch_type,
                public_ip=svc.public_ip,
                ports=",".join(str(p) for _, p in ports) if ports else None,
                instances_desired=svc.desired,
            ),
            parts=tuple(_container_part(td, c) for c in containers or ()) if td else (),
            evidence=(svc.evidence, *((td.evidence,) if td else ())),
        )
        groups = svc.security_groups
        ctx.member(el, groups, svc.subnets)
        tcp = tuple(p for proto, p in ports if proto == "tcp")
        ctx.guard(el, groups, "tcp", tcp if containers is not None else None, cidr_peers=False)
        if svc.public_ip is True and tier.tier == "public":
            # The ports its containers listen on; unknown containers: what the groups open.
            hits: list[tuple[str, int | None, tuple[r.SecurityGroupRule, ...]]] = []
            if containers is None:
                hits = [(_protocol(x), rule_port(x), (x,)) for x in ctx.sgs.world_ports(groups)]
            for proto, listen in ports:
                if (admit := ctx.sgs.admits_world(groups, listen, proto)).allowed is True:
                    hits.append((proto, listen, admit.rules))
            for proto, port, rules in hits:
                why = (
                    f"inferred: {svc.address} has a public IP in a public subnet "
                    f"and {rules[0].address} admits the internet"
                )
                ev = (svc.evidence, *tier.evidence, *(x.evidence for x in rules if x.evidence))
                out.append(_internet(el, proto, port, "reachable", why, ev))
        tgs = [(t.target_group, t.port, t.evidence) for t in svc.targets if t.target_group]
        out += _lb_flows(ctx, forwards, el, tgs)
        if td is not None:
            env = [
                (ref, f"env {n} of {td.address}", td.evidence)
                for c in containers or ()
                for n, ref in c.env_refs
            ]
            out += _reference_flows(ctx, el, env)
    return out


def _container_part(td: EcsTaskDefinition, c: Container) -> Part:
    return Part(
        kind="container",
        name=c.name or "?",
        resource=td.address,
        props=facts(
            ports=",".join(str(p) for _, p in c.ports) if c.ports else None,
            privileged=c.privileged,
        ),
        evidence=(td.evidence,),
    )


# --- EKS ------------------------------------------------------------------------------


def _eks(ctx: Context) -> list[Flow]:
    clusters = ctx.inv.of(EksCluster)
    out: list[Flow] = []
    for c in clusters:
        public = c.public_endpoint is True
        el = ctx.add(
            c,
            "kubernetes-api",
            "process",
            ctx.account if public else ctx.zone(c.subnets)[0],
            props=facts(
                endpoint_public_access=c.public_endpoint,
                endpoint_private_access=c.private_endpoint,
                public_access_cidrs=",".join(c.public_cidrs) if public and c.public_cidrs else None,
                secrets_kms_key=c.secrets_kms_key,
                audit_logging=c.audit_logging,
            ),
            evidence=(c.evidence,),
        )
        if c.private_endpoint is True:
            ctx.guard(el, c.security_groups, "https", (443,), cidr_peers=False)
        if public and any(x in WORLD for x in c.public_cidrs or ()):
            why = f"declared: {c.address} has a public API endpoint open to 0.0.0.0/0"
            # The API server still authenticates every request.
            out.append(_entry(el, why, "kubernetes", (c.endpoint_evidence or c.evidence,)))
    for ng in ctx.inv.of(EksNodeGroup):
        cluster = _find(clusters, ng.cluster)
        lt = _find(ctx.inv.of(LaunchTemplate), ng.launch_template)
        key = f"eks:nodegroup:{cluster.name}/{ng.name}" if cluster and cluster.name else None
        rec = replace(ng, key=ng.key or (key if ng.name else None))
        sizes = (ng.min_size, ng.max_size, ng.desired)
        el, flows, route = _instances(
            ctx, rec, ng.subnets, lt, sizes, remote_access_open=ng.remote_world
        )
        out += flows
        if ng.remote_world is True and route is not None:
            why = (
                f"inferred: remote_access of {ng.address} names no source security group, "
                f"so EKS opens port {ng.remote_port} to 0.0.0.0/0"
            )
            ev = (ng.remote_evidence or ng.evidence, *route)
            out.append(_internet(el, "tcp", ng.remote_port, "reachable", why, ev))
        if (api := ctx.element(cluster.ref) if cluster else None) is not None:
            why = f"declared: node group {ng.address} joins {api.resource}"
            ev = (ng.evidence,)
            # Kubelets authenticate with the node role.
            out.append(
                Flow(el.id, api.id, "https", 443, "called", why, True, authn="aws-iam", evidence=ev)
            )
    return out
