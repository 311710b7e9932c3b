"""Terraform classic ELB, CloudFront and API Gateway authorizer resources to edge records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws.services import edge as e
from collectors.terraform import aws_api as api
from collectors.terraform import values as v
from collectors.terraform.blocks import Block

# What a CloudFront origin's domain_name may name (bucket_regional_domain_name,
# dns_name, an execute-api host built from an API or stage).
_ORIGIN_TYPES = {
    "aws_s3_bucket",
    "aws_lb",
    "aws_alb",
    "aws_elb",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_stage",
    "aws_api_gateway_deployment",
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_stage",
}
_FUNCTION_TYPES = {"aws_lambda_function", "aws_lambda_alias"}


def _typed_ref(value: object, types: set[str]) -> str | None:
    return next((a for a, _ in v.refs_in(value) if v.address_type(a) in types), None)


# --- classic load balancers ---------------------------------------------------------------


def classic_load_balancer(b: Block) -> e.ClassicLoadBalancer:
    listeners = tuple(
        e.ClassicListener(
            lb_port=v.integer(ls.get("lb_port")),
            lb_protocol=v.upper(ls.get("lb_protocol")),
            instance_port=v.integer(ls.get("instance_port")),
            instance_protocol=v.upper(ls.get("instance_protocol")),
            evidence=b.nested_evidence(ls, "listener"),
        )
        for ls in v.blocks(b.body, "listener")
    )
    logs = v.first_block(b.body, "access_logs")
    name = v.string(b.body.get("name"))
    return e.ClassicLoadBalancer(
        b.address,
        b.address,
        b.evidence(),
        key=f"elb:loadbalancer:{name}" if name else None,
        name=name,
        # Provider defaults: internet-facing; access logs off unless an access_logs
        # block is given, whose `enabled` defaults to true.
        internal=v.boolean(b.body.get("internal", False)),
        subnets=v.refs(b.body.get("subnets")),
        security_groups=v.refs(b.body.get("security_groups")),
        listeners=listeners,
        instances=v.refs(b.body.get("instances")),
        access_logging=False if logs is None else v.boolean(logs.get("enabled", True)),
    )


def classic_attachment(b: Block) -> e.ClassicAttachment:
    return e.ClassicAttachment(
        b.address,
        b.address,
        b.evidence(),
        load_balancer=v.ref(b.body.get("elb")),
        instance=v.ref(b.body.get("instance")),
    )


# --- CloudFront -------------------------------------------------------------------------


def _behavior(b: Block, body: Mapping[str, Any], default: bool) -> e.CacheBehavior:
    policy = v.string(body.get("viewer_protocol_policy"))
    return e.CacheBehavior(
        path_pattern=None if default else v.string(body.get("path_pattern")),
        target_origin=v.string(body.get("target_origin_id")),
        viewer_protocol_policy=policy,
        evidence=b.nested_evidence(body, "viewer_protocol_policy", policy),
    )


def _origin(b: Block, body: Mapping[str, Any]) -> e.CdnOrigin:
    domain = body.get("domain_name")
    custom = v.first_block(body, "custom_origin_config")
    if custom is not None:
        policy = v.string(custom.get("origin_protocol_policy"))
        http_port = v.integer(custom.get("http_port"))
        https_port = v.integer(custom.get("https_port"))
    else:
        # S3 origins: CloudFront forwards with the protocol the viewer used (AWS docs,
        # "How CloudFront processes HTTP and HTTPS requests"), on the standard ports.
        policy, http_port, https_port = "match-viewer", 80, 443
    return e.CdnOrigin(
        origin_id=v.string(body.get("origin_id")),
        domain=v.string(domain),
        target=_typed_ref(domain, _ORIGIN_TYPES),
        protocol_policy=policy,
        http_port=http_port,
        https_port=https_port,
        access_control=v.is_set(body.get("origin_access_control_id")),
        access_control_ref=v.ref(body.get("origin_access_control_id")),
        evidence=b.nested_evidence(body, "origin"),
    )


def distribution(b: Block) -> e.Distribution:
    behaviors = [_behavior(b, x, True) for x in v.blocks(b.body, "default_cache_behavior")]
    behaviors += [_behavior(b, x, False) for x in v.blocks(b.body, "ordered_cache_behavior")]
    cert = v.first_block(b.body, "viewer_certificate")
    ssl_policy = None
    if cert is not None:
        # With the default *.cloudfront.net certificate the policy is TLSv1 (AWS docs);
        # minimum_protocol_version defaults to TLSv1 in the provider.
        default_cert = v.boolean(cert.get("cloudfront_default_certificate", False))
        ssl_policy = (
            "TLSv1" if default_cert else v.string(cert.get("minimum_protocol_version", "TLSv1"))
        )
    aliases = v.strings(b.body.get("aliases")) or ()
    return e.Distribution(
        b.address,
        b.address,
        b.evidence(),
        key=None,  # distribution ids are generated
        name=aliases[0] if aliases else None,
        enabled=v.boolean(b.body.get("enabled")),
        origins=tuple(_origin(b, o) for o in v.blocks(b.body, "origin")),
        behaviors=tuple(behaviors),
        # The only way to put WAF in front of CloudFront (no association resource).
        waf=v.is_set(b.body.get("web_acl_id")),
        ssl_policy=ssl_policy,
        # Without logging_config, standard logging v2 (CloudWatch log delivery) may
        # still be set up elsewhere: unknown, not false.
        access_logging=True if v.first_block(b.body, "logging_config") is not None else None,
        certificate_evidence=b.nested_evidence(cert, "ssl_policy") if cert else None,
    )


def origin_access_control(b: Block) -> e.OriginAccessControl:
    return e.OriginAccessControl(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        origin_type=v.string(b.body.get("origin_access_control_origin_type")),
        signing_behavior=v.string(b.body.get("signing_behavior")),
    )


# --- API Gateway authorizers ------------------------------------------------------------


def rest_authorizer(b: Block) -> e.ApiAuthorizer:
    return e.ApiAuthorizer(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("rest_api_id")),
        name=v.string(b.body.get("name")),
        type=v.upper(b.body.get("type", "TOKEN")),  # provider default: TOKEN
        function=_typed_ref(b.body.get("authorizer_uri"), _FUNCTION_TYPES),
        user_pools=v.refs(b.body.get("provider_arns")),
    )


def http_authorizer(b: Block) -> e.ApiAuthorizer:
    jwt = v.first_block(b.body, "jwt_configuration")
    return e.ApiAuthorizer(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("api_id")),
        name=v.string(b.body.get("name")),
        type=v.upper(b.body.get("authorizer_type")),
        function=_typed_ref(b.body.get("authorizer_uri"), _FUNCTION_TYPES),
        issuer=v.string(jwt.get("issuer")) if jwt else None,
    )


# resource type -> builder of the family's records
def dns_record(b: Block) -> e.DnsRecord:
    """An aws_route53_record: its name (written in full: a bare label relative to the
    zone is not resolved) and the resources its alias or records refer to."""
    alias = v.first_block(b.body, "alias")
    pointed = [alias.get("name") if alias else None, b.body.get("records")]
    return e.DnsRecord(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        targets=tuple(dict.fromkeys(a for a, _ in v.refs_in(pointed))),
    )


RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_route53_record": dns_record,
    "aws_elb": classic_load_balancer,
    "aws_elb_attachment": classic_attachment,
    "aws_cloudfront_distribution": distribution,
    "aws_cloudfront_origin_access_control": origin_access_control,
    "aws_api_gateway_authorizer": rest_authorizer,
    "aws_apigatewayv2_authorizer": http_authorizer,
    "aws_api_gateway_domain_name": api.domain_name,
    "aws_apigatewayv2_domain_name": api.domain_name,
    "aws_api_gateway_base_path_mapping": api.rest_mapping,
    "aws_apigatewayv2_api_mapping": api.http_mapping,
}
