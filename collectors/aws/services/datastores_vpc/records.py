"""Records of datastores placed in a VPC."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws import records as r


@dataclass(frozen=True)
class DbCluster(r.Record):
    """An RDS DB cluster (Aurora, Multi-AZ) or a Redshift cluster."""

    service: str = "rds"  # rds | redshift
    identifier: str | None = None
    engine: str | None = None
    port: int | None = None
    # Redshift and Multi-AZ DB clusters; Aurora states it per instance (None = not stated).
    publicly_accessible: bool | None = None
    subnet_group: str | None = None  # ref or name of a DB (rds) or Redshift subnet group
    security_groups: tuple[str, ...] = ()
    storage_encrypted: bool | None = None
    iam_auth: bool | None = None


@dataclass(frozen=True)
class RdsClusterInstance(r.Record):
    identifier: str | None = None
    cluster: str | None = None
    publicly_accessible: bool | None = None


@dataclass(frozen=True)
class SubnetGroup(r.Record):
    """An ElastiCache or Redshift subnet group."""

    service: str = ""  # elasticache | redshift
    name: str | None = None
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cache(r.Record):
    """An ElastiCache cluster or replication group (the thing clients connect to)."""

    identifier: str | None = None
    engine: str | None = None
    port: int | None = None
    subnet_group: str | None = None  # ref or name of an aws_elasticache_subnet_group
    security_groups: tuple[str, ...] = ()
    transit_encryption: bool | None = None
    at_rest_encryption: bool | None = None
    authn: str | None = None  # "token", "rbac", "none", or None when not known
    replication_group: str | None = None  # a cluster that is a member of this group


@dataclass(frozen=True)
class SearchDomain(r.Record):
    name: str | None = None
    in_vpc: bool | None = False  # None: vpc_options may or may not be there
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    public_policy: bool | None = False  # inline access_policies grant "*" unconditionally
    enforce_https: bool | None = None
    encrypt_at_rest: bool | None = None
    node_to_node: bool | None = None
    fine_grained: bool | None = None  # advanced_security_options (fine-grained access)


@dataclass(frozen=True)
class SearchDomainPolicy(r.Record):
    domain: str | None = None  # ref or name of the domain
    public: bool | None = None


@dataclass(frozen=True)
class EfsFileSystem(r.Record):
    encrypted: bool | None = None


@dataclass(frozen=True)
class EfsMountTarget(r.Record):
    file_system: str | None = None
    subnet: str | None = None
    security_groups: tuple[str, ...] = ()
