"""What the edge modules share: tolerant reading of JSON responses, API Gateway ARNs,
throttle semantics and the resources an integration URI names.

The transforms must be total: every accessor here turns a missing or mis-typed value
into None (or an empty collection) instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from collectors.aws_live.api import Api, Where

# `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function arn}/invocations`
_INVOKE = re.compile(r":lambda:path/[^/]+/functions/(?P<fn>.+?)/invocations$")
# A Lambda function ARN, possibly qualified by a version or alias (dropped: refs are
# unqualified function ARNs).
_FUNCTION = re.compile(r"^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:/]+)(?::[^:/]+)?$")
# AWS service integrations that name their resource in the path (S3 objects, SQS queues).
_SERVICE_PATH = re.compile(
    r"^arn:(?P<p>[^:]+):apigateway:(?P<region>[^:]+):(?P<svc>s3|sqs):path/(?P<path>.+)$"
)


# --- tolerant accessors ---------------------------------------------------------------


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def upper(value: Any) -> str | None:
    found = text(value)
    return found.upper() if found else None


def integer(value: Any) -> int | None:
    """An integer (ports); booleans and other types are None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def flag(value: Any) -> bool | None:
    """A boolean, also as the "true"/"false" strings ELB attributes use."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def dicts(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (anything else in it is skipped)."""
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def texts(value: Any) -> tuple[str, ...]:
    """The strings of a JSON list, in order, without repeats."""
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(x for x in value if isinstance(x, str) and x))


def sub_ref(parent: str, label: str) -> str:
    """The ref of something AWS gives no ARN of (a target registration, the method
    settings of a stage): its parent's ARN and what it is, after a `#`."""
    return f"{parent}#{label}"


# --- reading --------------------------------------------------------------------------


def paged(api: Api, operation: str, key: str, token: str, **params: Any) -> list[Any] | None:
    """All items of an operation boto3 has no paginator for, following `token` (the
    request parameter and response field share the name); None if any page failed."""
    out: list[Any] = []
    marker: str | None = None
    seen: set[str] = set()
    while True:
        response = api.call(operation, **params, **({token: marker} if marker else {}))
        if response is None:
            return None
        items = response.get(key)
        items = items if isinstance(items, list) else []
        out.extend(items)
        marker = text(response.get(token))
        # WAFv2 is known to hand out a marker with its last page: an empty page or a
        # marker seen before ends the listing rather than looping.
        if marker is None or not items or marker in seen:
            return out
        seen.add(marker)


# --- API Gateway ----------------------------------------------------------------------


def gateway_arn(where: Where, path: str) -> str:
    """An API Gateway resource ARN as AWS documents it (no account field):
    `arn:aws:apigateway:{region}::/restapis/{id}/stages/{name}` and the like."""
    return f"arn:{where.partition}:apigateway:{where.region}::{path}"


def throttles(settings: Any, key: str) -> bool | None:
    """Does a throttle setting limit the rate? As the Terraform builder reads it: a rate
    limit of 0 or more does, -1 (API Gateway's "unset") or no limit does not; a value
    that is not a number is unknown."""
    found = mapping(settings)
    if key not in found:
        return False
    rate = number(found[key])
    return None if rate is None else rate >= 0


def function_arn(uri: Any) -> str | None:
    """The unqualified ARN of the Lambda function an integration or authorizer URI
    invokes (wrapped in an API Gateway invocation URI or given directly)."""
    if not isinstance(uri, str):
        return None
    invoke = _INVOKE.search(uri)
    found = _FUNCTION.match(invoke["fn"] if invoke else uri)
    if found is None or "${" in found[1]:
        return None  # not a function, or one chosen by a stage variable
    return found[1]


def _service_resource(uri: str) -> str | None:
    """The ARN of the queue or bucket an AWS service integration's path names."""
    m = _SERVICE_PATH.match(uri)
    if m is None:
        return None
    head, _, rest = m["path"].partition("/")
    queue = rest.split("/", 1)[0]
    named = (head,) if m["svc"] == "s3" else (head, queue)
    if not all(named) or any("{" in x for x in named):
        return None  # a path parameter picks the bucket or queue per request
    if m["svc"] == "s3":
        return f"arn:{m['p']}:s3:::{head}"
    return f"arn:{m['p']}:sqs:{m['region']}:{head}:{queue}"


def integration_target(uri: Any) -> tuple[str | None, str | None]:
    """(ref of what an integration calls, literal URI when it names no record).

    A Lambda function (its unqualified ARN), the bucket or queue an S3/SQS service
    integration names, or the resource a private integration's ARN names (a load
    balancer listener, a Cloud Map service); else the URI itself (an HTTP endpoint)."""
    found = text(uri)
    if found is None:
        return None, None
    if fn := function_arn(found):
        return fn, None
    if resource := _service_resource(found):
        return resource, None
    parts = found.split(":")
    if len(parts) > 5 and parts[0] == "arn" and parts[2] != "apigateway":
        return found, None
    return None, found
