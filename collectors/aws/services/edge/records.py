"""Records of the AWS edge family: classic ELBs, CloudFront, API Gateway authorizers."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws.records import Record
from scanner.model import Evidence


@dataclass(frozen=True)
class ClassicListener:
    """One `listener` of a classic ELB: the front port and the instance port."""

    lb_port: int | None
    lb_protocol: str | None  # HTTP | HTTPS | TCP | SSL (upper case)
    instance_port: int | None
    instance_protocol: str | None
    evidence: Evidence


@dataclass(frozen=True)
class ClassicLoadBalancer(Record):
    name: str | None = None
    internal: bool | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    listeners: tuple[ClassicListener, ...] = ()
    instances: tuple[str, ...] = ()  # instance refs registered on the ELB itself
    access_logging: bool | None = None


@dataclass(frozen=True)
class ClassicAttachment(Record):
    load_balancer: str | None = None  # ELB ref, or its name
    instance: str | None = None


@dataclass(frozen=True)
class CacheBehavior:
    path_pattern: str | None  # None: the default cache behavior
    target_origin: str | None
    viewer_protocol_policy: str | None  # allow-all | redirect-to-https | https-only
    evidence: Evidence


@dataclass(frozen=True)
class CdnOrigin:
    origin_id: str | None
    domain: str | None  # the literal domain name, when the files state one
    target: str | None  # ref of the bucket / load balancer / API the domain names
    protocol_policy: str | None  # http-only | https-only | match-viewer
    http_port: int | None
    https_port: int | None
    access_control: bool | None  # an origin access control is set
    access_control_ref: str | None
    evidence: Evidence


@dataclass(frozen=True)
class Distribution(Record):
    name: str | None = None  # first alias
    enabled: bool | None = None
    origins: tuple[CdnOrigin, ...] = ()
    behaviors: tuple[CacheBehavior, ...] = ()
    waf: bool | None = None
    ssl_policy: str | None = None  # viewer minimum protocol version
    access_logging: bool | None = None
    certificate_evidence: Evidence | None = None


@dataclass(frozen=True)
class OriginAccessControl(Record):
    name: str | None = None
    origin_type: str | None = None
    signing_behavior: str | None = None  # always | never | no-override


@dataclass(frozen=True)
class DnsRecord(Record):
    """A Route 53 record: the host name it publishes and what it points at (an alias
    target or the records' values, as refs of load balancers, distributions or APIs)."""

    name: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiAuthorizer(Record):
    """A REST (TOKEN | REQUEST | COGNITO_USER_POOLS) or HTTP API (JWT | REQUEST) authorizer."""

    api: str | None = None
    name: str | None = None
    type: str | None = None
    function: str | None = None  # Lambda authorizer
    user_pools: tuple[str, ...] = ()  # Cognito user pools (COGNITO_USER_POOLS)
    issuer: str | None = None  # JWT issuer
