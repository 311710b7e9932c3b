"""The edge of an account, read live per region: load balancers (elbv2 and classic),
API Gateway REST and HTTP APIs with their custom domains, and which of them a regional
WAF web ACL protects.

The work is split by service into the edge_*.py siblings; this module is the one the
collector loads (CLIENTS, GLOBAL, read, transform) and it reads WAF itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws_live.api import Api, Where
from collectors.aws_live.records import WafAssociation
from collectors.aws_live.services.edge_balancers import (
    read_elb,
    read_elbv2,
    transform_elb,
    transform_elbv2,
)
from collectors.aws_live.services.edge_domains import (
    read_http_domains,
    read_rest_domains,
    transform_domains,
)
from collectors.aws_live.services.edge_http import read_http, transform_http
from collectors.aws_live.services.edge_rest import read_rest, transform_rest
from collectors.aws_live.services.edge_shared import dicts, mapping, paged, text, texts

CLIENTS: tuple[str, ...] = ("elbv2", "elb", "apigateway", "apigatewayv2", "wafv2")
GLOBAL: bool = False

# What a regional web ACL can protect that the mapping has records of (AppSync,
# Cognito, App Runner and Verified Access are not modelled).
WAF_RESOURCE_TYPES = ("APPLICATION_LOAD_BALANCER", "API_GATEWAY")


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """Every edge service of the region, as raw JSON (None where a call failed)."""
    return {
        "elbv2": read_elbv2(apis["elbv2"]),
        "elb": read_elb(apis["elb"]),
        "apigateway": read_rest(apis["apigateway"]) | read_rest_domains(apis["apigateway"]),
        "apigatewayv2": read_http(apis["apigatewayv2"]) | read_http_domains(apis["apigatewayv2"]),
        "wafv2": read_waf(apis["wafv2"]),
    }


def read_waf(api: Api) -> dict[str, Any]:
    """Regional web ACLs and, per ACL, the load balancers and API stages it protects."""
    # boto3 has no paginator for ListWebACLs: follow NextMarker here.
    acls = paged(api, "ListWebACLs", "WebACLs", "NextMarker", Scope="REGIONAL")
    resources = {
        arn: {
            kind: api.items(
                "ListResourcesForWebACL", "ResourceArns", WebACLArn=arn, ResourceType=kind
            )
            for kind in WAF_RESOURCE_TYPES
        }
        for acl in dicts(acls)
        if (arn := text(acl.get("ARN")))
    }
    return {"WebACLs": acls, "resources": resources}


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """Records of every edge service (pure; a missing part gives no records of it)."""
    raw = mapping(raw)
    rest, http = mapping(raw.get("apigateway")), mapping(raw.get("apigatewayv2"))
    rest_ids = {i for a in dicts(rest.get("RestApis")) if (i := text(a.get("id")))}
    records: list[Record] = [
        *transform_elbv2(mapping(raw.get("elbv2")), where),
        *transform_elb(mapping(raw.get("elb")), where),
        *transform_waf(mapping(raw.get("wafv2")), where),
        *transform_rest(rest, where),
        *transform_http(http, where),
        *transform_domains(rest, http, rest_ids, where),
    ]
    return _one_association_each(records)


def transform_waf(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """One WafAssociation per protected resource ARN (ALB ARN, REST stage ARN)."""
    out: list[Record] = []
    for acl, kinds in mapping(raw.get("resources")).items():
        for kind in WAF_RESOURCE_TYPES:
            for target in texts(mapping(kinds).get(kind)):
                ev = where.evidence(acl, detail=f"protects {target}")
                out.append(WafAssociation(acl, acl, ev, target=target))
    return out


def _one_association_each(records: list[Record]) -> list[Record]:
    """A stage's own webAclArn and WAF's resource list say the same thing: keep the
    first WafAssociation of each (web ACL, target)."""
    seen: set[tuple[str, str]] = set()
    out: list[Record] = []
    for rec in records:
        if isinstance(rec, WafAssociation):
            if (rec.ref, rec.target) in seen:
                continue
            seen.add((rec.ref, rec.target))
        out.append(rec)
    return out
