"""API Gateway custom domain names and the APIs they serve, read live.

Custom domains are shared by REST and HTTP APIs: apigateway lists them with their base
path mappings, apigatewayv2 with its API mappings (which may point at REST APIs too).
Both are read; a domain and a (API, domain, path) mapping are recorded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws.service_records import ApiDomainName, ApiMapping
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.edge_http import http_ref
from collectors.aws_live.services.edge_rest import rest_ref
from collectors.aws_live.services.edge_shared import dicts, gateway_arn, mapping, paged, text


def _names(domains: Any, key: str) -> list[str]:
    return [name for d in dicts(domains) if (name := text(d.get(key)))]


def read_rest_domains(api: Api) -> dict[str, Any]:
    domains = api.items("GetDomainNames", "items")
    mappings = {
        name: api.items("GetBasePathMappings", "items", domainName=name)
        for name in _names(domains, "domainName")
    }
    return {"DomainNames": domains, "mappings": mappings}


def read_http_domains(api: Api) -> dict[str, Any]:
    domains = api.items("GetDomainNames", "Items")
    mappings = {
        # boto3 has no paginator for GetApiMappings: follow NextToken here.
        name: paged(api, "GetApiMappings", "Items", "NextToken", DomainName=name)
        for name in _names(domains, "DomainName")
    }
    return {"DomainNames": domains, "mappings": mappings}


def transform_domains(
    rest: Mapping[str, Any], http: Mapping[str, Any], rest_ids: set[str], where: Where
) -> list[Record]:
    """Domains and mappings of both APIs; `rest_ids` tells which API ids in an
    apigatewayv2 mapping are REST APIs."""
    records: dict[str, Record] = {}
    seen: set[tuple[str | None, str, str]] = set()

    def add(record: Record) -> None:
        if isinstance(record, ApiMapping):
            key = (record.api, record.domain or "", record.base_path or "")
            if key in seen:
                return
            seen.add(key)
        records.setdefault(record.ref, record)

    for name in _names(rest.get("DomainNames"), "domainName"):
        add(_domain(name, where))
        for m in dicts(mapping(rest.get("mappings")).get(name)):
            path = text(m.get("basePath")) or "(none)"
            api_id = text(m.get("restApiId"))
            api = rest_ref(where, api_id) if api_id else None
            add(_mapping(name, f"basepathmappings/{path}", api, path, where))
    for name in _names(http.get("DomainNames"), "DomainName"):
        add(_domain(name, where))
        for m in dicts(mapping(http.get("mappings")).get(name)):
            api_id, mapping_id = text(m.get("ApiId")), text(m.get("ApiMappingId"))
            if mapping_id is None:
                continue
            api = None
            if api_id:
                api = rest_ref(where, api_id) if api_id in rest_ids else http_ref(where, api_id)
            path = text(m.get("ApiMappingKey")) or ""
            add(_mapping(name, f"apimappings/{mapping_id}", api, path, where))
    return list(records.values())


def _domain(name: str, where: Where) -> ApiDomainName:
    ref = gateway_arn(where, f"/domainnames/{name}")
    return ApiDomainName(ref, ref, where.evidence(ref), domain=name)


def _mapping(domain: str, tail: str, api: str | None, path: str, where: Where) -> ApiMapping:
    """A mapping serving `api` under `domain`/`path` ("(none)", REST's root, is "")."""
    ref = gateway_arn(where, f"/domainnames/{domain}/{tail}")
    return ApiMapping(
        ref,
        ref,
        where.evidence(ref),
        api=api,
        domain=domain,
        domain_ref=gateway_arn(where, f"/domainnames/{domain}"),
        base_path="" if path == "(none)" else path.strip("/"),
    )
