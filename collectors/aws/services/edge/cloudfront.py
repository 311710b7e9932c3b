"""CloudFront distributions, their viewer listeners and origins."""

from __future__ import annotations

import re
from dataclasses import replace

from collectors.aws.context import Context
from collectors.aws.services.edge.listeners import called_flow, listener_part
from collectors.aws.services.edge.records import CdnOrigin, Distribution, OriginAccessControl
from scanner.model import INTERNET_ID, Element, Flow, any_of, facts

# <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, website endpoints.
_S3_DOMAIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3[.-][a-z0-9.-]*amazonaws\.com$")


def map_distributions(ctx: Context) -> list[Flow]:
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
        parts = [listener_part(dist.address, "HTTPS", 443, ev, ssl_policy=dist.ssl_policy)]
        if http is not None:
            parts.insert(
                0,
                listener_part(
                    dist.address, "HTTP", 80, http.evidence, redirects_to_https=redirects
                ),
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
                oac=any_of(oacs),
                access_logging=dist.access_logging,
                external_origins=",".join(sorted(set(external))) or None,
            ),
            parts=tuple(parts),
            evidence=(dist.evidence,),
        )
        flows: list[Flow] = []
        if dist.enabled is True:
            why = f"{dist.address} is an enabled CloudFront distribution"
            flows.append(called_flow(INTERNET_ID, el.id, "https", 443, why, dist.evidence))
            if http is not None:
                how = "serves HTTP (allow-all)" if plain else "redirects HTTP to HTTPS"
                why = f"a cache behavior of {dist.address} {how}"
                flows.append(
                    called_flow(INTERNET_ID, el.id, "http", 80, why, http.evidence, dist.evidence)
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
            flows.append(
                called_flow(el.id, target.id, "http", origin.http_port, why, origin.evidence)
            )
            continue
        flow = called_flow(el.id, target.id, "https", origin.https_port, why, origin.evidence)
        # match-viewer forwards HTTP viewers over HTTP: whether TLS is used is unknown when
        # a behavior routing here accepts HTTP (or its policy is not known).
        if policy is None or (policy == "match-viewer" and viewers & {"allow-all", None}):
            flow = replace(flow, tls=None)
        flows.append(flow)
    return flows
