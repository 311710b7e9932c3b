"""Live databases (collectors/aws_live/services/databases.py): RDS, Redshift, ElastiCache,
OpenSearch and DynamoDB read through moto, the recorded responses transformed, and the
placement and exposure the shared mapping derives.

The account: an orders Postgres left publicly accessible in a public DB subnet group
(its security group open to the world), an encrypted private billing MySQL, an Aurora
ledger cluster, a Redshift warehouse made public, a Redis session store with TLS and
AUTH, a Redis cart cache with neither, a memcached rates cache, a VPC search domain and a
public one open to "*", and two DynamoDB tables.

recorded/databases.json is moto's answers corrected to real AWS (see `as_real_aws`):
moto lists no member clusters of a replication group and leaves a cache cluster's
security groups, encryption flags and endpoint out; it states PubliclyAccessible on an
Aurora cluster, which AWS states for Multi-AZ DB clusters only. It also keeps the VPC,
subnet and security group ids moto generated under "made" (test data the transform
ignores). Record it again with `python -m tests.collectors.aws_live.test_databases`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.network_records import Route
from collectors.aws.services.datastores_regional import DynamoTable
from collectors.aws.services.datastores_vpc import (
    Cache,
    DbCluster,
    RdsClusterInstance,
    SearchDomain,
    SubnetGroup,
)
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import databases
from scanner.model import INTERNET_ID, Element, Evidence, Fragment
from tests.collectors.aws_live.moto_env import ACCOUNT, MotoServer, recorded, scan_api, setup_client
from tests.collectors.aws_live.test_storage import record_from_moto

REGION = "eu-west-1"
WHERE = Where(ACCOUNT, REGION)
PREFIX = f"aws:{ACCOUNT}//"
PASSWORD = "not-a-real-password-1"  # moto only


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


# --- the account in moto ------------------------------------------------------------------


def build_account() -> dict[str, str]:
    """Databases in public and private subnets, good and bad; returns the ids made."""
    ec2 = setup_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    made = {"vpc": vpc}
    for name, cidr, zone in (
        ("public_a", "10.1.0.0/24", "a"),
        ("public_b", "10.1.1.0/24", "b"),
        ("private_a", "10.1.10.0/24", "a"),
        ("private_b", "10.1.11.0/24", "b"),
    ):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")
        made[name] = subnet["Subnet"]["SubnetId"]
    for name in ("orders_db", "data", "cache"):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)
        made[f"sg_{name}"] = group["GroupId"]
    _rds(made)
    _redshift(made)
    _elasticache(made)
    _search(made)
    _tables()
    return made


def _rds(made: dict[str, str]) -> None:
    rds = setup_client("rds")
    public, private = [made["public_a"], made["public_b"]], [made["private_a"], made["private_b"]]
    rds.create_db_subnet_group(
        DBSubnetGroupName="public-db", DBSubnetGroupDescription="public", SubnetIds=public
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName="private-db", DBSubnetGroupDescription="private", SubnetIds=private
    )
    common = {"MasterUsername": "app", "MasterUserPassword": PASSWORD, "AllocatedStorage": 20}
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        PubliclyAccessible=True,
        DBSubnetGroupName="public-db",
        VpcSecurityGroupIds=[made["sg_orders_db"]],
        StorageEncrypted=False,
        **common,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="billing-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        PubliclyAccessible=False,
        DBSubnetGroupName="private-db",
        VpcSecurityGroupIds=[made["sg_data"]],
        StorageEncrypted=True,
        **common,
    )
    rds.create_db_cluster(
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword=PASSWORD,
        DBSubnetGroupName="private-db",
        VpcSecurityGroupIds=[made["sg_data"]],
        StorageEncrypted=True,
        EnableIAMDatabaseAuthentication=True,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="ledger-1",
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        PubliclyAccessible=False,
    )


def _redshift(made: dict[str, str]) -> None:
    redshift = setup_client("redshift")
    redshift.create_cluster_subnet_group(
        ClusterSubnetGroupName="warehouse",
        Description="warehouse",
        SubnetIds=[made["public_a"]],
    )
    redshift.create_cluster(
        ClusterIdentifier="warehouse",
        NodeType="ra3.xlplus",
        MasterUsername="app",
        MasterUserPassword="Not-a-real-password-1",
        ClusterSubnetGroupName="warehouse",
        VpcSecurityGroupIds=[made["sg_data"]],
        PubliclyAccessible=True,
        Encrypted=False,
    )


def _elasticache(made: dict[str, str]) -> None:
    cache = setup_client("elasticache")
    cache.create_cache_subnet_group(
        CacheSubnetGroupName="cache-private",
        CacheSubnetGroupDescription="private",
        SubnetIds=[made["private_a"], made["private_b"]],
    )
    group = {
        "Engine": "redis",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": 2,
        "CacheSubnetGroupName": "cache-private",
        "SecurityGroupIds": [made["sg_cache"]],
    }
    cache.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="sessions",
        TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True,
        AuthToken="not-a-real-auth-token-1",
        **group,
    )
    cache.create_replication_group(
        ReplicationGroupId="carts",
        ReplicationGroupDescription="carts",
        TransitEncryptionEnabled=False,
        AtRestEncryptionEnabled=False,
        **group,
    )
    cache.create_cache_cluster(
        CacheClusterId="rates",
        Engine="memcached",
        CacheNodeType="cache.t4g.micro",
        NumCacheNodes=1,
        CacheSubnetGroupName="cache-private",
        SecurityGroupIds=[made["sg_cache"]],
    )


def _search(made: dict[str, str]) -> None:
    search = setup_client("opensearch")
    search.create_domain(
        DomainName="orders-search",
        VPCOptions={"SubnetIds": [made["private_a"]], "SecurityGroupIds": [made["sg_data"]]},
        EncryptionAtRestOptions={"Enabled": True},
        NodeToNodeEncryptionOptions={"Enabled": True},
        DomainEndpointOptions={"EnforceHTTPS": True},
        AdvancedSecurityOptions={"Enabled": True, "InternalUserDatabaseEnabled": True},
    )
    anyone = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "es:*",
                "Resource": arn("es", "domain/audit-logs/*"),
            }
        ],
    }
    search.create_domain(
        DomainName="audit-logs",
        AccessPolicies=json.dumps(anyone),
        DomainEndpointOptions={"EnforceHTTPS": False},
    )


def _tables() -> None:
    dynamodb = setup_client("dynamodb")
    schema = {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    dynamodb.create_table(
        TableName="orders", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **schema
    )
    dynamodb.create_table(TableName="carts", **schema)
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def as_real_aws(raw: dict[str, Any], made: dict[str, str]) -> dict[str, Any]:
    """Correct moto's answers to what real AWS returns (see the module doc)."""
    out = copy.deepcopy(raw)
    for cluster in out["rds"]["DBClusters"]:
        if cluster["Engine"].startswith("aurora"):
            cluster.pop("PubliclyAccessible", None)
    cache = out["elasticache"]
    security = [{"SecurityGroupId": made["sg_cache"], "Status": "active"}]
    for node in cache["CacheClusters"]:  # memcached: the configuration endpoint
        node.update(
            SecurityGroups=security,
            TransitEncryptionEnabled=False,
            AtRestEncryptionEnabled=False,
            ConfigurationEndpoint={
                "Address": f"{node['CacheClusterId']}.x1y2z3.cfg.euw1.cache.amazonaws.com",
                "Port": 11211,
            },
        )
    for group in cache["ReplicationGroups"]:
        group_id = group["ReplicationGroupId"]
        group["MemberClusters"] = [f"{group_id}-001", f"{group_id}-002"]
        cache["CacheClusters"] += [_member(group, m, security) for m in group["MemberClusters"]]
    return out


