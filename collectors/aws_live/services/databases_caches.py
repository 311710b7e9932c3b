"""ElastiCache replication groups, cache clusters and cache subnet groups.

Records as collectors/terraform/services/datastores_vpc.py builds them: a replication
group is the datastore clients connect to, its member clusters are nodes of it. AWS
states a group's subnet group and security groups on its member clusters only, so the
group takes them from its members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.datastores_vpc import Cache, SubnetGroup
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.databases_rds import Refer, referrer
from collectors.aws_live.services.storage_json import (
    asset_key,
    flag,
    mappings,
    number,
    strings,
    text,
)

Item = Mapping[str, Any]


def read(api: Api) -> dict[str, Any]:
    return {
        "ReplicationGroups": api.items("DescribeReplicationGroups", "ReplicationGroups"),
        # With node info: a Redis node's port is only on its node's endpoint.
        "CacheClusters": api.items(
            "DescribeCacheClusters", "CacheClusters", ShowCacheNodeInfo=True
        ),
        "CacheSubnetGroups": api.items("DescribeCacheSubnetGroups", "CacheSubnetGroups"),
    }


def records(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    subnet_groups = mappings(raw.get("CacheSubnetGroups"))
    groups = mappings(raw.get("ReplicationGroups"))
    clusters = mappings(raw.get("CacheClusters"))
    subnet_ref = referrer(
        subnet_groups,
        "CacheSubnetGroupName",
        "ARN",
        lambda name: where.arn("elasticache", f"subnetgroup:{name}"),
    )
    group_ref = referrer(
        groups,
        "ReplicationGroupId",
        "ARN",
        lambda name: where.arn("elasticache", f"replicationgroup:{name}"),
    )
    members: dict[str, list[Item]] = defaultdict(list)
    for c in clusters:
        if (group := text(c.get("ReplicationGroupId"))) is not None:
            members[group].append(c)
    out: list[r.Record] = [rec for g in subnet_groups if (rec := _subnet_group(g, where))]
    for g in groups:
        if (identifier := text(g.get("ReplicationGroupId"))) is not None:
            own = members.get(identifier, [])
            out.append(_group(g, identifier, own, group_ref, subnet_ref, where))
    out += [node for c in clusters if (node := _cluster(c, group_ref, subnet_ref, where))]
    return out


def _subnet_group(g: Item, where: Where) -> SubnetGroup | None:
    name = text(g.get("CacheSubnetGroupName"))
    if name is None:
        return None
    ref = text(g.get("ARN")) or where.arn("elasticache", f"subnetgroup:{name}")
    return SubnetGroup(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("elasticache", "subnetgroup", name),
        service="elasticache",
        name=name,
        subnets=strings(g.get("Subnets"), "SubnetIdentifier"),
    )


def _group(
    g: Item, identifier: str, own: list[Item], group_ref: Refer, subnet_ref: Refer, where: Where
) -> Cache:
    ref = group_ref(identifier) or identifier
    engine = text(g.get("Engine")) or next((e for m in own if (e := text(m.get("Engine")))), None)
    node_group = mappings(g.get("NodeGroups"))[:1]
    port = number(first(g, "ConfigurationEndpoint", "Port")) or next(
        (p for n in node_group if (p := number(first(n, "PrimaryEndpoint", "Port")))), None
    )
    transit = flag(g.get("TransitEncryptionEnabled"))
    return Cache(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("elasticache", "replicationgroup", identifier),
        identifier=identifier,
        engine=engine,
        port=port or next((p for m in own if (p := _node_port(m))), None),
        subnet_group=next(
            (subnet_ref(n) for m in own if (n := text(m.get("CacheSubnetGroupName")))), None
        ),
        security_groups=tuple(dict.fromkeys(sg for m in own for sg in _security_groups(m))),
        transit_encryption=transit,
        at_rest_encryption=flag(g.get("AtRestEncryptionEnabled")),
        authn=_authn(g.get("AuthTokenEnabled"), g.get("UserGroupIds"), rbac=True),
    )


def _cluster(c: Item, group_ref: Refer, subnet_ref: Refer, where: Where) -> Cache | None:
    identifier = text(c.get("CacheClusterId"))
    if identifier is None:
        return None
    ref = text(c.get("ARN")) or where.arn("elasticache", f"cluster:{identifier}")
    key = asset_key("elasticache", "cluster", identifier)
    group = text(c.get("ReplicationGroupId"))
    if group is not None:  # a member node: engine, port and groups are the group's
        return Cache(
            ref,
            ref,
            where.evidence(ref),
            key,
            identifier=identifier,
            replication_group=group_ref(group),
        )
    transit = flag(c.get("TransitEncryptionEnabled"))
    return Cache(
        ref,
        ref,
        where.evidence(ref),
        key=key,
        identifier=identifier,
        engine=text(c.get("Engine")),
        port=number(first(c, "ConfigurationEndpoint", "Port")) or _node_port(c),
        subnet_group=subnet_ref(text(c.get("CacheSubnetGroupName"))),
        security_groups=_security_groups(c),
        transit_encryption=transit,
        at_rest_encryption=flag(c.get("AtRestEncryptionEnabled")),
        # A cluster outside a replication group cannot use RBAC user groups.
        authn=_authn(c.get("AuthTokenEnabled"), None, rbac=False),
    )


def _node_port(c: Item) -> int | None:
    nodes = mappings(c.get("CacheNodes"))
    return next((p for n in nodes if (p := number(first(n, "Endpoint", "Port")))), None)


def _security_groups(c: Item) -> tuple[str, ...]:
    return strings(c.get("SecurityGroups"), "SecurityGroupId")


def _authn(token: Any, user_groups: Any, rbac: bool) -> str | None:
    """Redis AUTH token, RBAC user groups, or neither (nothing authenticates): what
    the response states; unknown when it does not say."""
    if token is True:
        return "token"
    if strings(user_groups):
        return "rbac"
    if token is False and (not rbac or isinstance(user_groups, list)):
        return "none"
    return None
