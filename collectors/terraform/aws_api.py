"""Terraform API Gateway (REST v1 and HTTP/WebSocket v2) resources to normalised records."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.service_records import ApiDomainName, ApiMapping
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.lazy_body import LazyBody

# `body = file("${path.module}/openapi.yaml")` or templatefile(...): the usual way an API
# Gateway's OpenAPI definition is kept beside the Terraform.
_FILE_CALL = re.compile(r'\b(?:file|templatefile)\(\s*"(?:\$\{path\.(module|root)\}/)?([^"$]+)"')


def spec_file(b: Block) -> str | None:
    """The scan-relative path of the file an API's `body` is read from, if it names one."""
    raw = b.body.raw("body") if isinstance(b.body, LazyBody) else b.body.get("body")
    m = _FILE_CALL.search(raw) if isinstance(raw, str) else None
    if m is None:
        return None
    if m[1] == "root" and b.address.startswith("module."):
        return None  # the root module's folder is not known from inside a module
    base = posixpath.dirname(b.file)  # ${path.module}, ${path.root} in the root module
    path = posixpath.normpath(posixpath.join(base, m[2]))
    return None if path.startswith("../") else path


def _throttled(
    settings: Mapping[str, Any] | None, key: str, absent_is_zero: bool = False
) -> bool | None:
    """A rate limit of 0 or more is a throttle; -1 (REST's "unset") or absence is none.

    HTTP API route settings are the exception: a settings block without a rate limit
    means a limit of 0 there (every request is throttled), so `absent_is_zero`.
    """
    if settings is None:
        return False
    if key not in settings:
        return absent_is_zero
    rate = v.number(settings[key])
    if rate is None:
        return None
    return rate >= 0


def rest_api(b: Block) -> r.RestApi:
    config = v.first_block(b.body, "endpoint_configuration")
    types: tuple[str, ...] | None = None
    if config is not None:
        types = v.strings(config.get("types")) or ("?",)  # stated but not known
    name = v.string(b.body.get("name"))
    return r.RestApi(
        b.address,
        b.address,
        b.evidence(),
        key=None,  # REST API ids are generated; names are not unique
        name=name,
        endpoint_types=tuple(t.upper() for t in types) if types is not None else None,
        spec_file=spec_file(b),
    )


def rest_stage(b: Block) -> r.ApiStage:
    return r.ApiStage(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("rest_api_id")),
        name=v.string(b.body.get("stage_name")),
        deployment=v.ref(b.body.get("deployment_id")),
    )


def deployment_stage(b: Block) -> r.ApiStage | None:
    """The legacy `stage_name` argument of a deployment creates a stage too."""
    if b.body.get("stage_name") in (None, ""):
        return None  # no stage_name (or "") creates no stage
    return r.ApiStage(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("rest_api_id")),
        name=v.string(b.body.get("stage_name")),
        deployment=b.address,
    )


def method(b: Block) -> r.ApiMethod:
    auth = v.string(b.body.get("authorization"))
    return r.ApiMethod(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("rest_api_id")),
        http_method=v.string(b.body.get("http_method")),
        authorization=auth.upper() if auth else None,
        api_key_required=v.boolean(b.body.get("api_key_required", False)),
    )


def method_settings(b: Block) -> r.MethodSettings:
    settings = v.first_block(b.body, "settings")
    return r.MethodSettings(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("rest_api_id")),
        stage=v.ref(b.body.get("stage_name")),
        method_path=v.string(b.body.get("method_path")),
        throttled=_throttled(settings, "throttling_rate_limit"),
    )


def usage_plan(b: Block) -> r.UsagePlan:
    stages = tuple(
        (api, stage)
        for s in v.blocks(b.body, "api_stages")
        if (api := v.ref(s.get("api_id"))) and (stage := v.ref(s.get("stage")))
    )
    throttle = v.first_block(b.body, "throttle_settings")
    return r.UsagePlan(
        b.address,
        b.address,
        b.evidence(),
        stages=stages,
        throttled=_throttled(throttle, "rate_limit"),
    )


def rest_integration(b: Block) -> r.ApiIntegration:
    return _integration(b, "rest_api_id", "uri")


def http_integration(b: Block) -> r.ApiIntegration:
    return _integration(b, "api_id", "integration_uri")


def _integration(b: Block, api_key: str, uri_key: str) -> r.ApiIntegration:
    uri = b.body.get(uri_key)
    targets = [a for a, _ in v.refs_in(uri)]
    return r.ApiIntegration(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get(api_key)),
        target=targets[0] if targets else None,
        uri=v.string(uri),
    )


def http_api(b: Block) -> r.HttpApi:
    return r.HttpApi(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        protocol_type=(v.string(b.body.get("protocol_type")) or "").upper() or None,
        spec_file=spec_file(b),
    )


def http_stage(b: Block) -> r.ApiStage:
    defaults = v.first_block(b.body, "default_route_settings")
    throttled = _throttled(defaults, "throttling_rate_limit", absent_is_zero=True)
    evidence = b.nested_evidence(defaults, "rate_limited") if defaults else None
    routes = v.blocks(b.body, "route_settings")
    if throttled is not True and routes:
        # Per-route limits only: whether every route is covered is not known here.
        throttled = None
    return r.ApiStage(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("api_id")),
        name=v.string(b.body.get("name")),
        throttled=throttled,
        throttle_evidence=evidence,
    )


def domain_name(b: Block) -> ApiDomainName:
    """aws_api_gateway_domain_name and aws_apigatewayv2_domain_name."""
    return ApiDomainName(
        b.address, b.address, b.evidence(), domain=v.string(b.body.get("domain_name"))
    )


def rest_mapping(b: Block) -> ApiMapping:
    """aws_api_gateway_base_path_mapping: serves a REST API under a custom domain."""
    return _mapping(b, "base_path")


def http_mapping(b: Block) -> ApiMapping:
    """aws_apigatewayv2_api_mapping."""
    return _mapping(b, "api_mapping_key")


def _mapping(b: Block, path_key: str) -> ApiMapping:
    domain = b.body.get("domain_name")
    refs = [a for a, _ in v.refs_in(domain)]
    return ApiMapping(
        b.address,
        b.address,
        b.evidence(),
        api=v.ref(b.body.get("api_id")),
        domain=v.string(domain),
        domain_ref=refs[0] if refs else None,
        base_path=(v.string(b.body.get(path_key)) or "").strip("/"),
    )
