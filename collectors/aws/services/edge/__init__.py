"""AWS edge services: classic load balancers, CloudFront and API Gateway authorizers."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.edge.classic_elbs import map_classic_elbs
from collectors.aws.services.edge.cloudfront import map_distributions
from collectors.aws.services.edge.records import (
    ApiAuthorizer,
    CacheBehavior,
    CdnOrigin,
    ClassicAttachment,
    ClassicListener,
    ClassicLoadBalancer,
    Distribution,
    DnsRecord,
    OriginAccessControl,
)
from scanner.model import Flow, Part

__all__ = [
    "ApiAuthorizer",
    "CacheBehavior",
    "CdnOrigin",
    "ClassicAttachment",
    "ClassicListener",
    "ClassicLoadBalancer",
    "Distribution",
    "DnsRecord",
    "OriginAccessControl",
    "elements",
]


def elements(ctx: Context) -> list[Flow]:
    """Classic ELBs and CloudFront distributions; authorizers are records only (for now).
    Route 53 names pointing at an element become its host names (what an API
    description's servers are matched against)."""
    flows = map_classic_elbs(ctx) + map_distributions(ctx)
    for rec in ctx.inv.of(DnsRecord):
        host = (rec.name or "").rstrip(".").lower()
        if not host or host.startswith("*"):
            continue
        for target in rec.targets:
            el = ctx.element(target)
            if el is None:
                continue
            hosts = [h for h in str(el.fact("hosts") or "").split(",") if h]
            if host not in hosts:
                part = Part("dns-name", host, rec.address, evidence=(rec.evidence,))
                ctx.extend(target, {"hosts": ",".join(sorted({*hosts, host}))}, (part,))
    return flows
