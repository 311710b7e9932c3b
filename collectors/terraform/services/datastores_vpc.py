"""Terraform Aurora/RDS clusters, ElastiCache, OpenSearch, Redshift and EFS to records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws.services import datastores_vpc as d
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.resource_policy import policy_is_public

# Default ports by engine (RDS/Aurora and ElastiCache), matched by prefix.
_PORTS = (
    ("aurora-postgresql", 5432),
    ("postgres", 5432),
    ("aurora", 3306),
    ("mysql", 3306),
    ("redis", 6379),
    ("valkey", 6379),
    ("memcached", 11211),
)
_REDSHIFT_PORT = 5439  # provider default for aws_redshift_cluster.port


def _get(body: Mapping[str, Any], name: str, default: object) -> object:
    """An attribute, or the provider default when it is absent or null."""
    value = body.get(name)
    return default if value is None else value


def _port(body: Mapping[str, Any], engine: str | None) -> int | None:
    if body.get("port") is not None:
        return v.integer(body.get("port"))
    low = (engine or "").lower()
    return next((p for prefix, p in _PORTS if low and low.startswith(prefix)), None)


def _block(body: Mapping[str, Any], name: str) -> tuple[bool | None, Mapping[str, Any]]:
    """Is an optional nested block there (None: a `dynamic` one over unknown items)?"""
    block = v.first_block(body, name)
    if block is None:
        return False, {}
    return (None if block.get("__unknown__") else True), block


def _flag_block(body: Mapping[str, Any], name: str) -> bool | None:
    """`enabled` of an optional block that the provider documents as false when absent."""
    block = v.first_block(body, name)
    return False if block is None else v.boolean(block.get("enabled"))


# --- Aurora / RDS clusters ----------------------------------------------------------------


def rds_cluster(b: Block) -> d.DbCluster:
    # AWS provider v5: `engine` is required (no default), so an unstated engine is unknown.
    engine = v.string(b.body.get("engine"))
    identifier = v.string(b.body.get("cluster_identifier"))
    encrypted = v.boolean(b.body.get("storage_encrypted"))
    restored = any(
        b.body.get(k) is not None
        for k in (
            "snapshot_identifier",
            "replication_source_identifier",
            "restore_to_point_in_time",
        )
    )
    if b.body.get("storage_encrypted") is None and not restored:
        # Provider default: false for the `provisioned` engine_mode (the default mode),
        # true for `serverless`. A restored cluster inherits its source's encryption.
        mode = v.string(_get(b.body, "engine_mode", "provisioned"))
        encrypted = {"provisioned": False, "serverless": True}.get(mode or "")
    return d.DbCluster(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("rds", "cluster", identifier),
        identifier=identifier,
        engine=engine,
        port=_port(b.body, engine),
        # Multi-AZ DB clusters only; Aurora states it per instance.
        publicly_accessible=v.boolean(b.body.get("publicly_accessible")),
        subnet_group=v.ref(b.body.get("db_subnet_group_name")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        storage_encrypted=encrypted,
        # AWS default: IAM database authentication is off unless enabled.
        iam_auth=v.boolean(_get(b.body, "iam_database_authentication_enabled", False)),
    )


def rds_cluster_instance(b: Block) -> d.RdsClusterInstance:
    identifier = v.string(b.body.get("identifier"))
    return d.RdsClusterInstance(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("rds", "db-instance", identifier),
        identifier=identifier,
        cluster=v.ref(b.body.get("cluster_identifier")),
        # Provider default: false.
        publicly_accessible=v.boolean(_get(b.body, "publicly_accessible", False)),
    )


# --- ElastiCache --------------------------------------------------------------------------


def subnet_group(b: Block) -> d.SubnetGroup:
    service = b.type.removeprefix("aws_").removesuffix("_subnet_group")
    name = v.string(b.body.get("name"))
    return d.SubnetGroup(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key(service, "subnetgroup", name),
        service=service,
        name=name,
        subnets=v.refs(b.body.get("subnet_ids")),
    )


def _authn(b: Block, transit: bool | None) -> str | None:
    """Redis AUTH token, RBAC user groups, or (no token, no TLS) no authentication."""
    token = b.body.get("auth_token")
    groups = b.body.get("user_group_ids")
    if token is not None and (v.ref(token) is not None or v.string(token)):
        return "token"
    if groups is not None and v.refs(groups):
        return "rbac"
    known_absent = token is None and (groups is None or groups == [])
    # AUTH and RBAC both require in-transit encryption: without it nothing authenticates.
    return "none" if known_absent and transit is False else None


def cache_cluster(b: Block) -> d.Cache:
    group = v.ref(b.body.get("replication_group_id"))
    identifier = v.string(b.body.get("cluster_id"))
    key = v.asset_key("elasticache", "cluster", identifier)
    if group is not None:  # a member node: engine, port and groups come from the group
        ev = b.evidence()
        return d.Cache(
            b.address, b.address, ev, key, identifier=identifier, replication_group=group
        )
    engine = v.string(b.body.get("engine"))
    # AWS API default (CreateCacheCluster): no in-transit encryption.
    transit = v.boolean(_get(b.body, "transit_encryption_enabled", False))
    return d.Cache(
        b.address,
        b.address,
        b.evidence(),
        key=key,
        identifier=identifier,
        engine=engine,
        port=_port(b.body, engine),
        subnet_group=v.ref(b.body.get("subnet_group_name")),
        security_groups=v.refs(b.body.get("security_group_ids")),
        transit_encryption=transit,
        authn=_authn(b, transit),  # the provider has no auth_token on a single cluster
    )


def replication_group(b: Block) -> d.Cache:
    engine = v.string(_get(b.body, "engine", "redis"))  # provider default: redis
    identifier = v.string(b.body.get("replication_group_id"))
    # A secondary of a global datastore takes its encryption settings from the primary.
    secondary = b.body.get("global_replication_group_id") is not None
    transit = (
        None if secondary else v.boolean(_get(b.body, "transit_encryption_enabled", False))
    )  # AWS API default (CreateReplicationGroup): false
    # Provider default: false for redis, true for valkey.
    at_rest_default = {"redis": False, "valkey": True}.get((engine or "").lower())
    return d.Cache(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("elasticache", "replicationgroup", identifier),
        identifier=identifier,
        engine=engine,
        port=_port(b.body, engine),
        subnet_group=v.ref(b.body.get("subnet_group_name")),
        security_groups=v.refs(b.body.get("security_group_ids")),
        transit_encryption=transit,
        at_rest_encryption=(
            None
            if secondary
            else v.boolean(_get(b.body, "at_rest_encryption_enabled", at_rest_default))
        ),
        authn=_authn(b, transit),
    )


# --- OpenSearch / Elasticsearch -----------------------------------------------------------


def search_domain(b: Block) -> d.SearchDomain:
    in_vpc, vpc = _block(b.body, "vpc_options")
    has_endpoint, endpoint = _block(b.body, "domain_endpoint_options")
    policy = b.body.get("access_policies")
    name = v.string(b.body.get("domain_name"))
    return d.SearchDomain(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("es", "domain", name),
        name=name,
        in_vpc=in_vpc,
        subnets=v.refs(vpc.get("subnet_ids")),
        # Omitted: the VPC's default security group, which the files may not describe.
        security_groups=v.refs(vpc.get("security_group_ids")),
        # No access policy: nobody is granted anything by a resource policy.
        public_policy=False if policy is None else policy_is_public(v.json_document(policy)),
        # Provider default inside domain_endpoint_options: true. No block: AWS decides.
        enforce_https=v.boolean(_get(endpoint, "enforce_https", True)) if has_endpoint else None,
        # Provider docs: without the block, encryption at rest / node-to-node is off.
        encrypt_at_rest=_flag_block(b.body, "encrypt_at_rest"),
        node_to_node=_flag_block(b.body, "node_to_node_encryption"),
        fine_grained=_flag_block(b.body, "advanced_security_options"),
    )


def search_domain_policy(b: Block) -> d.SearchDomainPolicy:
    return d.SearchDomainPolicy(
        b.address,
        b.address,
        b.evidence(),
        domain=v.ref(b.body.get("domain_name")),
        public=policy_is_public(v.json_document(b.body.get("access_policies"))),
    )


# --- Redshift -----------------------------------------------------------------------------


def redshift_cluster(b: Block) -> d.DbCluster:
    identifier = v.string(b.body.get("cluster_identifier"))
    return d.DbCluster(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("redshift", "cluster", identifier),
        service="redshift",
        identifier=identifier,
        engine="redshift",
        port=v.integer(_get(b.body, "port", _REDSHIFT_PORT)),
        # The provider default flipped (v5: true, v6: false, hashicorp/terraform-provider-
        # aws#41978) and the provider version is not read: unstated is unknown.
        publicly_accessible=v.boolean(b.body.get("publicly_accessible")),
        subnet_group=v.ref(b.body.get("cluster_subnet_group_name")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        # Unstated is unknown: AWS encrypts every cluster created since 10 January 2025
        # (CreateCluster refuses Encrypted=false), older ones kept the provider v5
        # default of false, and a cluster restored from a snapshot inherits its setting.
        storage_encrypted=v.boolean(b.body.get("encrypted")),
    )


# --- EFS ----------------------------------------------------------------------------------


def efs_file_system(b: Block) -> d.EfsFileSystem:
    # AWS API default (CreateFileSystem): not encrypted unless `encrypted` is true.
    return d.EfsFileSystem(
        b.address, b.address, b.evidence(), encrypted=v.boolean(_get(b.body, "encrypted", False))
    )


def efs_mount_target(b: Block) -> d.EfsMountTarget:
    return d.EfsMountTarget(
        b.address,
        b.address,
        b.evidence(),
        file_system=v.ref(b.body.get("file_system_id")),
        subnet=v.ref(b.body.get("subnet_id")),
        security_groups=v.refs(b.body.get("security_groups")),
    )


# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_rds_cluster": rds_cluster,
    "aws_rds_cluster_instance": rds_cluster_instance,
    "aws_elasticache_subnet_group": subnet_group,
    "aws_elasticache_cluster": cache_cluster,
    "aws_elasticache_replication_group": replication_group,
    "aws_opensearch_domain": search_domain,
    "aws_elasticsearch_domain": search_domain,
    "aws_opensearch_domain_policy": search_domain_policy,
    "aws_elasticsearch_domain_policy": search_domain_policy,
    "aws_redshift_subnet_group": subnet_group,
    "aws_redshift_cluster": redshift_cluster,
    "aws_efs_file_system": efs_file_system,
    "aws_efs_mount_target": efs_mount_target,
}
