"""AWS edge services: classic load balancers, CloudFront and API Gateway authorizers."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from collectors.aws.context import Context
from collectors.aws.network import SubnetTier
from collectors.aws.records import Record
from scanner.model import INTERNET_ID, Element, Evidence, Fact, Flow, Part, facts

_TLS = ("HTTPS", "SSL")  # listener protocols that terminate TLS
# <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, website endpoints.
_S3_DOMAIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3[.-][a-z0-9.-]*amazonaws\.com$")


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassicListener:
    """One `listener` of a classic ELB: the front port and the instance port."""

    lb_port: int | None
    lb_protocol: str | None  # HTTP | HTTPS | TCP | SSL (upper case)
    instance_port: int | None
    instance_protocol: str | None
    evidence: Evidence


@dataclass(frozen=True)
class ClassicLoadBalancer(Record):
    name: str | None = None
    internal: bool | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    listeners: tuple[ClassicListener, ...] = ()
    instances: tuple[str, ...] = ()  # instance refs registered on the ELB itself
    access_logging: bool | None = None


@dataclass(frozen=True)
class ClassicAttachment(Record):
    load_balancer: str | None = None  # ELB ref, or its name
    instance: str | None = None


@dataclass(frozen=True)
class CacheBehavior:
    path_pattern: str | None  # None: the default cache behavior
    target_origin: str | None
    viewer_protocol_policy: str | None  # allow-all | redirect-to-https | https-only
    evidence: Evidence


@dataclass(frozen=True)
class CdnOrigin:
    origin_id: str | None
    domain: str | None  # the literal domain name, when the files state one
    target: str | None  # ref of the bucket / load balancer / API the domain names
    protocol_policy: str | None  # http-only | https-only | match-viewer
    http_port: int | None
    https_port: int | None
    access_control: bool | None  # an origin access control is set
    access_control_ref: str | None
    evidence: Evidence


@dataclass(frozen=True)
class Distribution(Record):
    name: str | None = None  # first alias
    enabled: bool | None = None
    origins: tuple[CdnOrigin, ...] = ()
    behaviors: tuple[CacheBehavior, ...] = ()
    waf: bool | None = None
    ssl_policy: str | None = None  # viewer minimum protocol version
    access_logging: bool | None = None
    certificate_evidence: Evidence | None = None


@dataclass(frozen=True)
class OriginAccessControl(Record):
    name: str | None = None
    origin_type: str | None = None
    signing_behavior: str | None = None  # always | never | no-override


@dataclass(frozen=True)
class ApiAuthorizer(Record):
    """A REST (TOKEN | REQUEST | COGNITO_USER_POOLS) or HTTP API (JWT | REQUEST) authorizer."""

    api: str | None = None
    name: str | None = None
    type: str | None = None
    function: str | None = None  # Lambda authorizer
    user_pools: tuple[str, ...] = ()  # Cognito user pools (COGNITO_USER_POOLS)
    issuer: str | None = None  # JWT issuer


# --- classic load balancers ---------------------------------------------------------------


def _listener(
    resource: str, protocol: str | None, port: int | None, ev: Evidence, **kw: Fact | None
) -> Part:
    """A listener part: `PROTOCOL:port` with its transport facts."""
    return Part(
        kind="listener",
        name=f"{protocol or '?'}:{port if port is not None else '?'}",
        resource=resource,
        props=facts(protocol=protocol, port=port, tls=_tls(protocol), **kw),
        evidence=(ev,),
    )


def _tls(protocol: str | None) -> bool | None:
    return protocol.upper() in _TLS if protocol else None


def _called(
    source: str, target: str, protocol: str | None, port: int | None, why: str, *ev: Evidence
) -> Flow:
    """A `called` flow; TLS follows the protocol (HTTPS and SSL terminate TLS)."""
    return Flow(
        source,
        target,
        (protocol or "?").lower(),
        port,
        basis="called",
        derivation=f"declared: {why}",
        tls=_tls(protocol),
        evidence=tuple(dict.fromkeys(ev)),
    )


def _classic_elbs(ctx: Context) -> list[Flow]:
    elbs = ctx.inv.of(ClassicLoadBalancer)
    by_name = {lb.name: lb.ref for lb in elbs} | {lb.ref: lb.ref for lb in elbs}
    attached: dict[str, list[tuple[str, Evidence]]] = {}
    for att in ctx.inv.of(ClassicAttachment):
        lb_ref = by_name.get(att.load_balancer or "")
        if lb_ref and att.instance:
            attached.setdefault(lb_ref, []).append((att.instance, att.evidence))
    out: dict[str, Flow] = {}
    for lb in elbs:
        zone, tier = ctx.zone(lb.subnets)
        listeners = sorted(lb.listeners, key=lambda x: (x.lb_port or 0, x.lb_protocol or ""))
        parts = tuple(
            # Classic ELBs cannot redirect.
            _listener(lb.address, ls.lb_protocol, ls.lb_port, ls.evidence, redirects_to_https=False)
            for ls in listeners
        )
        el = ctx.add(
            lb,
            "load-balancer",
            "process",
            zone,
            # WAF cannot be associated with a classic load balancer.
            props=facts(internal=lb.internal, access_logging=lb.access_logging, waf=False),
            parts=parts,
            evidence=(lb.evidence,),
        )
        ports = tuple(sorted({ls.lb_port for ls in listeners if ls.lb_port is not None}))
        ctx.guard(el, lb.security_groups, "tcp", ports, cidr_peers=False)
        ctx.member(el, lb.security_groups, lb.subnets)
        targets = [(i, lb.evidence) for i in lb.instances] + attached.get(lb.ref, [])
        for ls in listeners:
            for flow in _listener_flows(ctx, el, lb, tier, ls, targets):
                out.setdefault(flow.id, flow)
    return list(out.values())


def _listener_flows(
    ctx: Context,
    el: Element,
    lb: ClassicLoadBalancer,
    tier: SubnetTier,
    ls: ClassicListener,
    targets: list[tuple[str, Evidence]],
) -> list[Flow]:
    """The internet flow to one listener (as core `internet_listener_flow`), and its targets."""
    flows = []
    front = f"{ls.lb_protocol}:{ls.lb_port}"
    if lb.internal is False and tier.tier == "public" and lb.security_groups:
        admit = ctx.sgs.admits_world(lb.security_groups, ls.lb_port)
        if admit.allowed is True:
            why = f"listener {front} on internet-facing {lb.address}"
            sg_ev = (x.evidence for x in admit.rules if x.evidence)
            ev = (ls.evidence, lb.evidence, *tier.evidence, *sg_ev)
            flows.append(_called(INTERNET_ID, el.id, ls.lb_protocol, ls.lb_port, why, *ev))
    for ref, via in targets:
        if (target := ctx.element(ref)) is not None:
            why = f"{lb.address} forwards {front} to {target.resource}"
            port = ls.instance_port
            flows.append(
                _called(el.id, target.id, ls.instance_protocol, port, why, ls.evidence, via)
            )
    return flows


# --- CloudFront -------------------------------------------------------------------------


def _distributions(ctx: Context) -> list[Flow]:
    out: dict[str, Flow] = {}
    signing = {
        o.ref: o.signing_behavior != "never" if o.signing_behavior else None
        for o in ctx.inv.of(OriginAccessControl)
    }
    for dist in ctx.inv.of(Distribution):
        policies = [b.viewer_protocol_policy for b in dist.behaviors]
        plain = next((b for b in dist.behaviors if b.viewer_protocol_policy == "allow-all"), None)
        redirect = next(
            (b for b in dist.behaviors if b.viewer_protocol_policy == "redirect-to-https"), None
        )
        # Port 80 serves content when a behavior allows HTTP; with only redirect-to-https
        # and https-only behaviors it answers 301 or 403, never content.
        http = plain or redirect
        redirects = None if plain is None and None in policies else plain is None
        ev = dist.certificate_evidence or dist.evidence
        parts = [_listener(dist.address, "HTTPS", 443, ev, ssl_policy=dist.ssl_policy)]
        if http is not None:
            parts.insert(
                0, _listener(dist.address, "HTTP", 80, http.evidence, redirects_to_https=redirects)
            )
        oacs = [_signs(o, signing) for o in dist.origins]
        external = [o.domain for o in dist.origins if o.domain and _target(ctx, o) is None]
        el = ctx.add(
            dist,
            "cdn",
            "process",
            ctx.account,
            props=facts(
                internet_facing=dist.enabled,
                waf=dist.waf,
                oac=True if True in oacs else (None if None in oacs else False),
                access_logging=dist.access_logging,
                external_origins=",".join(sorted(set(external))) or None,
            ),
            parts=tuple(parts),
            evidence=(dist.evidence,),
        )
        flows: list[Flow] = []
        if dist.enabled is True:
            why = f"{dist.address} is an enabled CloudFront distribution"
            flows.append(_called(INTERNET_ID, el.id, "https", 443, why, dist.evidence))
            if http is not None:
                how = "serves HTTP (allow-all)" if plain else "redirects HTTP to HTTPS"
                why = f"a cache behavior of {dist.address} {how}"
                flows.append(
                    _called(INTERNET_ID, el.id, "http", 80, why, http.evidence, dist.evidence)
                )
        flows += _origin_flows(ctx, el, dist)
        for flow in flows:
            out.setdefault(flow.id, flow)
    return list(out.values())


def _signs(origin: CdnOrigin, signing: dict[str, bool | None]) -> bool | None:
    """Does an origin access control sign this origin's requests?"""
    if origin.access_control is not True or origin.access_control_ref not in signing:
        return origin.access_control
    return signing[origin.access_control_ref]


