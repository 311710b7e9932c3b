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
    OriginAccessControl,
)
from scanner.model import Flow

__all__ = [
    "ApiAuthorizer",
    "CacheBehavior",
    "CdnOrigin",
    "ClassicAttachment",
    "ClassicListener",
    "ClassicLoadBalancer",
    "Distribution",
    "OriginAccessControl",
    "elements",
]


def elements(ctx: Context) -> list[Flow]:
    """Classic ELBs and CloudFront distributions; authorizers are records only (for now)."""
    return map_classic_elbs(ctx) + map_distributions(ctx)