def _member(group: dict[str, Any], name: str, security: list[dict[str, str]]) -> dict[str, Any]:
    """A member cluster of a replication group, as DescribeCacheClusters lists it."""
    return {
        "CacheClusterId": name,
        "ReplicationGroupId": group["ReplicationGroupId"],
        "ARN": arn("elasticache", f"cluster:{name}"),
        "Engine": "redis",
        "CacheClusterStatus": "available",
        "CacheSubnetGroupName": "cache-private",
        "SecurityGroups": security,
        "AuthTokenEnabled": group["AuthTokenEnabled"],
        "TransitEncryptionEnabled": group["TransitEncryptionEnabled"],
        "AtRestEncryptionEnabled": group["AtRestEncryptionEnabled"],
        "CacheNodes": [
            {
                "CacheNodeId": "0001",
                "Endpoint": {"Address": f"{name}.x1y2z3.euw1.cache.amazonaws.com", "Port": 6379},
            }
        ],
    }


def scene() -> dict[str, Any]:
    made = build_account()
    raw = databases.read({c: scan_api(c) for c in databases.CLIENTS})
    return as_real_aws(raw, made) | {"made": made}  # the ids, for the network records


# --- 1. reading through moto --------------------------------------------------------------


def test_read_gives_each_services_configuration(aws: MotoServer) -> None:
    made = build_account()
    ledger = Ledger()
    raw = databases.read({c: scan_api(c, ledger=ledger) for c in databases.CLIENTS})
    assert ledger.failures == []
    instances = {i["DBInstanceIdentifier"]: i for i in raw["rds"]["DBInstances"]}
    orders = instances["orders-db"]
    assert (orders["PubliclyAccessible"], orders["StorageEncrypted"]) == (True, False)
    assert orders["DBSubnetGroup"]["DBSubnetGroupArn"] == arn("rds", "subgrp:public-db")
    assert orders["VpcSecurityGroups"][0]["VpcSecurityGroupId"] == made["sg_orders_db"]
    assert instances["ledger-1"]["DBClusterIdentifier"] == "ledger"
    (ledger_cluster,) = raw["rds"]["DBClusters"]
    assert ledger_cluster["DBSubnetGroup"] == "private-db"  # a name, not an object
    assert ledger_cluster["IAMDatabaseAuthenticationEnabled"] is True
    (warehouse,) = raw["redshift"]["Clusters"]
    assert (warehouse["PubliclyAccessible"], warehouse["Encrypted"]) == (True, False)
    assert warehouse["ClusterSubnetGroupName"] == "warehouse"
    groups = {g["ReplicationGroupId"]: g for g in raw["elasticache"]["ReplicationGroups"]}
    assert groups["sessions"]["AuthTokenEnabled"] is True
    assert groups["carts"]["TransitEncryptionEnabled"] is False
    domains = {d["DomainName"]: d for d in raw["opensearch"]["DomainStatus"].values()}
    assert "VPCOptions" not in domains["audit-logs"]
    assert json.loads(domains["audit-logs"]["AccessPolicies"])["Statement"][0]["Principal"] == {
        "AWS": "*"
    }
    assert domains["orders-search"]["VPCOptions"]["SubnetIds"] == [made["private_a"]]
    tables = raw["dynamodb"]["tables"]
    assert tables["orders"]["DescribeTable"]["Table"]["SSEDescription"]["SSEType"] == "KMS"
    assert "SSEDescription" not in tables["carts"]["DescribeTable"]["Table"]
    backups = tables["orders"]["DescribeContinuousBackups"]["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


# --- 2. transform on the recorded responses -----------------------------------------------


def records(raw: dict[str, Any] | None = None) -> dict[str, r.Record]:
    found = databases.transform(raw if raw is not None else recorded("databases"), WHERE)
    by_ref = {x.ref: x for x in found}
    assert len(by_ref) == len(found)  # refs are unique
    return by_ref


def made() -> dict[str, str]:
    ids: dict[str, str] = recorded("databases")["made"]
    return ids


def test_rds_records_are_exact() -> None:
    found, ids = records(), made()
    orders, public_db = arn("rds", "db:orders-db"), arn("rds", "subgrp:public-db")
    assert found[orders] == r.DbInstance(
        orders,
        orders,
        WHERE.evidence(orders),
        key="rds:db-instance:orders-db",
        identifier="orders-db",
        engine="postgres",
        port=5432,
        publicly_accessible=True,
        subnet_group=public_db,
        security_groups=(ids["sg_orders_db"],),
        storage_encrypted=False,
    )
    assert found[public_db] == r.DbSubnetGroup(
        public_db,
        public_db,
        WHERE.evidence(public_db),
        name="public-db",
        subnets=(ids["public_a"], ids["public_b"]),
    )
    billing = found[arn("rds", "db:billing-db")]
    assert isinstance(billing, r.DbInstance)
    assert (billing.publicly_accessible, billing.storage_encrypted, billing.port) == (
        False,
        True,
        3306,
    )
    ledger = arn("rds", "cluster:ledger")
    assert found[ledger] == DbCluster(
        ledger,
        ledger,
        WHERE.evidence(ledger),
        key="rds:cluster:ledger",
        service="rds",
        identifier="ledger",
        engine="aurora-postgresql",
        port=5432,
        publicly_accessible=None,  # Aurora: stated per instance
        subnet_group=arn("rds", "subgrp:private-db"),
        security_groups=(ids["sg_data"],),
        storage_encrypted=True,
        iam_auth=True,
    )
    member = arn("rds", "db:ledger-1")
    assert found[member] == RdsClusterInstance(
        member,
        member,
        WHERE.evidence(member),
        key="rds:db-instance:ledger-1",
        identifier="ledger-1",
        cluster=ledger,
        publicly_accessible=False,
    )


def test_redshift_records_use_the_documented_arns() -> None:
    found, ids = records(), made()
    cluster, group = arn("redshift", "cluster:warehouse"), arn("redshift", "subnetgroup:warehouse")
    assert found[cluster] == DbCluster(
        cluster,
        cluster,
        WHERE.evidence(cluster),
        key="redshift:cluster:warehouse",
        service="redshift",
        identifier="warehouse",
        engine="redshift",
        port=5439,
        publicly_accessible=True,
        subnet_group=group,
        security_groups=(ids["sg_data"],),
        storage_encrypted=False,
    )
    assert found[group] == SubnetGroup(
        group,
        group,
        WHERE.evidence(group),
        key="redshift:subnetgroup:warehouse",
        service="redshift",
        name="warehouse",
        subnets=(ids["public_a"],),
    )


def test_cache_records() -> None:
    found, ids = records(), made()
    sessions = arn("elasticache", "replicationgroup:sessions")
    assert found[sessions] == Cache(
        sessions,
        sessions,
        WHERE.evidence(sessions),
        key="elasticache:replicationgroup:sessions",
        identifier="sessions",
        engine="redis",
        port=6379,
        subnet_group=arn("elasticache", "subnetgroup:cache-private"),
        security_groups=(ids["sg_cache"],),
        transit_encryption=True,
        at_rest_encryption=True,
        authn="token",
    )
    carts = found[arn("elasticache", "replicationgroup:carts")]
    assert isinstance(carts, Cache)
    assert (carts.transit_encryption, carts.at_rest_encryption, carts.authn) == (
        False,
        False,
        "none",
    )
    node = arn("elasticache", "cluster:sessions-001")
    assert found[node] == Cache(
        node,
        node,
        WHERE.evidence(node),
        key="elasticache:cluster:sessions-001",
        identifier="sessions-001",
        replication_group=sessions,
    )
    rates = found[arn("elasticache", "cluster:rates")]
    assert isinstance(rates, Cache)
    assert (rates.engine, rates.port, rates.authn, rates.replication_group) == (
        "memcached",
        11211,
        "none",
        None,
    )
    group = found[arn("elasticache", "subnetgroup:cache-private")]
    assert isinstance(group, SubnetGroup)
    assert (group.service, group.name, group.subnets) == (
        "elasticache",
        "cache-private",
        (ids["private_a"], ids["private_b"]),
    )


def test_search_domains() -> None:
    found, ids = records(), made()
    audit = arn("es", "domain/audit-logs")
    assert found[audit] == SearchDomain(
        audit,
        audit,
        WHERE.evidence(audit),
        key="es:domain:audit-logs",
        name="audit-logs",
        in_vpc=False,
        public_policy=True,
        enforce_https=False,
        encrypt_at_rest=False,
        node_to_node=False,
        fine_grained=False,
    )
    orders = found[arn("es", "domain/orders-search")]
    assert isinstance(orders, SearchDomain)
    assert (orders.in_vpc, orders.subnets, orders.security_groups, orders.public_policy) == (
        True,
        (ids["private_a"],),
        (ids["sg_data"],),
        False,  # no access policy at all
    )
    assert (orders.enforce_https, orders.encrypt_at_rest, orders.fine_grained) == (
        True,
        True,
        True,
    )


def test_dynamodb_tables() -> None:
    found = records()
    orders, carts = arn("dynamodb", "table/orders"), arn("dynamodb", "table/carts")
    assert found[orders] == DynamoTable(
        orders,
        orders,
        WHERE.evidence(orders),
        key="dynamodb:table:orders",
        name="orders",
        kms_managed=True,
        customer_managed_key=None,  # the key ARN alone does not say whose key it is
        point_in_time_recovery=True,
    )
    table = found[carts]
    assert isinstance(table, DynamoTable)
    assert (table.kms_managed, table.customer_managed_key, table.point_in_time_recovery) == (
        False,  # the AWS owned key
        False,
        False,
    )


def test_failed_calls_leave_facts_unknown() -> None:
    raw = recorded("databases")
    raw["opensearch"]["DomainStatus"]["audit-logs"] = None  # DescribeDomains failed
    raw["dynamodb"]["tables"]["orders"] = {"DescribeTable": None, "DescribeContinuousBackups": None}
    raw["elasticache"]["CacheClusters"] = None  # no member clusters: no placement
    raw["rds"]["DBSubnetGroups"] = None
    found = records(raw)
    audit = found[arn("es", "domain/audit-logs")]
    assert isinstance(audit, SearchDomain)
    assert (audit.in_vpc, audit.public_policy, audit.enforce_https) == (None, None, None)
    table = found[arn("dynamodb", "table/orders")]
    assert isinstance(table, DynamoTable)
    assert (table.kms_managed, table.customer_managed_key, table.point_in_time_recovery) == (
        None,
        None,
        None,
    )
    sessions = found[arn("elasticache", "replicationgroup:sessions")]
    assert isinstance(sessions, Cache)
    assert (sessions.subnet_group, sessions.security_groups, sessions.port) == (None, (), 6379)
    # The instance still names its subnet group by ARN, from its own response.
    orders = found[arn("rds", "db:orders-db")]
    assert isinstance(orders, r.DbInstance)
    assert orders.subnet_group == arn("rds", "subgrp:public-db")
    ledger = found[arn("rds", "cluster:ledger")]
    assert isinstance(ledger, DbCluster)
    assert ledger.subnet_group == arn("rds", "subgrp:private-db")  # documented ARN


def test_malformed_and_missing_services_do_not_raise() -> None:
    assert databases.transform({}, WHERE) == []
    junk: dict[str, Any] = {
        "rds": {"DBInstances": ["x", {"DBInstanceIdentifier": 3}], "DBClusters": "x"},
        "redshift": {"Clusters": [{"ClusterIdentifier": None}]},
        "elasticache": {"ReplicationGroups": [{"ReplicationGroupId": "g", "NodeGroups": "x"}]},
        "opensearch": {
            "DomainNames": [{"DomainName": "d"}],
            "DomainStatus": {"d": {"VPCOptions": 1}},
        },
        "dynamodb": {"TableNames": ["t", 7], "tables": {"t": {"DescribeTable": {"Table": 1}}}},
    }
    found = databases.transform(junk, WHERE)
    assert [type(x).__name__ for x in found] == ["Cache", "SearchDomain", "DynamoTable"]
    group, domain = found[0], found[1]
    assert isinstance(group, Cache)
    assert (group.authn, group.port, group.engine) == (None, None, None)
    assert isinstance(domain, SearchDomain) and domain.in_vpc is None


# --- 3. the shared mapping ----------------------------------------------------------------


def network(ids: dict[str, str]) -> r.Inventory:
    """The VPC the databases sit in, built by hand (the network module's records):
    public subnets route to an internet gateway, private ones have no default route;
    the orders database's group admits the world on 5432."""

    def ev(resource: str) -> Evidence:
        return WHERE.evidence(WHERE.arn("ec2", resource))

    vpc, igw = ids["vpc"], "igw-0a1b2c3d4e5f60718"
    public = ("rtb-0000000000000000a", (Route("0.0.0.0/0", "igw", igw, ev("route")),))
    private = ("rtb-0000000000000000b", (Route("10.1.0.0/16", "local", None, ev("route")),))
    tables = (public, private)
    subnets = {k: v for k, v in ids.items() if k.startswith(("public_", "private_"))}
    return r.Inventory(
        vpcs=(r.Vpc(vpc, vpc, ev(f"vpc/{vpc}"), cidr="10.1.0.0/16"),),
        subnets=tuple(r.Subnet(s, s, ev(f"subnet/{s}"), vpc=vpc) for s in subnets.values()),
        internet_gateways=(r.InternetGateway(igw, igw, ev(f"internet-gateway/{igw}"), vpc=vpc),),
        route_tables=tuple(
            r.RouteTable(t, t, ev(f"route-table/{t}"), vpc=vpc, routes=routes)
            for t, routes in tables
        ),
        route_table_associations=tuple(
            r.RouteTableAssociation(
                f"{s}-assoc",
                f"{s}-assoc",
                ev(f"subnet/{s}"),
                subnet=s,
                route_table=(public if k.startswith("public_") else private)[0],
            )
            for k, s in subnets.items()
        ),
        security_groups=tuple(
            r.SecurityGroup(ids[g], ids[g], ev(f"security-group/{ids[g]}"), vpc=vpc)
            for g in ("sg_orders_db", "sg_data", "sg_cache")
        ),
        security_group_rules=(
            r.SecurityGroupRule(
                ids["sg_orders_db"],
                "ingress",
                "tcp",
                5432,
                5432,
                cidrs=("0.0.0.0/0",),
                address=f"{ids['sg_orders_db']}/ingress/tcp/5432/0.0.0.0/0",
                evidence=ev(f"security-group/{ids['sg_orders_db']}"),
            ),
        ),
    )


def fragment(raw: dict[str, Any]) -> Fragment:
    found = databases.transform(raw, WHERE)
    inv = replace(
        network(raw["made"]),
        db_instances=tuple(x for x in found if isinstance(x, r.DbInstance)),
        db_subnet_groups=tuple(x for x in found if isinstance(x, r.DbSubnetGroup)),
        extra=tuple(x for x in found if not isinstance(x, r.DbInstance | r.DbSubnetGroup)),
    )
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def element(frag: Fragment, ref: str) -> Element:
    (found,) = [e for e in frag.elements if e.id == PREFIX + ref]
    return found


def test_mapping_places_a_public_database_in_the_public_tier_with_an_internet_flow() -> None:
    raw = recorded("databases")
    frag = fragment(raw)
    vpc = f"{PREFIX}{raw['made']['vpc']}"
    orders = element(frag, arn("rds", "db:orders-db"))
    assert (orders.type, orders.boundary, orders.key) == (
        "relational-db",
        f"{vpc}/public",
        "rds:db-instance:orders-db",
    )
    assert dict(orders.props) == {
        "engine": "postgres",
        "port": 5432,
        "publicly_accessible": True,
        "encryption_at_rest": False,
    }
    (flow,) = [f for f in frag.flows if f.source == INTERNET_ID and f.target == orders.id]
    assert (flow.protocol, flow.port, flow.basis) == ("postgres", 5432, "reachable")
    billing = element(frag, arn("rds", "db:billing-db"))
    assert billing.boundary == f"{vpc}/isolated"
    assert dict(billing.props) == {
        "engine": "mysql",
        "port": 3306,
        "publicly_accessible": False,
        "encryption_at_rest": True,
    }
    assert not [f for f in frag.flows if f.target == billing.id and f.source == INTERNET_ID]


def test_mapping_of_clusters_caches_domains_and_tables() -> None:
    raw = recorded("databases")
    frag = fragment(raw)
    vpc = f"{PREFIX}{raw['made']['vpc']}"
    ledger = element(frag, arn("rds", "cluster:ledger"))
    assert ledger.boundary == f"{vpc}/isolated"
    assert [p.name for p in ledger.parts] == ["ledger-1"]
    assert ledger.props["publicly_accessible"] is False  # from its one instance
    warehouse = element(frag, arn("redshift", "cluster:warehouse"))
    assert (warehouse.boundary, warehouse.props["publicly_accessible"]) == (f"{vpc}/public", True)
    sessions = element(frag, arn("elasticache", "replicationgroup:sessions"))
    assert sessions.boundary == f"{vpc}/isolated"
    assert [p.name for p in sessions.parts] == ["sessions-001", "sessions-002"]
    assert (sessions.props["tls"], sessions.props["authn"]) == (True, "token")
    audit = element(frag, arn("es", "domain/audit-logs"))
    assert (audit.boundary, audit.props["public"]) == (f"{PREFIX}account", True)
    internet = {(f.target, f.protocol, f.port) for f in frag.flows if f.source == INTERNET_ID}
    assert (audit.id, "http", 80) in internet  # EnforceHTTPS off: plaintext too
    table = element(frag, arn("dynamodb", "table/orders"))
    assert (table.type, table.props["point_in_time_recovery"]) == ("document-db", True)


if __name__ == "__main__":
    record_from_moto("databases", scene)
