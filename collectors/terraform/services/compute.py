"""Terraform resources of the AWS compute family: Lambda URLs, Auto Scaling, ECS and EKS."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws.services import compute as c
from collectors.terraform import values as v
from collectors.terraform.blocks import Block

_FARGATE = ("FARGATE", "FARGATE_SPOT")


def _key(service: str, kind: str, name: str | None) -> str | None:
    return f"{service}:{kind}:{name}" if name else None


def _upper(value: object) -> str | None:
    text = v.string(value)
    return text.upper() if text is not None else None


# --- Lambda ---------------------------------------------------------------------------


def function_url(b: Block) -> c.FunctionUrl:
    name = v.string(b.body.get("function_name"))  # a literal name; a reference is None
    return c.FunctionUrl(
        b.address,
        b.address,
        b.evidence(),
        key=_key("lambda", "function-url", name),
        function=v.ref(b.body.get("function_name")),
        auth_type=_upper(b.body.get("authorization_type")),
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
        url_auth_type=_upper(b.body.get("function_url_auth_type")),
        # Any stated condition narrows the grant, whatever its (maybe unknown) value.
        scoped=any(b.body.get(k) is not None for k in conditions),
    )


# --- EC2 Auto Scaling -----------------------------------------------------------------


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
        key=_key("ec2", "launch-template", name) if b.type == "aws_launch_template" else None,
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
    profile = _template_ref(spec, "arn", "name")
    return _launch(b, tuple(dict.fromkeys(groups)), public_ip, [b.body.get("user_data")], profile)


def launch_configuration(b: Block) -> c.LaunchTemplate:
    user_data = [b.body.get("user_data"), b.body.get("user_data_base64")]
    groups = v.refs(b.body.get("security_groups"))
    profile = v.ref(b.body.get("iam_instance_profile"))
    return _launch(b, groups, b.body.get("associate_public_ip_address"), user_data, profile)


def _template_ref(spec: Mapping[str, Any] | None, *keys: str) -> str | None:
    """What a specification block names, by the first of `keys` it states (id, name)."""
    if spec is None:
        return None
    return next((ref for k in keys if (ref := v.ref(spec.get(k))) is not None), None)


def autoscaling_group(b: Block) -> c.AutoScalingGroup:
    lt = _template_ref(v.first_block(b.body, "launch_template"), "id", "name")
    for policy in v.blocks(b.body, "mixed_instances_policy"):
        for spec in v.blocks(
            v.first_block(policy, "launch_template") or {}, "launch_template_specification"
        ):
            lt = lt or _template_ref(spec, "launch_template_id", "launch_template_name")
    lt = lt or v.ref(b.body.get("launch_configuration"))
    groups = list(v.refs(b.body.get("target_group_arns")))
    groups += [t for s in v.blocks(b.body, "traffic_source") if (t := _elbv2(s))]
    name = v.string(b.body.get("name"))
    return c.AutoScalingGroup(
        b.address,
        b.address,
        b.evidence(),
        key=_key("autoscaling", "group", name),
        name=name,
        subnets=v.refs(b.body.get("vpc_zone_identifier")),
        launch_template=lt,
        target_groups=tuple(dict.fromkeys(groups)),
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
    )


# --- ECS ------------------------------------------------------------------------------


def ecs_cluster(b: Block) -> c.EcsCluster:
    name = v.string(b.body.get("name"))
    return c.EcsCluster(
        b.address, b.address, b.evidence(), key=_key("ecs", "cluster", name), name=name
    )


def _container(item: Mapping[str, Any], fallback: tuple[str, ...]) -> c.Container:
    ports = []
    for pm in v.blocks(item, "portMappings"):
        if (port := v.integer(pm.get("containerPort"))) is not None:
            ports.append(((v.string(pm.get("protocol", "tcp")) or "tcp").lower(), port))
    env: list[tuple[str, str]] = []
    for var in v.blocks(item, "environment"):
        if (name := v.string(var.get("name"))) is None:
            continue
        refs = [a for a, _ in v.refs_in(var.get("value"))]
        if not refs and v.string(var.get("value")) is None and "value" in var:
            refs = list(fallback)  # text template: its one reference
        env += [(name, ref) for ref in refs]
    return c.Container(
        name=v.string(item.get("name")),
        ports=tuple(ports),
        env_refs=tuple(env),
        privileged=v.boolean(item.get("privileged", False)),  # ECS default: false
    )


def ecs_task_definition(b: Block) -> c.EcsTaskDefinition:
    raw = b.body.get("container_definitions")
    doc = v.json_document(raw)
    # A heredoc or template with holes keeps its references only as a whole: an env
    # value with a hole can be attributed only when the document names one resource.
    refs = tuple(dict.fromkeys(a for a, _ in v.refs_in(raw)))
    fallback = refs if len(refs) == 1 else ()
    family = v.string(b.body.get("family"))
    return c.EcsTaskDefinition(
        b.address,
        b.address,
        b.evidence(),
        key=_key("ecs", "task-definition", family),
        family=family,
        containers=(
            tuple(_container(x, fallback) for x in doc if isinstance(x, Mapping))
            if isinstance(doc, list)
            else None
        ),
        task_role=v.ref(b.body.get("task_role_arn")),
    )


def ecs_service(b: Block) -> c.EcsService:
    net = v.first_block(b.body, "network_configuration")
    launch_type = _upper(b.body.get("launch_type"))
    providers = [
        v.string(s.get("capacity_provider")) for s in v.blocks(b.body, "capacity_provider_strategy")
    ]
    if launch_type is None and providers and all(p in _FARGATE for p in providers):
        launch_type = "FARGATE"
    return c.EcsService(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        cluster=v.ref(b.body.get("cluster")),
        task_definition=_one_ref(b.body.get("task_definition"), "aws_ecs_task_definition"),
        launch_type=launch_type,
        subnets=v.refs(net.get("subnets")) if net else (),
        security_groups=v.refs(net.get("security_groups")) if net else (),
        # Provider default: false.
        public_ip=v.boolean(net.get("assign_public_ip", False)) if net else None,
        targets=tuple(
            c.EcsTarget(
                v.ref(lb.get("target_group_arn")),
                v.integer(lb.get("container_port")),
                b.nested_evidence(lb, "load_balancer"),
            )
            for lb in v.blocks(b.body, "load_balancer")
        ),
        desired=v.integer(b.body.get("desired_count")),
    )


def _one_ref(value: object, type_: str) -> str | None:
    """What an attribute names: a literal or reference, else the one resource of `type_`
    it is built from ("${aws_ecs_task_definition.app.family}:${...revision}")."""
    if (found := v.ref(value)) is not None:
        return found
    refs = [x for x in v.refs(value) if v.address_type(x) == type_]
    return refs[0] if len(refs) == 1 else None


# --- EKS ------------------------------------------------------------------------------


def eks_cluster(b: Block) -> c.EksCluster:
    vpc = v.first_block(b.body, "vpc_config") or {}
    resources = [v.strings(e.get("resources")) for e in v.blocks(b.body, "encryption_config")]
    logs = v.strings(b.body.get("enabled_cluster_log_types", []))  # default: none
    name = v.string(b.body.get("name"))
    return c.EksCluster(
        b.address,
        b.address,
        b.evidence(),
        key=_key("eks", "cluster", name),
        name=name,
        subnets=v.refs(vpc.get("subnet_ids")),
        security_groups=v.refs(vpc.get("security_group_ids")),
        # Provider defaults: public endpoint on, private off, public CIDRs 0.0.0.0/0.
        public_endpoint=v.boolean(vpc.get("endpoint_public_access", True)),
        private_endpoint=v.boolean(vpc.get("endpoint_private_access", False)),
        public_cidrs=v.strings(vpc.get("public_access_cidrs", ["0.0.0.0/0"])),
        secrets_kms_key=(
            True
            if any(r and "secrets" in r for r in resources)
            else (None if None in resources else False)
        ),
        audit_logging=None if logs is None else "audit" in logs,
        endpoint_evidence=b.nested_evidence(vpc, "endpoint") if vpc else None,
    )


def eks_node_group(b: Block) -> c.EksNodeGroup:
    scaling = v.first_block(b.body, "scaling_config") or {}
    remote = v.first_block(b.body, "remote_access")
    world: bool | None = False
    if remote is not None and remote.get("ec2_ssh_key") is not None:
        # A key without source security groups opens the port to 0.0.0.0/0.
        sources = remote.get("source_security_group_ids")
        if sources is None or (v.is_complete(sources) and not v.refs(sources)):
            world = True
        elif not v.refs(sources):
            world = None  # an unknown list: maybe empty
    ami = v.string(b.body.get("ami_type", "AL2_x86_64")) or ""
    return c.EksNodeGroup(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("node_group_name")),
        cluster=v.ref(b.body.get("cluster_name")),
        subnets=v.refs(b.body.get("subnet_ids")),
        launch_template=_template_ref(v.first_block(b.body, "launch_template"), "id", "name"),
        remote_port=3389 if ami.upper().startswith("WINDOWS") else 22,
        remote_world=world,
        remote_evidence=b.nested_evidence(remote, "remote_access") if remote else None,
        min_size=v.integer(scaling.get("min_size")),
        max_size=v.integer(scaling.get("max_size")),
        desired=v.integer(scaling.get("desired_size")),
        role=v.ref(b.body.get("node_role_arn")),
    )


# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_lambda_function_url": function_url,
    "aws_lambda_permission": lambda_permission,
    "aws_launch_template": launch_template,
    "aws_launch_configuration": launch_configuration,
    "aws_autoscaling_group": autoscaling_group,
    "aws_autoscaling_attachment": autoscaling_attachment,
    "aws_autoscaling_traffic_source_attachment": autoscaling_attachment,
    "aws_ecs_cluster": ecs_cluster,
    "aws_ecs_task_definition": ecs_task_definition,
    "aws_ecs_service": ecs_service,
    "aws_eks_cluster": eks_cluster,
    "aws_eks_node_group": eks_node_group,
}
