"""Elastic Load Balancing, read live: ALBs/NLBs/GWLBs with their listeners, listener
rules, target groups and registered targets (elbv2), and classic ELBs (elb).

Records are the Terraform builders' (collectors/terraform/aws_services.py and
services/edge.py): refs are the ARNs AWS gives (classic ELBs have none in the response,
so theirs is the documented `...:loadbalancer/{name}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.services.edge import ClassicListener, ClassicLoadBalancer
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.edge_shared import (
    dicts,
    flag,
    function_arn,
    integer,
    mapping,
    sub_ref,
    text,
    texts,
    upper,
)

_SCHEME_INTERNAL = {"internal": True, "internet-facing": False}


# --- read -----------------------------------------------------------------------------


def read_elbv2(api: Api) -> dict[str, Any]:
    """Load balancers with their attributes, listeners and rules; target groups with
    their registered targets."""
    lbs = api.items("DescribeLoadBalancers", "LoadBalancers")
    out: dict[str, Any] = {"LoadBalancers": lbs, "attributes": {}, "listeners": {}, "rules": {}}

    def read_lb(arn: str) -> tuple[Any, Any, dict[str, Any]]:
        attributes = api.items("DescribeLoadBalancerAttributes", "Attributes", LoadBalancerArn=arn)
        listeners = api.items("DescribeListeners", "Listeners", LoadBalancerArn=arn)
        rules = {
            listener: api.items("DescribeRules", "Rules", ListenerArn=listener)
            for ls in dicts(listeners)
            if (listener := text(ls.get("ListenerArn")))
        }
        return attributes, listeners, rules

    arns = [arn for lb in dicts(lbs) if (arn := text(lb.get("LoadBalancerArn")))]
    for arn, (attributes, listeners, rules) in api.each_of(read_lb, arns).items():
        out["attributes"][arn] = attributes
        out["listeners"][arn] = listeners
        out["rules"].update(rules)
    groups = api.items("DescribeTargetGroups", "TargetGroups")
    out["TargetGroups"] = groups
    out["health"] = api.each_of(
        lambda arn: api.items(
            "DescribeTargetHealth", "TargetHealthDescriptions", TargetGroupArn=arn
        ),
        [arn for g in dicts(groups) if (arn := text(g.get("TargetGroupArn")))],
    )
    return out


def read_elb(api: Api) -> dict[str, Any]:
    """Classic load balancers and their attributes (access logging)."""
    lbs = api.items("DescribeLoadBalancers", "LoadBalancerDescriptions")
    attributes: dict[str, Any] = {}
    for lb in dicts(lbs):
        if name := text(lb.get("LoadBalancerName")):
            response = api.call("DescribeLoadBalancerAttributes", LoadBalancerName=name)
            attributes[name] = None if response is None else response.get("LoadBalancerAttributes")
    return {"LoadBalancerDescriptions": lbs, "attributes": attributes}


# --- elbv2 ----------------------------------------------------------------------------


def transform_elbv2(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    out: list[r.Record] = []
    attributes = mapping(raw.get("attributes"))
    for lb in dicts(raw.get("LoadBalancers")):
        if arn := text(lb.get("LoadBalancerArn")):
            out.append(_load_balancer(lb, arn, attributes.get(arn), where))
    rules = mapping(raw.get("rules"))
    for lb_arn, listeners in mapping(raw.get("listeners")).items():
        for ls in dicts(listeners):
            if listener_arn := text(ls.get("ListenerArn")):
                out.append(_listener(ls, listener_arn, lb_arn, where))
                out += _rules(rules.get(listener_arn), listener_arn, where)
    health = mapping(raw.get("health"))
    for group in dicts(raw.get("TargetGroups")):
        if tg_arn := text(group.get("TargetGroupArn")):
            out.append(_target_group(group, tg_arn, where))
            out += _attachments(health.get(tg_arn), group, tg_arn, where)
    return out


def _load_balancer(
    lb: Mapping[str, Any], arn: str, attributes: Any, where: Where
) -> r.LoadBalancer:
    name = text(lb.get("LoadBalancerName"))
    return r.LoadBalancer(
        arn,
        arn,
        where.evidence(arn),
        key=f"elasticloadbalancing:loadbalancer:{name}" if name else None,
        name=name,
        lb_type=text(lb.get("Type")),
        internal=_SCHEME_INTERNAL.get(str(lb.get("Scheme"))),
        subnets=texts([z.get("SubnetId") for z in dicts(lb.get("AvailabilityZones"))]),
        security_groups=texts(lb.get("SecurityGroups")),
        access_logging=_attribute(attributes, "access_logs.s3.enabled"),
    )


def _attribute(attributes: Any, key: str) -> bool | None:
    """A boolean load balancer attribute; None when the attributes could not be read."""
    for attr in dicts(attributes):
        if attr.get("Key") == key:
            return flag(attr.get("Value"))
    return None


def _actions(actions: Any) -> tuple[r.Action, ...]:
    """Listener or rule actions: forwards name their target groups directly or through
    ForwardConfig (AWS returns both for a single group: they are merged)."""
    out = []
    for a in sorted(dicts(actions), key=lambda x: integer(x.get("Order")) or 0):
        forward = mapping(a.get("ForwardConfig"))
        groups = [a.get("TargetGroupArn")]
        groups += [g.get("TargetGroupArn") for g in dicts(forward.get("TargetGroups"))]
        redirect = a.get("RedirectConfig")
        protocol = None
        if isinstance(redirect, Mapping):
            # AWS reports the "keep the protocol" default as #{protocol}, as Terraform does.
            protocol = (text(redirect.get("Protocol", "#{protocol}")) or "?").upper()
        out.append(
            r.Action(
                type=text(a.get("Type")) or "?",
                target_groups=texts(groups),
                redirect_protocol=protocol,
            )
        )
    return tuple(out)


def _listener(ls: Mapping[str, Any], arn: str, lb_arn: str, where: Where) -> r.Listener:
    certificates = ls.get("Certificates")
    return r.Listener(
        arn,
        arn,
        where.evidence(arn),
        load_balancer=text(ls.get("LoadBalancerArn")) or lb_arn,
        port=integer(ls.get("Port")),
        protocol=upper(ls.get("Protocol")),
        actions=_actions(ls.get("DefaultActions")),
        # AWS omits Certificates on listeners that have none (HTTP, TCP).
        certificate=(
            bool(certificates)
            if isinstance(certificates, list)
            else (False if certificates is None else None)
        ),
        ssl_policy=text(ls.get("SslPolicy")),
    )


def _rules(rules: Any, listener_arn: str, where: Where) -> list[r.Record]:
    """The listener's own rules (the default rule repeats its default actions)."""
    return [
        r.ListenerRule(
            arn,
            arn,
            where.evidence(arn),
            listener=listener_arn,
            actions=_actions(rule.get("Actions")),
        )
        for rule in dicts(rules)
        if rule.get("IsDefault") is not True and (arn := text(rule.get("RuleArn")))
    ]


