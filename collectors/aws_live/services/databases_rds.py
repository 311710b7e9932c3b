"""RDS instances, clusters and DB subnet groups, and Redshift clusters and subnet groups.

Records as collectors/terraform/aws_databases.py and services/datastores_vpc.py build
them. A subnet group is referred to by its ARN (the shared mapping matches a group by
ref, else by name; both are set), and a cluster member by its cluster's ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.datastores_vpc import DbCluster, RdsClusterInstance, SubnetGroup
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.storage_json import (
    asset_key,
    flag,
    mappings,
    number,
    strings,
    text,
)

Refer = Callable[[str | None], str | None]  # a name to the ref of the record it names


def read_rds(api: Api) -> dict[str, Any]:
    return {
        "DBInstances": api.items("DescribeDBInstances", "DBInstances"),
        "DBClusters": api.items("DescribeDBClusters", "DBClusters"),
        "DBSubnetGroups": api.items("DescribeDBSubnetGroups", "DBSubnetGroups"),
    }


def read_redshift(api: Api) -> dict[str, Any]:
    return {
        "Clusters": api.items("DescribeClusters", "Clusters"),
        "ClusterSubnetGroups": api.items("DescribeClusterSubnetGroups", "ClusterSubnetGroups"),
    }


def referrer(items: list[Mapping[str, Any]], name: str, arn: str, fallback: Refer) -> Refer:
    """Refs by name: the ARN the response gives, else the ARN AWS documents for it."""
    known = {n: a for i in items if (n := text(i.get(name))) and (a := text(i.get(arn)))}
    return lambda value: None if value is None else known.get(value) or fallback(value)


# --- RDS ----------------------------------------------------------------------------------


def rds_records(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    groups = mappings(raw.get("DBSubnetGroups"))
    clusters = mappings(raw.get("DBClusters"))
    group_ref = referrer(
        groups,
        "DBSubnetGroupName",
        "DBSubnetGroupArn",
        lambda name: where.arn("rds", f"subgrp:{name}"),
    )
    cluster_ref = referrer(
        clusters,
        "DBClusterIdentifier",
        "DBClusterArn",
        lambda name: where.arn("rds", f"cluster:{name}"),
    )
    out: list[r.Record] = []
    for g in groups:
        if (name := text(g.get("DBSubnetGroupName"))) is not None:
            ref = group_ref(name) or ""
            out.append(
                r.DbSubnetGroup(
                    ref,
                    ref,
                    where.evidence(ref),
                    key=None,  # as aws_databases.py: subnet groups carry no key
                    name=name,
                    subnets=strings(g.get("Subnets"), "SubnetIdentifier"),
                )
            )
    out += [rec for c in clusters if (rec := _cluster(c, where, cluster_ref, group_ref))]
    for i in mappings(raw.get("DBInstances")):
        out += _instance(i, where, cluster_ref, group_ref)
    return out


def _cluster(
    c: Mapping[str, Any], where: Where, cluster_ref: Refer, group_ref: Refer
) -> DbCluster | None:
    identifier = text(c.get("DBClusterIdentifier"))
    ref = cluster_ref(identifier)
    if ref is None:
        return None
    return DbCluster(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("rds", "cluster", identifier),
        service="rds",
        identifier=identifier,
        engine=text(c.get("Engine")),
        port=number(c.get("Port")),
        # AWS states it for Multi-AZ DB clusters only; Aurora states it per instance.
        publicly_accessible=flag(c.get("PubliclyAccessible")),
        subnet_group=group_ref(text(c.get("DBSubnetGroup"))),
        security_groups=strings(c.get("VpcSecurityGroups"), "VpcSecurityGroupId"),
        storage_encrypted=flag(c.get("StorageEncrypted")),
        iam_auth=flag(c.get("IAMDatabaseAuthenticationEnabled")),
    )


def _instance(
    i: Mapping[str, Any], where: Where, cluster_ref: Refer, group_ref: Refer
) -> list[r.Record]:
    """A DB instance; an instance of a cluster is a cluster member (its placement, port
    and encryption are the cluster's)."""
    identifier = text(i.get("DBInstanceIdentifier"))
    ref = text(i.get("DBInstanceArn")) or (
        where.arn("rds", f"db:{identifier}") if identifier else None
    )
    if ref is None:
        return []
    key = asset_key("rds", "db-instance", identifier)
    public = flag(i.get("PubliclyAccessible"))
    if (cluster := text(i.get("DBClusterIdentifier"))) is not None:
        return [
            RdsClusterInstance(
                ref,
                ref,
                where.evidence(ref),
                key=key,
                identifier=identifier,
                cluster=cluster_ref(cluster),
                publicly_accessible=public,
            )
        ]
    group = i.get("DBSubnetGroup")
    group_arn = text(first(group, "DBSubnetGroupArn"))
    return [
        r.DbInstance(
            ref,
            ref,
            where.evidence(ref),
            key=key,
            identifier=identifier,
            engine=text(i.get("Engine")),
            # The endpoint's port; DbInstancePort is 0 outside clusters on real AWS.
            port=number(first(i, "Endpoint", "Port")) or number(i.get("DbInstancePort")),
            publicly_accessible=public,
            subnet_group=group_arn or group_ref(text(first(group, "DBSubnetGroupName"))),
            security_groups=strings(i.get("VpcSecurityGroups"), "VpcSecurityGroupId"),
            storage_encrypted=flag(i.get("StorageEncrypted")),
        )
    ]


# --- Redshift -----------------------------------------------------------------------------


def redshift_records(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    """Redshift responses carry no ARNs: refs are the ARNs AWS documents."""

    def group_ref(name: str | None) -> str | None:
        return where.arn("redshift", f"subnetgroup:{name}") if name else None

    out: list[r.Record] = []
    for g in mappings(raw.get("ClusterSubnetGroups")):
        name = text(g.get("ClusterSubnetGroupName"))
        if (ref := group_ref(name)) is not None:
            out.append(
                SubnetGroup(
                    ref,
                    ref,
                    where.evidence(ref),
                    key=asset_key("redshift", "subnetgroup", name),
                    service="redshift",
                    name=name,
                    subnets=strings(g.get("Subnets"), "SubnetIdentifier"),
                )
            )
    for c in mappings(raw.get("Clusters")):
        if (identifier := text(c.get("ClusterIdentifier"))) is None:
            continue
        ref = where.arn("redshift", f"cluster:{identifier}")
        out.append(
            DbCluster(
                ref,
                ref,
                where.evidence(ref),
                key=asset_key("redshift", "cluster", identifier),
                service="redshift",
                identifier=identifier,
                engine="redshift",
                port=number(first(c, "Endpoint", "Port")),
                publicly_accessible=flag(c.get("PubliclyAccessible")),
                subnet_group=group_ref(text(c.get("ClusterSubnetGroupName"))),
                security_groups=strings(c.get("VpcSecurityGroups"), "VpcSecurityGroupId"),
                storage_encrypted=flag(c.get("Encrypted")),
            )
        )
    return out
