"""Terraform builders of Lambda function URLs and permissions."""

from __future__ import annotations

from collectors.aws.services import compute as c
from collectors.terraform import values as v
from collectors.terraform.blocks import Block


def function_url(b: Block) -> c.FunctionUrl:
    name = v.string(b.body.get("function_name"))  # a literal name; a reference is None
    return c.FunctionUrl(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("lambda", "function-url", name),
        function=v.ref(b.body.get("function_name")),
        auth_type=v.upper(b.body.get("authorization_type")),
    )


def lambda_permission(b: Block) -> c.LambdaPermission:
    conditions = ("source_arn", "source_account", "principal_org_id", "event_source_token")
    return c.LambdaPermission(
        b.address,
        b.address,
        b.evidence(),
        function=v.ref(b.body.get("function_name")),
        action=v.string(b.body.get("action")),
        principal=v.string(b.body.get("principal")),
        url_auth_type=v.upper(b.body.get("function_url_auth_type")),
        # Any stated condition narrows the grant, whatever its (maybe unknown) value.
        scoped=any(b.body.get(k) is not None for k in conditions),
    )