def _target_group(group: Mapping[str, Any], arn: str, where: Where) -> r.TargetGroup:
    return r.TargetGroup(
        arn,
        arn,
        where.evidence(arn),
        port=integer(group.get("Port")),
        protocol=upper(group.get("Protocol")),
        target_type=text(group.get("TargetType")) or "instance",  # the AWS default
    )


def _attachments(
    health: Any, group: Mapping[str, Any], tg_arn: str, where: Where
) -> list[r.Record]:
    """Registered targets: instance ids, IP addresses, Lambda function ARNs (as
    unqualified function refs) or ALB ARNs, with the port they receive traffic on."""
    lambda_group = group.get("TargetType") == "lambda"
    out: list[r.Record] = []
    for desc in dicts(health):
        target = mapping(desc.get("Target"))
        if (target_id := text(target.get("Id"))) is None:
            continue
        port = integer(target.get("Port"))
        label = f"target:{target_id}" + (f":{port}" if port is not None else "")
        ref = sub_ref(tg_arn, label)
        out.append(
            r.TargetAttachment(
                ref,
                ref,
                where.evidence(tg_arn, detail=label),
                target_group=tg_arn,
                target=(function_arn(target_id) or target_id) if lambda_group else target_id,
                port=port,
            )
        )
    return out


# --- classic ELB ----------------------------------------------------------------------


def transform_elb(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    attributes = mapping(raw.get("attributes"))
    out: list[r.Record] = []
    for lb in dicts(raw.get("LoadBalancerDescriptions")):
        if name := text(lb.get("LoadBalancerName")):
            out.append(_classic(lb, name, attributes.get(name), where))
    return out


def _classic(
    lb: Mapping[str, Any], name: str, attributes: Any, where: Where
) -> ClassicLoadBalancer:
    arn = where.arn("elasticloadbalancing", f"loadbalancer/{name}")
    listeners = []
    for desc in dicts(lb.get("ListenerDescriptions")):
        ls = mapping(desc.get("Listener"))
        protocol, port = upper(ls.get("Protocol")), integer(ls.get("LoadBalancerPort"))
        listeners.append(
            ClassicListener(
                lb_port=port,
                lb_protocol=protocol,
                instance_port=integer(ls.get("InstancePort")),
                instance_protocol=upper(ls.get("InstanceProtocol")),
                evidence=where.evidence(arn, detail=f"listener {protocol}:{port}"),
            )
        )
    access_log = mapping(attributes).get("AccessLog")
    return ClassicLoadBalancer(
        arn,
        arn,
        where.evidence(arn),
        key=f"elb:loadbalancer:{name}",
        name=name,
        internal=_SCHEME_INTERNAL.get(str(lb.get("Scheme"))),
        subnets=texts(lb.get("Subnets")),
        security_groups=texts(lb.get("SecurityGroups")),
        listeners=tuple(listeners),
        instances=texts([i.get("InstanceId") for i in dicts(lb.get("Instances"))]),
        access_logging=flag(access_log.get("Enabled")) if isinstance(access_log, Mapping) else None,
    )
