"""API Gateway HTTP and WebSocket APIs (apigatewayv2), read live: APIs, stages with
their default route throttling, integrations and authorizers (the records
collectors/terraform/aws_api.py and services/edge.py build).

Routes are not read: the Terraform side models no route authorization for HTTP APIs,
so the mapping asks nothing of them. Refs are the documented API Gateway ARNs
(`arn:aws:apigateway:{region}::/apis/{id}/stages/{name}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.edge import ApiAuthorizer
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.edge_shared import (
    dicts,
    function_arn,
    gateway_arn,
    integration_target,
    mapping,
    text,
    throttles,
    upper,
)


def read_http(api: Api) -> dict[str, Any]:
    """HTTP/WebSocket APIs and, per API, its stages, integrations and authorizers."""
    apis = api.items("GetApis", "Items")
    out: dict[str, Any] = {"Apis": apis, "stages": {}, "integrations": {}, "authorizers": {}}
    for item in dicts(apis):
        if (api_id := text(item.get("ApiId"))) is None:
            continue
        out["stages"][api_id] = api.items("GetStages", "Items", ApiId=api_id)
        out["integrations"][api_id] = api.items("GetIntegrations", "Items", ApiId=api_id)
        out["authorizers"][api_id] = api.items("GetAuthorizers", "Items", ApiId=api_id)
    return out


def http_ref(where: Where, api_id: str) -> str:
    return gateway_arn(where, f"/apis/{api_id}")


def transform_http(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    out: list[r.Record] = []
    stages = mapping(raw.get("stages"))
    integrations = mapping(raw.get("integrations"))
    authorizers = mapping(raw.get("authorizers"))
    for item in dicts(raw.get("Apis")):
        if (api_id := text(item.get("ApiId"))) is None:
            continue
        ref = http_ref(where, api_id)
        out.append(
            r.HttpApi(
                ref,
                ref,
                where.evidence(ref),
                key=None,  # API ids are generated and names are not unique
                name=text(item.get("Name")),
                protocol_type=upper(item.get("ProtocolType")),
            )
        )
        out += [
            _stage(s, ref, where) for s in dicts(stages.get(api_id)) if text(s.get("StageName"))
        ]
        for integ in dicts(integrations.get(api_id)):
            if integ_id := text(integ.get("IntegrationId")):
                out.append(_integration(integ, f"{ref}/integrations/{integ_id}", ref, where))
        for auth in dicts(authorizers.get(api_id)):
            if auth_id := text(auth.get("AuthorizerId")):
                out.append(_authorizer(auth, f"{ref}/authorizers/{auth_id}", ref, where))
    return out


def _stage(stage: Mapping[str, Any], api_ref: str, where: Where) -> r.ApiStage:
    """A stage is throttled by its default route settings' rate limit. Per-route limits
    alone leave it unknown (whether every route has one is not read), as in Terraform."""
    name = str(stage.get("StageName"))
    ref = f"{api_ref}/stages/{name}"
    defaults = stage.get("DefaultRouteSettings")
    throttled = throttles(defaults, "ThrottlingRateLimit")
    routes = mapping(stage.get("RouteSettings")).values()
    if throttled is not True and any(
        throttles(x, "ThrottlingRateLimit") is not False for x in routes
    ):
        throttled = None
    return r.ApiStage(
        ref,
        ref,
        where.evidence(ref),
        api=api_ref,
        name=name,
        throttled=throttled,
        throttle_evidence=(
            where.evidence(ref, detail="DefaultRouteSettings")
            if isinstance(defaults, Mapping)
            else None
        ),
    )


def _integration(
    integ: Mapping[str, Any], ref: str, api_ref: str, where: Where
) -> r.ApiIntegration:
    target, uri = integration_target(integ.get("IntegrationUri"))
    return r.ApiIntegration(ref, ref, where.evidence(ref), api=api_ref, target=target, uri=uri)


def _authorizer(auth: Mapping[str, Any], ref: str, api_ref: str, where: Where) -> ApiAuthorizer:
    return ApiAuthorizer(
        ref,
        ref,
        where.evidence(ref),
        api=api_ref,
        name=text(auth.get("Name")),
        type=upper(auth.get("AuthorizerType")),
        function=function_arn(auth.get("AuthorizerUri")),
        issuer=text(mapping(auth.get("JwtConfiguration")).get("Issuer")),
    )
