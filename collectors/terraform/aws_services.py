"""Terraform AWS load-balancer and compute resources to normalised records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.terraform import values as v
from collectors.terraform.aws_databases import db_instance, db_subnet_group
from collectors.terraform.aws_s3 import (
    bucket,
    bucket_acl,
    bucket_policy,
    bucket_settings,
    ownership_controls,
    public_access_block,
)
from collectors.terraform.blocks import Block
from collectors.terraform.resource_policy import policy_is_public

__all__ = [
    "bucket",
    "bucket_acl",
    "bucket_policy",
    "bucket_settings",
    "db_instance",
    "db_subnet_group",
    "instance",
    "lambda_function",
    "listener",
    "listener_rule",
    "load_balancer",
    "ownership_controls",
    "policy_is_public",
    "public_access_block",
    "target_attachment",
    "target_group",
]


# --- load balancers -------------------------------------------------------------------


def load_balancer(b: Block) -> r.LoadBalancer:
    subnets = list(v.refs(b.body.get("subnets")))
    subnets += [s for m in v.blocks(b.body, "subnet_mapping") if (s := v.ref(m.get("subnet_id")))]
    name = v.string(b.body.get("name"))
    logs = v.first_block(b.body, "access_logs")
    return r.LoadBalancer(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("elasticloadbalancing", "loadbalancer", name),
        name=name,
        lb_type=v.string(b.body.get("load_balancer_type", "application")),
        # Provider default: internet-facing (internal = false).
        internal=v.boolean(b.body.get("internal", False)),
        subnets=tuple(dict.fromkeys(subnets)),
        security_groups=v.refs(b.body.get("security_groups")),
        # Provider default: access logs off, even with a bucket, unless enabled = true.
        access_logging=False if logs is None else v.boolean(logs.get("enabled", False)),
    )


def _actions(blocks: list[Mapping[str, Any]]) -> tuple[r.Action, ...]:
    out = []
    for a in blocks:
        groups = list(v.refs(a.get("target_group_arn")))
        for fwd in v.blocks(a, "forward"):
            groups += [g for tg in v.blocks(fwd, "target_group") if (g := v.ref(tg.get("arn")))]
        redirect = v.first_block(a, "redirect")
        out.append(
            r.Action(
                type=v.string(a.get("type")) or "?",
                target_groups=tuple(dict.fromkeys(groups)),
                redirect_protocol=(
                    (v.string(redirect.get("protocol", "#{protocol}")) or "?").upper()
                    if redirect is not None
                    else None
                ),
            )
        )
    return tuple(out)


# What ELB applies to an HTTPS or TLS listener created through the API (and so by
# Terraform) without ssl_policy (AWS docs, 2024): it still accepts TLS 1.0 and 1.1.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"


def listener(b: Block) -> r.Listener:
    protocol = v.string(b.body.get("protocol", ""))  # "" = not stated: the LB type's default
    tls = protocol is not None and protocol.upper() in ("HTTPS", "TLS")
    return r.Listener(
        b.address,
        b.address,
        b.evidence(),
        load_balancer=v.ref(b.body.get("load_balancer_arn")),
        port=v.integer(b.body.get("port")),
        protocol=protocol.upper() if protocol is not None else None,
        actions=_actions(v.blocks(b.body, "default_action")),
        certificate=True if b.body.get("certificate_arn") is not None else None,
        ssl_policy=v.string(b.body.get("ssl_policy", DEFAULT_SSL_POLICY if tls else None)),
    )


def listener_rule(b: Block) -> r.ListenerRule:
    return r.ListenerRule(
        b.address,
        b.address,
        b.evidence(),
        listener=v.ref(b.body.get("listener_arn")),
        actions=_actions(v.blocks(b.body, "action")),
    )


def target_group(b: Block) -> r.TargetGroup:
    protocol = v.string(b.body.get("protocol"))
    return r.TargetGroup(
        b.address,
        b.address,
        b.evidence(),
        port=v.integer(b.body.get("port")),
        protocol=protocol.upper() if protocol else None,
        target_type=v.string(b.body.get("target_type", "instance")) or "instance",
    )


def target_attachment(b: Block) -> r.TargetAttachment:
    return r.TargetAttachment(
        b.address,
        b.address,
        b.evidence(),
        target_group=v.ref(b.body.get("target_group_arn")),
        target=v.ref(b.body.get("target_id")),
        port=v.integer(b.body.get("port")),
    )


# --- compute --------------------------------------------------------------------------


def instance(b: Block) -> r.Instance:
    user_data = [b.body.get("user_data"), b.body.get("user_data_base64")]
    metadata = v.first_block(b.body, "metadata_options")
    tags = b.body.get("tags")
    return r.Instance(
        b.address,
        b.address,
        b.evidence(),
        subnet=v.ref(b.body.get("subnet_id")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        public_ip=v.boolean(b.body.get("associate_public_ip_address")),
        calls=tuple(dict.fromkeys(a for a, _ in v.refs_in(user_data))),
        instance_profile=v.ref(b.body.get("iam_instance_profile")),
        http_tokens=v.string(metadata.get("http_tokens")) if metadata else None,
        name_tag=v.string(tags.get("Name")) if isinstance(tags, Mapping) else None,
    )


def lambda_function(b: Block) -> r.LambdaFunction:
    vpc_config = v.first_block(b.body, "vpc_config")
    env_refs: list[tuple[str, str]] = []
    env_values: list[tuple[str, str]] = []
    for env in v.blocks(b.body, "environment"):
        variables = env.get("variables")
        if not isinstance(variables, Mapping):
            # The whole map is unknown (a plan before apply): keep what it refers to.
            env_refs += [("environment", a) for a, _ in v.refs_in(variables)]
        else:
            for name, value in sorted(variables.items()):
                env_refs += [(name, a) for a, _ in v.refs_in(value)]
                if (text := v.string(value)) is not None:
                    env_values.append((name, text))
    name = v.string(b.body.get("function_name"))
    return r.LambdaFunction(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("lambda", "function", name),
        name=name,
        subnets=v.refs(vpc_config.get("subnet_ids")) if vpc_config else (),
        security_groups=v.refs(vpc_config.get("security_group_ids")) if vpc_config else (),
        in_vpc=vpc_config is not None,
        env_refs=tuple(env_refs),
        env_values=tuple(env_values),
        role=v.ref(b.body.get("role")),
    )
