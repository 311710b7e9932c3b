"""AWS service families beyond the core network, load balancers, RDS, S3 and API Gateway.

Each module defines its record types and `elements(ctx)`; `FAMILIES` is the one explicit
list the mapping runs, in order.
"""

from __future__ import annotations

from collectors.aws.services import (
    compute,
    datastores_regional,
    datastores_vpc,
    edge,
    identity,
    network,
)

# Datastores first, so compute env vars and user data that name them find their elements;
# identity last, as its permission flows reach every element.
FAMILIES = (network, datastores_vpc, datastores_regional, compute, edge, identity)
