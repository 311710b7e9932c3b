"""Normalised records of load balancers, EC2, Lambda, RDS, S3 and API Gateway."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws.record_base import Record
from scanner.model import Evidence


@dataclass(frozen=True)
class LoadBalancer(Record):
    name: str | None = None
    lb_type: str | None = "application"  # application | network | gateway; None unknown
    internal: bool | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    access_logging: bool | None = None


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
    http_tokens: str | None = None  # IMDS: required | optional (None = not stated)
    name_tag: str | None = None  # its Name tag (how a live instance and its code pair up)


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
    iam_auth: bool | None = None  # IAM database authentication (rds-db:connect tokens)


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
    spec_file: str | None = None  # the OpenAPI file its body is read from (scan-relative)


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
    spec_file: str | None = None  # the OpenAPI file its body is read from (scan-relative)


@dataclass(frozen=True)
class ApiDomainName(Record):
    """An API Gateway custom domain (REST or HTTP)."""

    domain: str | None = None


@dataclass(frozen=True)
class ApiMapping(Record):
    """A base path / API mapping: serves `api` (and a stage) under a custom domain."""

    api: str | None = None
    domain: str | None = None  # the host name, when written literally
    domain_ref: str | None = None  # else the ref of the ApiDomainName record
    base_path: str | None = None  # the path it is served under ("" or None: the root)
