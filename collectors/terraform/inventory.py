"""Route a Terraform module's resource blocks to the AWS record builders."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from collectors.aws import records as r
from collectors.terraform import aws_api as api
from collectors.terraform import aws_databases as db
from collectors.terraform import aws_network as net
from collectors.terraform import aws_s3 as s3
from collectors.terraform import aws_services as svc
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.lazy_body import LazyBody
from collectors.terraform.services import RESOURCES as FAMILY_RESOURCES
from scanner.model import Diagnostic, Evidence

log = logging.getLogger(__name__)

# resource type -> (Inventory field, builder). Aliases (aws_alb*) share builders.
_SIMPLE: dict[str, tuple[str, Callable[[Block], Any]]] = {
    "aws_vpc": ("vpcs", net.vpc),
    "aws_subnet": ("subnets", net.subnet),
    "aws_internet_gateway": ("internet_gateways", net.internet_gateway),
    "aws_route_table_association": ("route_table_associations", net.route_table_association),
    "aws_network_acl_rule": ("nacl_rules", net.network_acl_rule),
    "aws_network_acl_association": ("nacl_associations", net.network_acl_association),
    "aws_security_group_rule": ("security_group_rules", net.security_group_rule),
    "aws_lb": ("load_balancers", svc.load_balancer),
    "aws_alb": ("load_balancers", svc.load_balancer),
    "aws_lb_listener": ("listeners", svc.listener),
    "aws_alb_listener": ("listeners", svc.listener),
    "aws_lb_listener_rule": ("listener_rules", svc.listener_rule),
    "aws_alb_listener_rule": ("listener_rules", svc.listener_rule),
    "aws_lb_target_group": ("target_groups", svc.target_group),
    "aws_alb_target_group": ("target_groups", svc.target_group),
    "aws_lb_target_group_attachment": ("target_attachments", svc.target_attachment),
    "aws_alb_target_group_attachment": ("target_attachments", svc.target_attachment),
    "aws_instance": ("instances", svc.instance),
    "aws_lambda_function": ("functions", svc.lambda_function),
    "aws_db_subnet_group": ("db_subnet_groups", db.db_subnet_group),
    "aws_db_instance": ("db_instances", db.db_instance),
    "aws_s3_bucket": ("buckets", s3.bucket),
    "aws_s3_bucket_acl": ("bucket_acls", s3.bucket_acl),
    "aws_s3_bucket_policy": ("bucket_policies", s3.bucket_policy),
    "aws_s3_bucket_ownership_controls": ("ownership_controls", s3.ownership_controls),
    "aws_api_gateway_rest_api": ("rest_apis", api.rest_api),
    "aws_api_gateway_stage": ("api_stages", api.rest_stage),
    "aws_api_gateway_method": ("api_methods", api.method),
    "aws_api_gateway_method_settings": ("method_settings", api.method_settings),
    "aws_api_gateway_usage_plan": ("usage_plans", api.usage_plan),
    "aws_api_gateway_integration": ("api_integrations", api.rest_integration),
    "aws_apigatewayv2_api": ("http_apis", api.http_api),
    "aws_apigatewayv2_stage": ("api_stages", api.http_stage),
    "aws_apigatewayv2_integration": ("api_integrations", api.http_integration),
}

# Types read for their effect on others (handled below), so they are "understood".
_SPECIAL = {
    "aws_route_table",
    "aws_default_route_table",
    "aws_main_route_table_association",
    "aws_route",
    "aws_security_group",
    "aws_default_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_s3_bucket_public_access_block",
    "aws_s3_account_public_access_block",
    "aws_api_gateway_deployment",
    "aws_wafv2_web_acl_association",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_versioning",
    "aws_network_acl",
    "aws_default_network_acl",
}

_BUCKET_SETTINGS = (
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_versioning",
)

SUPPORTED = frozenset(_SIMPLE) | _SPECIAL | frozenset(FAMILY_RESOURCES)


def _with_inputs(record: Any, b: Block, origins: Mapping[str, Evidence]) -> Any:
    """The record, with the tfvars lines of the root variables its attributes used."""
    used = b.body.root_variables() if isinstance(b.body, LazyBody) else set()
    inputs = tuple(origins[name] for name in sorted(used) if name in origins)
    record = replace(record, conditional=True) if b.conditional else record
    return replace(record, inputs=inputs) if inputs else record


def build_inventory(
    blocks: Iterable[Block],
    scope: str,
    origins: Mapping[str, Evidence] | None = None,
    diagnostics: list[Diagnostic] | None = None,
) -> r.Inventory:
    """Normalised AWS records for one Terraform module (pure: blocks in, records out).

    `origins` says where root variables got their values (a tfvars line): records built
    from those values carry that evidence too."""
    origins = origins or {}
    out: dict[str, list[Any]] = defaultdict(list)
    extra_routes: dict[str, list[r.Route]] = defaultdict(list)
    main_tables: set[str] = set()
    tables: list[r.RouteTable] = []
    for b in blocks:
        try:
            _read_block(b, out, extra_routes, main_tables, tables, origins)
        except Exception as e:  # one odd resource must not lose the rest of the module
            log.debug("cannot read %s", b.address, exc_info=True)
            if diagnostics is not None:
                diagnostics.append(
                    Diagnostic(
                        "error",
                        b.file,
                        f"{b.address}: could not be read ({type(e).__name__}); skipped",
                        b.line,
                    )
                )
    for table in tables:
        routes = table.routes + tuple(extra_routes.get(table.ref, ()))
        out["route_tables"].append(
            replace(table, routes=routes, main=table.main or table.ref in main_tables)
        )
    return r.Inventory(**{k: tuple(items) for k, items in out.items()}, scope=scope)


def _read_block(
    b: Block,
    out: dict[str, list[Any]],
    extra_routes: dict[str, list[r.Route]],
    main_tables: set[str],
    tables: list[r.RouteTable],
    origins: Mapping[str, Evidence],
) -> None:
    """Turn one resource block into records (appended to `out` and the route lists)."""
    family = FAMILY_RESOURCES.get(b.type)
    if family is not None:
        built = family(b)
        for record in built if isinstance(built, list) else [built]:
            out["extra"].append(_with_inputs(record, b, origins))
        return
    simple = _SIMPLE.get(b.type)
    if simple is not None:
        field, build = simple
        out[field].append(_with_inputs(build(b), b, origins))
        if b.type == "aws_s3_bucket":  # the deprecated inline encryption/logging/versioning
            out["bucket_settings"].extend(s3.bucket_settings(b))
    elif b.type == "aws_route_table":
        tables.append(net.route_table(b))
    elif b.type == "aws_default_route_table":
        tables.append(net.route_table(b, main=True))
    elif b.type == "aws_main_route_table_association":
        if main_ref := v.ref(b.body.get("route_table_id")):
            main_tables.add(main_ref)
    elif b.type == "aws_route":
        table_ref, route = net.standalone_route(b)
        if table_ref is not None:
            extra_routes[table_ref].append(route)
    elif b.type in ("aws_network_acl", "aws_default_network_acl"):
        acl, acl_rules = net.network_acl(b, default=b.type == "aws_default_network_acl")
        out["network_acls"].append(acl)
        out["nacl_rules"].extend(acl_rules)
    elif b.type in ("aws_security_group", "aws_default_security_group"):
        group, rules = net.security_group(b)
        out["security_groups"].append(group)
        out["security_group_rules"].extend(rules)
    elif b.type == "aws_vpc_security_group_ingress_rule":
        out["security_group_rules"].append(net.vpc_security_group_rule(b, "ingress"))
    elif b.type == "aws_vpc_security_group_egress_rule":
        out["security_group_rules"].append(net.vpc_security_group_rule(b, "egress"))
    elif b.type in ("aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"):
        account = b.type == "aws_s3_account_public_access_block"
        out["public_access_blocks"].append(s3.public_access_block(b, account))
    elif b.type in _BUCKET_SETTINGS:
        out["bucket_settings"].extend(s3.bucket_settings(b))
    elif b.type == "aws_wafv2_web_acl_association":
        out["waf_protected"].extend(a for a, _ in v.refs_in(b.body.get("resource_arn")))
    elif b.type == "aws_api_gateway_deployment" and (stage := api.deployment_stage(b)):
        out["api_stages"].append(stage)
