"""Normalised AWS resource records, shared by the Terraform and live AWS collectors.

A record describes one AWS resource the same way whatever read it. `ref` identifies it
for joins inside one source (a Terraform address or an AWS id); references to other
records hold their `ref`. `address` is what the user recognises (Terraform address or
ARN), `key` the source-neutral identity (`rds:db-instance:orders-db`) when it is known.
Security facts are tri-state: None means the source did not say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from collectors.aws.network_records import (
    InternetGateway,
    NaclAssociation,
    NaclRule,
    NetworkAcl,
    Route,
    RouteTable,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Vpc,
)
from collectors.aws.record_base import Record
from collectors.aws.service_records import (
    Action,
    ApiIntegration,
    ApiMethod,
    ApiStage,
    Bucket,
    BucketAcl,
    BucketPolicy,
    BucketSetting,
    DbInstance,
    DbSubnetGroup,
    HttpApi,
    Instance,
    LambdaFunction,
    Listener,
    ListenerRule,
    LoadBalancer,
    MethodSettings,
    OwnershipControls,
    PublicAccessBlock,
    RestApi,
    TargetAttachment,
    TargetGroup,
    UsagePlan,
)

__all__ = [
    "Action",
    "ApiIntegration",
    "ApiMethod",
    "ApiStage",
    "Bucket",
    "BucketAcl",
    "BucketPolicy",
    "BucketSetting",
    "DbInstance",
    "DbSubnetGroup",
    "HttpApi",
    "Instance",
    "InternetGateway",
    "Inventory",
    "LambdaFunction",
    "Listener",
    "ListenerRule",
    "LoadBalancer",
    "MethodSettings",
    "NaclAssociation",
    "NaclRule",
    "NetworkAcl",
    "OwnershipControls",
    "PublicAccessBlock",
    "R",
    "Record",
    "RestApi",
    "Route",
    "RouteTable",
    "RouteTableAssociation",
    "SecurityGroup",
    "SecurityGroupRule",
    "Subnet",
    "TargetAttachment",
    "TargetGroup",
    "UsagePlan",
    "Vpc",
]


@dataclass(frozen=True)
class Inventory:
    """Every record of one scope (a Terraform root, or an account and region)."""

    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    route_table_associations: tuple[RouteTableAssociation, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    security_group_rules: tuple[SecurityGroupRule, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    nacl_rules: tuple[NaclRule, ...] = ()
    nacl_associations: tuple[NaclAssociation, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    listeners: tuple[Listener, ...] = ()
    listener_rules: tuple[ListenerRule, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    target_attachments: tuple[TargetAttachment, ...] = ()
    instances: tuple[Instance, ...] = ()
    functions: tuple[LambdaFunction, ...] = ()
    db_subnet_groups: tuple[DbSubnetGroup, ...] = ()
    db_instances: tuple[DbInstance, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    public_access_blocks: tuple[PublicAccessBlock, ...] = ()
    ownership_controls: tuple[OwnershipControls, ...] = ()
    bucket_settings: tuple[BucketSetting, ...] = ()
    bucket_acls: tuple[BucketAcl, ...] = ()
    bucket_policies: tuple[BucketPolicy, ...] = ()
    rest_apis: tuple[RestApi, ...] = ()
    http_apis: tuple[HttpApi, ...] = ()
    api_stages: tuple[ApiStage, ...] = ()
    api_methods: tuple[ApiMethod, ...] = ()
    method_settings: tuple[MethodSettings, ...] = ()
    usage_plans: tuple[UsagePlan, ...] = ()
    api_integrations: tuple[ApiIntegration, ...] = ()
    # Refs of resources (stages, load balancers) a WAF web ACL is associated with.
    waf_protected: tuple[str, ...] = ()
    # Records of the service families in collectors/aws/services (one flat tuple; each
    # family picks its own record types with `of`).
    extra: tuple[Record, ...] = ()
    scope: str = field(default="aws")

    def of(self, kind: type[R]) -> tuple[R, ...]:
        """The `extra` records of one type, in order."""
        return tuple(x for x in self.extra if isinstance(x, kind))


R = TypeVar("R", bound=Record)
