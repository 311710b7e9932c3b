"""API Gateway REST APIs, read live: APIs, stages with their method settings, methods
and integrations, authorizers and usage plans (the records collectors/terraform/aws_api.py
and services/edge.py build).

AWS gives none of these an ARN in the response; refs are the documented API Gateway ARNs
(`arn:aws:apigateway:{region}::/restapis/{id}/stages/{name}`, which is also how WAF names
a stage it protects).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.edge import ApiAuthorizer
from collectors.aws_live.api import Api, Where
from collectors.aws_live.records import WafAssociation
from collectors.aws_live.services.edge_shared import (
    dicts,
    flag,
    function_arn,
    gateway_arn,
    integration_target,
    mapping,
    sub_ref,
    text,
    texts,
    throttles,
    upper,
)


def read_rest(api: Api) -> dict[str, Any]:
    """REST APIs and, per API, its stages, resources (with methods and integrations
    embedded) and authorizers; the region's usage plans."""
    apis = api.items("GetRestApis", "items")
    out: dict[str, Any] = {"RestApis": apis, "stages": {}, "resources": {}, "authorizers": {}}

    def read_api(api_id: str) -> tuple[Any, Any, Any]:
        return (
            api.items("GetStages", "item", restApiId=api_id),
            api.items("GetResources", "items", restApiId=api_id, embed=["methods"]),
            api.items("GetAuthorizers", "items", restApiId=api_id),
        )

    ids = [api_id for item in dicts(apis) if (api_id := text(item.get("id")))]
    for api_id, (stages, resources, authorizers) in api.each_of(read_api, ids).items():
        out["stages"][api_id] = stages
        out["resources"][api_id] = resources
        out["authorizers"][api_id] = authorizers
    out["UsagePlans"] = api.items("GetUsagePlans", "items")
    return out


def rest_ref(where: Where, api_id: str) -> str:
    return gateway_arn(where, f"/restapis/{api_id}")


def transform_rest(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    out: list[r.Record] = []
    stages = mapping(raw.get("stages"))
    resources = mapping(raw.get("resources"))
    authorizers = mapping(raw.get("authorizers"))
    for item in dicts(raw.get("RestApis")):
        if (api_id := text(item.get("id"))) is None:
            continue
        ref = rest_ref(where, api_id)
        out.append(_rest_api(item, ref, where))
        for stage in dicts(stages.get(api_id)):
            out += _stage(stage, ref, where)
        for resource in dicts(resources.get(api_id)):
            out += _methods(resource, ref, where)
        out += [
            _authorizer(a, ref, where) for a in dicts(authorizers.get(api_id)) if text(a.get("id"))
        ]
    out += [_usage_plan(p, where) for p in dicts(raw.get("UsagePlans")) if text(p.get("id"))]
    if raw.get("UsagePlans") is None and (covered := _stage_names(out)):
        # The plans could not be read: any stage may be throttled by one.
        ref = gateway_arn(where, "/usageplans")
        detail = "usage plans could not be read"
        out.append(r.UsagePlan(ref, ref, where.evidence(ref, detail=detail), stages=covered))
    return out


def _stage_names(records: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (x.api, x.name)
        for x in records
        if isinstance(x, r.ApiStage) and x.api and x.name and "/restapis/" in x.ref
    )


def _rest_api(item: Mapping[str, Any], ref: str, where: Where) -> r.RestApi:
    config = item.get("endpointConfiguration")
    types: tuple[str, ...] | None = None
    if config is not None:
        # Stated but unreadable is "?" (no internet flow), as the Terraform builder has it.
        types = tuple(t.upper() for t in texts(mapping(config).get("types"))) or ("?",)
    return r.RestApi(
        ref,
        ref,
        where.evidence(ref),
        key=None,  # REST API ids are generated and names are not unique
        name=text(item.get("name")),
        endpoint_types=types,
    )


def _stage(stage: Mapping[str, Any], api_ref: str, where: Where) -> list[r.Record]:
    """A stage, its method settings (`*/*` is the stage-wide default) and the WAF web
    ACL the stage names."""
    if (name := text(stage.get("stageName"))) is None:
        return []
    ref = f"{api_ref}/stages/{name}"
    deployment = text(stage.get("deploymentId"))
    out: list[r.Record] = [
        r.ApiStage(
            ref,
            ref,
            where.evidence(ref),
            api=api_ref,
            name=name,
            deployment=f"{api_ref}/deployments/{deployment}" if deployment else None,
        )
    ]
    for path, settings in mapping(stage.get("methodSettings")).items():
        label = f"methodSettings:{path}"
        out.append(
            r.MethodSettings(
                sub_ref(ref, label),
                sub_ref(ref, label),
                where.evidence(ref, detail=label),
                api=api_ref,
                stage=name,
                method_path=path,
                throttled=throttles(settings, "throttlingRateLimit"),
            )
        )
    if acl := text(stage.get("webAclArn")):
        out.append(
            WafAssociation(acl, acl, where.evidence(ref, detail=f"webAclArn {acl}"), target=ref)
        )
    return out


def _methods(resource: Mapping[str, Any], api_ref: str, where: Where) -> list[r.Record]:
    """Each method of a resource and its integration."""
    if (resource_id := text(resource.get("id"))) is None:
        return []
    path = text(resource.get("path")) or "?"
    out: list[r.Record] = []
    for verb, method in mapping(resource.get("resourceMethods")).items():
        body = mapping(method)
        ref = f"{api_ref}/resources/{resource_id}/methods/{verb}"
        out.append(
            r.ApiMethod(
                ref,
                ref,
                where.evidence(ref, detail=f"{verb} {path}"),
                api=api_ref,
                http_method=text(body.get("httpMethod")) or verb,
                authorization=upper(body.get("authorizationType")),
                api_key_required=flag(body.get("apiKeyRequired")),
            )
        )
        integration = body.get("methodIntegration")
        if isinstance(integration, Mapping):
            target, uri = integration_target(integration.get("uri"))
            integ_ref = f"{ref}/integration"
            out.append(
                r.ApiIntegration(
                    integ_ref,
                    integ_ref,
                    where.evidence(integ_ref, detail=f"{verb} {path}"),
                    api=api_ref,
                    target=target,
                    uri=uri,
                )
            )
    return out


def _authorizer(item: Mapping[str, Any], api_ref: str, where: Where) -> ApiAuthorizer:
    ref = f"{api_ref}/authorizers/{item.get('id')}"
    return ApiAuthorizer(
        ref,
        ref,
        where.evidence(ref),
        api=api_ref,
        name=text(item.get("name")),
        type=upper(item.get("type")),
        function=function_arn(item.get("authorizerUri")),
        user_pools=texts(item.get("providerARNs")),
    )


def _usage_plan(plan: Mapping[str, Any], where: Where) -> r.UsagePlan:
    ref = gateway_arn(where, f"/usageplans/{plan.get('id')}")
    stages = tuple(
        (rest_ref(where, api_id), stage)
        for s in dicts(plan.get("apiStages"))
        if (api_id := text(s.get("apiId"))) and (stage := text(s.get("stage")))
    )
    return r.UsagePlan(
        ref,
        ref,
        where.evidence(ref),
        stages=stages,
        throttled=throttles(plan.get("throttle"), "rateLimit"),
    )
