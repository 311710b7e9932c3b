"""Terraform builders of launch templates and EC2 Auto Scaling groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.services import compute as c
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.services.compute.attributes import template_ref


def _launch(
    b: Block,
    groups: tuple[str, ...],
    public_ip: object,
    user_data: list[Any],
    profile: str | None,
) -> c.LaunchTemplate:
    metadata = v.first_block(b.body, "metadata_options")
    name = v.string(b.body.get("name"))
    return c.LaunchTemplate(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("ec2", "launch-template", name)
        if b.type == "aws_launch_template"
        else None,
        name=name,
        security_groups=groups,
        public_ip=v.boolean(public_ip),  # not stated: the subnet's setting decides
        # Not stated: the AMI and the account's IMDS defaults decide (unknown here).
        http_tokens=v.string(metadata.get("http_tokens")) if metadata else None,
        calls=tuple(dict.fromkeys(a for a, _ in v.refs_in(user_data))),
        instance_profile=profile,
    )


def launch_template(b: Block) -> c.LaunchTemplate:
    nics = v.blocks(b.body, "network_interfaces")
    groups = list(v.refs(b.body.get("vpc_security_group_ids")))
    groups += [g for nic in nics for g in v.refs(nic.get("security_groups"))]
    public_ip = nics[0].get("associate_public_ip_address") if nics else None
    spec = v.first_block(b.body, "iam_instance_profile")
    profile = template_ref(spec, "arn", "name")
    return _launch(b, tuple(dict.fromkeys(groups)), public_ip, [b.body.get("user_data")], profile)


def launch_configuration(b: Block) -> c.LaunchTemplate:
    user_data = [b.body.get("user_data"), b.body.get("user_data_base64")]
    groups = v.refs(b.body.get("security_groups"))
    profile = v.ref(b.body.get("iam_instance_profile"))
    return _launch(b, groups, b.body.get("associate_public_ip_address"), user_data, profile)


def autoscaling_group(b: Block) -> c.AutoScalingGroup:
    lt = template_ref(v.first_block(b.body, "launch_template"), "id", "name")
    for policy in v.blocks(b.body, "mixed_instances_policy"):
        for spec in v.blocks(
            v.first_block(policy, "launch_template") or {}, "launch_template_specification"
        ):
            lt = lt or template_ref(spec, "launch_template_id", "launch_template_name")
    lt = lt or v.ref(b.body.get("launch_configuration"))
    groups = list(v.refs(b.body.get("target_group_arns")))
    groups += [t for s in v.blocks(b.body, "traffic_source") if (t := _elbv2(s))]
    name = v.string(b.body.get("name"))
    return c.AutoScalingGroup(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("autoscaling", "group", name),
        name=name,
        subnets=v.refs(b.body.get("vpc_zone_identifier")),
        launch_template=lt,
        target_groups=tuple(dict.fromkeys(groups)),
        classic_elbs=v.refs(b.body.get("load_balancers"))
        + tuple(
            e
            for s in v.blocks(b.body, "traffic_source")
            if v.string(s.get("type")) == "elb" and (e := v.ref(s.get("identifier")))
        ),
        min_size=v.integer(b.body.get("min_size")),
        max_size=v.integer(b.body.get("max_size")),
        desired=v.integer(b.body.get("desired_capacity")),
    )


def _elbv2(source: Mapping[str, Any]) -> str | None:
    """The target group a traffic source names (an elb or vpc-lattice one names none; an
    unstated type leaves the identifier, which then matches only a target group)."""
    if "type" in source and v.string(source.get("type")) != "elbv2":
        return None
    return v.ref(source.get("identifier"))


def autoscaling_attachment(b: Block) -> c.AutoScalingAttachment:
    target = v.ref(b.body.get("lb_target_group_arn"))
    for source in v.blocks(b.body, "traffic_source"):  # aws_autoscaling_traffic_source_attachment
        target = target or _elbv2(source)
    return c.AutoScalingAttachment(
        b.address,
        b.address,
        b.evidence(),
        group=v.ref(b.body.get("autoscaling_group_name")),
        target_group=target,
        classic_elb=v.ref(b.body.get("elb")),
    )
