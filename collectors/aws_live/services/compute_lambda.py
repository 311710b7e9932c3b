"""Lambda functions, their function URLs and the grants of their resource policies.

Environment variable values are configuration the mapping searches for references to
datastores; they are read into records and never logged, printed or put in a message.
lambda:GetFunction is never called: it returns a pre-signed URL to the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws.record_base import Record
from collectors.aws.services.compute.records import FunctionUrl, LambdaPermission
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_fields import arn_refs, keyed, mappings, text, texts

# Condition keys that narrow a grant (Terraform: source_arn, source_account,
# principal_org_id, event_source_token), compared in lower case as IAM does; and
# lambda:InvokedViaFunctionUrl, which AWS adds to the InvokeFunction grant of a public
# function URL: it opens nothing beyond the URL, whose own record says how it is called.
_SCOPING = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:principalorgid",
        "lambda:eventsourcetoken",
        "lambda:invokedviafunctionurl",
    }
)


def read_functions(api: Api) -> dict[str, Any]:
    """Every function ($LATEST), and per function ARN its URL configs and its policy."""
    functions = api.items("ListFunctions", "Functions")
    named = {
        arn: name
        for fn in mappings(functions)
        if (arn := text(fn.get("FunctionArn"))) and (name := text(fn.get("FunctionName")))
    }

    def urls_and_policy(name: str) -> tuple[list[Any] | None, dict[str, Any] | None]:
        urls = api.items("ListFunctionUrlConfigs", "FunctionUrlConfigs", FunctionName=name)
        # No resource policy at all is ResourceNotFoundException: a fact ({}), not a gap.
        policy = api.call("GetPolicy", absent=("ResourceNotFoundException",), FunctionName=name)
        return urls, policy

    read = api.each_of(urls_and_policy, named.values())
    return {
        "Functions": functions,
        "FunctionUrlConfigs": {arn: read[name][0] for arn, name in named.items()},
        "Policies": {arn: read[name][1] for arn, name in named.items()},
    }


def functions(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """LambdaFunction, FunctionUrl and LambdaPermission records of one region."""
    urls, policies = keyed(raw.get("FunctionUrlConfigs")), keyed(raw.get("Policies"))
    out: list[Record] = []
    for fn in mappings(raw.get("Functions")):
        arn = text(fn.get("FunctionArn"))
        if arn is None:
            continue
        name = text(fn.get("FunctionName"))
        out.append(_function(fn, arn, name, where))
        out += _urls(urls.get(arn), arn, name, where)
        out += _permissions(keyed(policies.get(arn)).get("Policy"), arn, where)
    return out


def _function(fn: Mapping[str, Any], arn: str, name: str | None, where: Where) -> r.LambdaFunction:
    vpc = keyed(fn.get("VpcConfig"))  # functions outside a VPC: absent or empty lists
    subnets = texts(vpc.get("SubnetIds"))
    variables = keyed(keyed(fn.get("Environment")).get("Variables"))
    values = tuple(
        (k, v) for k, v in sorted(variables.items()) if isinstance(k, str) and isinstance(v, str)
    )
    return r.LambdaFunction(
        arn,
        arn,
        where.evidence(arn),
        key=f"lambda:function:{name}" if name else None,
        name=name,
        subnets=subnets,
        security_groups=texts(vpc.get("SecurityGroupIds")),
        in_vpc=bool(subnets or text(vpc.get("VpcId"))),
        env_refs=arn_refs(values, where),
        env_values=values,
        role=text(fn.get("Role")),
    )


def _urls(configs: object, arn: str, name: str | None, where: Where) -> list[Record]:
    """A function's URLs (its own and its aliases'): each is an HTTPS entry point."""
    out: list[Record] = []
    for cfg in mappings(configs):
        url = text(cfg.get("FunctionUrl"))
        target = text(cfg.get("FunctionArn")) or arn  # qualified for an alias's URL
        ref = url or f"{target}#url"
        auth = text(cfg.get("AuthType"))
        out.append(
            FunctionUrl(
                ref,
                ref,
                where.evidence(target, detail=f"function URL {url or '?'}"),
                key=f"lambda:function-url:{name}" if name else None,
                function=target,
                auth_type=auth.upper() if auth else None,
            )
        )
    return out


def _permissions(policy: object, arn: str, where: Where) -> list[Record]:
    """One LambdaPermission per Allow statement (per principal and action it names)."""
    try:
        doc = json.loads(policy) if isinstance(policy, str) else None
    except ValueError:
        return []  # unreadable document: no grant is claimed
    statements = keyed(doc).get("Statement")
    out: list[Record] = []
    for i, st in enumerate(
        mappings([statements] if isinstance(statements, Mapping) else statements)
    ):
        if st.get("Effect") != "Allow":
            continue
        conditions = _conditions(st.get("Condition"))
        auth = conditions.get("lambda:functionurlauthtype")
        pairs = [(p, a) for p in _principals(st.get("Principal")) for a in _actions(st)]
        sid = text(st.get("Sid")) or str(i)
        for j, (principal, action) in enumerate(pairs):
            ref = f"{arn}#policy/{sid}" + (f"/{j}" if len(pairs) > 1 else "")
            out.append(
                LambdaPermission(
                    ref,
                    ref,
                    where.evidence(arn, detail=f"resource policy statement {sid}"),
                    function=arn,
                    action=action,
                    principal=principal,
                    url_auth_type=auth.upper() if isinstance(auth, str) and auth else None,
                    scoped=any(k in conditions for k in _SCOPING),
                )
            )
    return out


def _conditions(condition: object) -> dict[str, object]:
    """Condition keys (lower case) -> value, whatever the operator."""
    out: dict[str, object] = {}
    for test in keyed(condition).values():
        for k, v in keyed(test).items():
            if isinstance(k, str):
                out[k.lower()] = v
    return out


def _principals(principal: object) -> list[str]:
    """Each principal a Principal names: "*", a service, an account or an ARN."""
    if isinstance(principal, str):
        return [principal]
    out: list[str] = []
    for value in keyed(principal).values():
        out += [value] if isinstance(value, str) else list(texts(value))
    return out


def _actions(st: Mapping[str, Any]) -> list[str]:
    action = st.get("Action")
    return [action] if isinstance(action, str) else list(texts(action))
