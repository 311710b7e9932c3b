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

from scanner.model import Evidence


@dataclass(frozen=True)
class Record:
    ref: str
    address: str
    evidence: Evidence
    key: str | None = None
    conditional: bool = False  # count/for_each unknown: may not exist at all
    inputs: tuple[Evidence, ...] = ()  # where the variable values it was built from are set


@dataclass(frozen=True)
class Vpc(Record):
    cidr: str | None = None


@dataclass(frozen=True)
class Subnet(Record):
    vpc: str | None = None
    cidr: str | None = None
    public_ip_on_launch: bool | None = None


@dataclass(frozen=True)
class InternetGateway(Record):
    vpc: str | None = None


@dataclass(frozen=True)
class Route:
    destination: str | None  # IPv4 or IPv6 CIDR; None = not known
    target_kind: str  # igw | nat | instance | eni | peering | tgw | endpoint | local | other
    target: str | None
    evidence: Evidence


@dataclass(frozen=True)
class RouteTable(Record):
    vpc: str | None = None
    routes: tuple[Route, ...] = ()
    main: bool = False  # the VPC's main table (applies to unassociated subnets)


@dataclass(frozen=True)
class RouteTableAssociation(Record):
    subnet: str | None = None
    route_table: str | None = None


@dataclass(frozen=True)
class SecurityGroupRule:
    group: str
    direction: str  # ingress | egress
    protocol: str  # "tcp", "udp", "icmp", "-1" (all)
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...] = ()  # IPv4 and IPv6 CIDRs
    groups: tuple[str, ...] = ()  # peer security groups
    self_ref: bool = False
    unresolved: bool = False  # some peer (CIDR/group/prefix list) could not be read
    address: str = ""
    evidence: Evidence | None = None

    def allows_port(self, port: int | None) -> bool | None:
        """Does the rule admit `port`? None when ports are not known."""
        if self.protocol in ("-1", "all"):
            return True
        if self.from_port is None or self.to_port is None:
            return None
        if port is None:
            return None
        return self.from_port <= port <= self.to_port


@dataclass(frozen=True)
class SecurityGroup(Record):
    vpc: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class NaclRule:
    acl: str
    number: int | None
    egress: bool
    allow: bool | None  # None: the action is not known
    protocol: str  # tcp | udp | icmp | -1 | ? (unknown)
    cidr: str | None  # IPv4 or IPv6; None: not known
    from_port: int | None
    to_port: int | None
    evidence: Evidence


@dataclass(frozen=True)
class NetworkAcl(Record):
    vpc: str | None = None
    subnets: tuple[str, ...] = ()
    default: bool = False  # the VPC's default ACL (applies to unassociated subnets)


@dataclass(frozen=True)
class NaclAssociation(Record):
    acl: str | None = None
    subnet: str | None = None


@dataclass(frozen=True)
class LoadBalancer(Record):
    name: str | None = None
    lb_type: str | None = "application"  # application | network | gateway; None unknown
    internal: bool | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    type: str  # forward | redirect | fixed-response | authenticate-oidc | authenticate-cognito
    target_groups: tuple[str, ...] = ()
    redirect_protocol: str | None = None


@dataclass(frozen=True)
class Listener(Record):
    load_balancer: str | None = None
    port: int | None = None
    protocol: str | None = None  # HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP; "" = default
    actions: tuple[Action, ...] = ()
    certificate: bool | None = None
    ssl_policy: str | None = None


@dataclass(frozen=True)
class ListenerRule(Record):
    listener: str | None = None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class TargetGroup(Record):
    port: int | None = None
    protocol: str | None = None
    target_type: str = "instance"


@dataclass(frozen=True)
class TargetAttachment(Record):
    target_group: str | None = None
    target: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class Instance(Record):
    subnet: str | None = None
    security_groups: tuple[str, ...] = ()
    public_ip: bool | None = None  # associate_public_ip_address (else: subnet default)
    calls: tuple[str, ...] = ()  # refs named in user data (possible called flows)
    instance_profile: str | None = None  # the instance profile it runs with


@dataclass(frozen=True)
class LambdaFunction(Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    in_vpc: bool | None = None
    env_refs: tuple[tuple[str, str], ...] = ()  # (env var name, ref)
    env_values: tuple[tuple[str, str], ...] = ()  # (env var name, literal value)
    role: str | None = None  # the execution role it runs as


@dataclass(frozen=True)
class DbSubnetGroup(Record):
    name: str | None = None
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class DbInstance(Record):
    identifier: str | None = None
    engine: str | None = None
    port: int | None = None
    publicly_accessible: bool | None = None
    subnet_group: str | None = None
    security_groups: tuple[str, ...] = ()
    storage_encrypted: bool | None = None


@dataclass(frozen=True)
class Bucket(Record):
    name: str | None = None
    acl: str | None = None  # canned ACL set on the bucket resource itself


@dataclass(frozen=True)
class BucketSetting(Record):
    """A bucket's encryption, access logging or versioning configuration (also the
    deprecated inline blocks of the bucket resource)."""

    bucket: str | None = None
    setting: str = "encryption"  # encryption | logging | versioning
    enabled: bool | None = None  # logging/versioning on; encryption: with a KMS key


@dataclass(frozen=True)
class PublicAccessBlock(Record):
    """Bucket-level or account-level (`account`) S3 public access block."""

    account: bool = False
    bucket: str | None = None  # bucket-level: the bucket (None when it cannot be read)
    block_public_acls: bool | None = None
    ignore_public_acls: bool | None = None
    block_public_policy: bool | None = None
    restrict_public_buckets: bool | None = None


@dataclass(frozen=True)
class OwnershipControls(Record):
    bucket: str | None = None
    object_ownership: str | None = None  # BucketOwnerEnforced disables ACLs


@dataclass(frozen=True)
class BucketAcl(Record):
    bucket: str | None = None
    public: bool | None = None  # grants read or write to AllUsers/AuthenticatedUsers


@dataclass(frozen=True)
class BucketPolicy(Record):
    bucket: str | None = None
    public: bool | None = None  # an unconditioned Allow to any principal


@dataclass(frozen=True)
class RestApi(Record):
    name: str | None = None
    endpoint_types: tuple[str, ...] | None = None  # None = not stated (AWS default EDGE)


@dataclass(frozen=True)
class ApiStage(Record):
    api: str | None = None
    name: str | None = None
    deployment: str | None = None
    # HTTP APIs: the stage's own default route throttling (None = not stated).
    throttled: bool | None = None
    throttle_evidence: Evidence | None = None


@dataclass(frozen=True)
class ApiMethod(Record):
    api: str | None = None
    http_method: str | None = None
    authorization: str | None = None
    api_key_required: bool | None = None


@dataclass(frozen=True)
class MethodSettings(Record):
    api: str | None = None
    stage: str | None = None  # stage name
    method_path: str | None = None
    throttled: bool | None = None  # a positive rate limit is set


@dataclass(frozen=True)
class UsagePlan(Record):
    stages: tuple[tuple[str, str], ...] = ()  # (api ref, stage name)
    throttled: bool | None = None


@dataclass(frozen=True)
class ApiIntegration(Record):
    api: str | None = None
    target: str | None = None  # ref of the function / LB the integration calls
    uri: str | None = None  # literal HTTP endpoint, when not a ref


@dataclass(frozen=True)
class HttpApi(Record):
    name: str | None = None
    protocol_type: str | None = None


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
