"""OpenSearch (and Elasticsearch) domains, and DynamoDB tables.

Records as collectors/terraform/services/datastores_vpc.py (SearchDomain) and
datastores_regional.py (DynamoTable) build them. A domain or table whose description
could not be read is still listed, with every fact unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws.services.datastores_regional import DynamoTable
from collectors.aws.services.datastores_vpc import SearchDomain
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.storage_json import (
    asset_key,
    flag,
    mappings,
    policy_text_is_public,
    section,
    strings,
    text,
)

_DESCRIBE_BATCH = 5  # DescribeDomains takes at most five names per call


# --- OpenSearch ---------------------------------------------------------------------------


def read_search(api: Api) -> dict[str, Any]:
    listed = api.items("ListDomainNames", "DomainNames")
    names = [n for d in mappings(listed) if (n := text(d.get("DomainName")))]
    status: dict[str, Any] = {}
    for start in range(0, len(names), _DESCRIBE_BATCH):
        batch = names[start : start + _DESCRIBE_BATCH]
        found = api.items("DescribeDomains", "DomainStatusList", DomainNames=batch)
        by_name = {d.get("DomainName"): d for d in mappings(found)}
        status.update({n: by_name.get(n) for n in batch})  # None: not described
    return {"DomainNames": listed, "DomainStatus": status}


def search_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    status = section(raw, "DomainStatus")
    out: list[Record] = []
    for listed in mappings(raw.get("DomainNames")):
        if (name := text(listed.get("DomainName"))) is not None:
            domain = status.get(name)
            out.append(_domain(name, domain if isinstance(domain, Mapping) else None, where))
    return out


def _domain(name: str, d: Mapping[str, Any] | None, where: Where) -> SearchDomain:
    ref = text(first(d, "ARN")) or where.arn("es", f"domain/{name}")
    ev, key = where.evidence(ref), asset_key("es", "domain", name)
    if d is None:
        return SearchDomain(ref, ref, ev, key, name=name, in_vpc=None, public_policy=None)
    vpc = d.get("VPCOptions")
    policy = d.get("AccessPolicies")
    return SearchDomain(
        ref,
        ref,
        ev,
        key=key,
        name=name,
        in_vpc=_in_vpc(vpc),
        subnets=strings(first(vpc, "SubnetIds")),
        security_groups=strings(first(vpc, "SecurityGroupIds")),
        # No access policy ("" or absent): no resource policy grants anything.
        public_policy=False if policy in (None, "") else policy_text_is_public(policy),
        enforce_https=flag(first(d, "DomainEndpointOptions", "EnforceHTTPS")),
        encrypt_at_rest=flag(first(d, "EncryptionAtRestOptions", "Enabled")),
        node_to_node=flag(first(d, "NodeToNodeEncryptionOptions", "Enabled")),
        fine_grained=flag(first(d, "AdvancedSecurityOptions", "Enabled")),
    )


def _in_vpc(vpc: Any) -> bool | None:
    """A domain outside a VPC has no VPCOptions: its endpoint is public."""
    if vpc is None:
        return False
    return bool(strings(vpc.get("SubnetIds"))) if isinstance(vpc, Mapping) else None


# --- DynamoDB -----------------------------------------------------------------------------


def read_tables(api: Api) -> dict[str, Any]:
    listed = api.items("ListTables", "TableNames")
    names = [n for n in listed or [] if isinstance(n, str) and n]
    return {
        "TableNames": listed,
        "tables": api.each_of(
            lambda n: {
                "DescribeTable": api.call("DescribeTable", TableName=n),
                "DescribeContinuousBackups": api.call("DescribeContinuousBackups", TableName=n),
            },
            names,
        ),
    }


def table_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    tables = section(raw, "tables")
    return [_table(name, section(tables, name), where) for name in strings(raw.get("TableNames"))]


def _table(name: str, calls: Mapping[str, Any], where: Where) -> DynamoTable:
    table = first(calls.get("DescribeTable"), "Table")
    ref = text(first(table, "TableArn")) or where.arn("dynamodb", f"table/{name}")
    pitr = first(
        calls.get("DescribeContinuousBackups"),
        "ContinuousBackupsDescription",
        "PointInTimeRecoveryDescription",
        "PointInTimeRecoveryStatus",
    )
    kms = _kms(table)
    return DynamoTable(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("dynamodb", "table", name),
        name=name,
        kms_managed=kms,
        # With KMS, the key ARN does not say whether it is the AWS managed aws/dynamodb
        # key or a customer managed one (that takes kms:DescribeKey): unknown.
        customer_managed_key=None if kms is not False else False,
        point_in_time_recovery=pitr == "ENABLED" if isinstance(pitr, str) else None,
    )


def _kms(table: Any) -> bool | None:
    """KMS encryption: no SSEDescription means the AWS owned key (DynamoDB's default)."""
    if not isinstance(table, Mapping):
        return None
    sse = table.get("SSEDescription")
    if sse is None:
        return False
    status, kind = text(first(sse, "Status")), text(first(sse, "SSEType"))
    if status in ("DISABLED", "DISABLING"):
        return False
    return None if status is None or kind is None else kind == "KMS"
