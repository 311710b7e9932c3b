"""Calls to one AWS service in one account and region: pagination, errors, counting.

A failed call never raises out of here: it becomes a diagnostic naming the account,
region and operation, and the caller gets None (unknown) to carry on with. Errors that
mean "not configured" (no bucket policy, no public access block) are listed by the
caller and come back as an empty response, which is a fact, not a gap.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from collectors.aws_live.readonly import ReadOnlyViolation
from scanner.model import Diagnostic, Evidence

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "ForbiddenException",
    }
)
NOT_ENABLED = frozenset(
    {"OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
UNSUPPORTED = frozenset(
    {"UnsupportedOperation", "InvalidAction", "UnknownOperationException", "NotImplemented"}
)


@dataclass(frozen=True)
class Where:
    """One account and region (region "" for account-wide reads of global services)."""

    account: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """The ARN of a resource whose API response carries none (EC2 ids, say)."""
        at = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{at}:{self.account}:{resource}"

    def evidence(self, arn: str, region: str | None = None, detail: str | None = None) -> Evidence:
        """Where a live fact was read: the resource's ARN in this account and region."""
        return Evidence(
            source="aws",
            address=arn,
            uri=arn,
            account=self.account,
            region=(self.region if region is None else region) or None,
            detail=detail,
        )


@dataclass
class Ledger:
    """What one scan called and what failed, shared by every Api (thread-safe); and the
    scan's bound on calls in flight, which every call of every Api takes a slot of."""

    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation" -> count
    failures: list[tuple[Where, str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    width: int = 8  # calls in flight at once, across every account, region and service
    # (account, region, client) of service modules that failed outright (a bug).
    broken: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(max(1, self.width))

    def count(self, model: Any = None, **_: Any) -> None:
        """The `before-call` handler: one per request of an operation (each page)."""
        if model is None:
            return
        with self.lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def attend(self, botocore_session: Any) -> None:
        """Count every call made through a botocore session."""
        botocore_session.unregister("before-call", unique_id="tmscan-ledger")
        botocore_session.register("before-call", self.count, unique_id="tmscan-ledger")

    def fail(self, where: Where, service: str, operation: str, reason: str) -> None:
        with self.lock:
            self.failures.append((where, service, operation, reason))

    def total(self) -> int:
        return sum(self.calls.values())

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for where, service, operation, reason in self.failures:
            region = where.region or "global"
            out.append(
                Diagnostic(
                    "warning",
                    f"aws {where.account}/{region} {service}:{operation}",
                    reason,
                )
            )
        return out


def jsonable(value: Any) -> Any:
    """A response as plain JSON values (datetimes as ISO text, bytes dropped), so raw
    responses can be recorded and replayed into the pure transforms."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return None
    if hasattr(value, "read"):  # a streaming body: never part of configuration
        return None
    raise TypeError(type(value).__name__)


class Api:
    """One boto3 client bound to an account and region, with the scan's ledger."""

    def __init__(self, client: Any, where: Where, ledger: Ledger) -> None:
        self.client = client
        self.where = where
        self.ledger = ledger
        self.service = str(client.meta.service_model.service_name)

    def call(
        self, operation: str, absent: Iterable[str] = (), **params: Any
    ) -> dict[str, Any] | None:
        """One response (all pages merged when the operation paginates), as plain JSON.

        An error code in `absent` means "nothing configured": the result is {}. Any
        other failure is recorded and the result is None (unknown)."""
        method = _snake(operation)
        try:
            with self.ledger.slots:
                result = self._send(method, params)
        except ReadOnlyViolation:
            raise
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in set(absent):
                return {}
            self._fail(operation, _reason(code, err))
            return None
        except EndpointConnectionError:
            self._fail(operation, "the service has no endpoint in this region")
            return None
        except BotoCoreError as err:
            self._fail(operation, f"{type(err).__name__}: {err}")
            return None
        out = jsonable(result)
        out.pop("ResponseMetadata", None)
        return dict(out)

    def _send(self, method: str, params: dict[str, Any]) -> Any:
        if self.client.can_paginate(method):
            return self.client.get_paginator(method).paginate(**params).build_full_result()
        return getattr(self.client, method)(**params)

    def each(self, read: Callable[[T], U], items: Iterable[T]) -> list[U]:
        """`read` of every item (per-resource calls: a bucket's settings, a function's
        policy), run side by side within the scan's bound on calls in flight; results
        in the items' order."""
        todo = list(items)
        if len(todo) < 2 or self.ledger.width < 2:
            return [read(x) for x in todo]
        # Threads wait on the scan's slots; a few per module keep them all busy without
        # a thread per resource.
        with ThreadPoolExecutor(max_workers=min(self.ledger.width, len(todo), 8)) as pool:
            return list(pool.map(read, todo))

    def each_of(self, read: Callable[[T], U], keys: Iterable[T]) -> dict[T, U]:
        """`each`, keyed by the items (names, ARNs, URLs)."""
        todo = list(keys)
        return dict(zip(todo, self.each(read, todo), strict=True))

    def items(
        self, operation: str, key: str, absent: Iterable[str] = (), **params: Any
    ) -> list[Any] | None:
        """The list under `key` of a (paginated) response; None when the call failed."""
        response = self.call(operation, absent=absent, **params)
        if response is None:
            return None
        value = response.get(key)
        return list(value) if isinstance(value, list) else []

    def _fail(self, operation: str, reason: str) -> None:
        log.debug("%s %s:%s failed: %s", self.where, self.service, operation, reason)
        self.ledger.fail(self.where, self.service, operation, reason)


def _reason(code: str, err: ClientError) -> str:
    message = str(err.response.get("Error", {}).get("Message", "")).strip()
    # The first line, capped: some endpoints answer errors with an HTML page.
    message = message.splitlines()[0][:200] if message and not message.startswith("<") else ""
    if code in DENIED:
        what = "access denied"
    elif code in NOT_ENABLED:
        what = "the region is not enabled for this account, or the credentials are not valid there"
    elif code in THROTTLED:
        what = "throttled, still after adaptive retries"
    elif code in UNSUPPORTED:
        what = "not supported here"
    else:
        what = "failed"
    return f"{what} ({code}: {message})" if message else f"{what} ({code})"


def _snake(operation: str) -> str:
    return str(xform_name(operation))


def first(values: Mapping[str, Any] | None, *keys: str) -> Any:
    """Follow `keys` into nested dicts; None where any step is missing."""
    cur: Any = values
    for k in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(k)
    return cur
