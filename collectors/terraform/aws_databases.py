"""Terraform RDS resources (DB instances and subnet groups) to normalised records."""

from __future__ import annotations

from collectors.aws import records as r
from collectors.terraform import values as v
from collectors.terraform.blocks import Block

# Default ports by engine family (RDS engine names: postgres, aurora-postgresql,
# sqlserver-ee, oracle-se2, db2-ae, ...), matched by prefix.
_DB_PORTS = (
    ("aurora-postgresql", 5432),
    ("postgres", 5432),
    ("aurora", 3306),
    ("mysql", 3306),
    ("mariadb", 3306),
    ("oracle", 1521),
    ("custom-oracle", 1521),
    ("sqlserver", 1433),
    ("custom-sqlserver", 1433),
    ("db2", 50000),
)


def db_subnet_group(b: Block) -> r.DbSubnetGroup:
    return r.DbSubnetGroup(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        subnets=v.refs(b.body.get("subnet_ids")),
    )


def db_instance(b: Block) -> r.DbInstance:
    engine = v.string(b.body.get("engine"))
    port = v.integer(b.body.get("port"))
    if port is None and "port" not in b.body and engine:
        port = next((p for prefix, p in _DB_PORTS if engine.lower().startswith(prefix)), None)
    identifier = v.string(b.body.get("identifier"))
    return r.DbInstance(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("rds", "db-instance", identifier),
        identifier=identifier,
        engine=engine,
        port=port,
        # Provider defaults: not publicly accessible, storage not encrypted.
        publicly_accessible=v.boolean(b.body.get("publicly_accessible", False)),
        subnet_group=v.ref(b.body.get("db_subnet_group_name")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        storage_encrypted=v.boolean(b.body.get("storage_encrypted", False)),
        iam_auth=v.boolean(b.body.get("iam_database_authentication_enabled", False)),
    )