def _target(ctx: Context, origin: CdnOrigin) -> Element | None:
    """The element an origin's domain names: a bucket, a load balancer or an API."""
    ref = origin.target
    if ref is None and origin.domain and (m := _S3_DOMAIN.match(origin.domain)):
        ref = next((b.ref for b in ctx.inv.buckets if b.name == m["bucket"]), None)
    if ref is None:
        return None
    stage = next((s for s in ctx.inv.api_stages if s.ref == ref), None)
    return ctx.element(stage.api if stage and stage.api else ref)


def _origin_flows(ctx: Context, el: Element, dist: Distribution) -> list[Flow]:
    flows = []
    routed = all(b.target_origin is not None for b in dist.behaviors)
    for origin in dist.origins:
        target = _target(ctx, origin)
        if target is None:
            continue
        uses = [b for b in dist.behaviors if b.target_origin == origin.origin_id] if routed else []
        viewers = {b.viewer_protocol_policy for b in (uses or dist.behaviors)}
        policy = origin.protocol_policy
        why = (
            f"origin {origin.origin_id} of {dist.address} is {target.resource} "
            f"({policy or 'protocol policy not known'})"
        )
        if policy == "http-only":
            flows.append(_called(el.id, target.id, "http", origin.http_port, why, origin.evidence))
            continue
        flow = _called(el.id, target.id, "https", origin.https_port, why, origin.evidence)
        # match-viewer forwards HTTP viewers over HTTP: whether TLS is used is unknown when
        # a behavior routing here accepts HTTP (or its policy is not known).
        if policy is None or (policy == "match-viewer" and viewers & {"allow-all", None}):
            flow = replace(flow, tls=None)
        flows.append(flow)
    return flows


def elements(ctx: Context) -> list[Flow]:
    """Classic ELBs and CloudFront distributions; authorizers are records only (for now)."""
    return _classic_elbs(ctx) + _distributions(ctx)
