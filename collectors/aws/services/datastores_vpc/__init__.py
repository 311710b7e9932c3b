"""Datastores placed in a VPC: Aurora/RDS clusters, ElastiCache, OpenSearch, Redshift, EFS."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.datastores_vpc.caches import map_caches
from collectors.aws.services.datastores_vpc.clusters import map_db_clusters
from collectors.aws.services.datastores_vpc.file_systems import map_file_systems
from collectors.aws.services.datastores_vpc.records import (
    Cache,
    DbCluster,
    EfsFileSystem,
    EfsMountTarget,
    RdsClusterInstance,
    SearchDomain,
    SearchDomainPolicy,
    SubnetGroup,
)
from collectors.aws.services.datastores_vpc.search_domains import map_search_domains
from collectors.aws.services.datastores_vpc.vpc_access import engine_protocol
from scanner.model import Flow

__all__ = [
    "Cache",
    "DbCluster",
    "EfsFileSystem",
    "EfsMountTarget",
    "RdsClusterInstance",
    "SearchDomain",
    "SearchDomainPolicy",
    "SubnetGroup",
    "elements",
    "engine_protocol",
]


def elements(ctx: Context) -> list[Flow]:
    """Add this family's elements to the scope; return the flows they make."""
    flows = map_db_clusters(ctx)
    map_caches(ctx)
    flows += map_search_domains(ctx)
    map_file_systems(ctx)
    return flows
