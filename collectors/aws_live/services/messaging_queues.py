"""SQS queues and SNS topics with their policies, and SNS subscriptions.

Records as collectors/terraform/services/datastores_regional.py builds them. A queue is
referred to by its ARN (never its URL); a subscription's endpoint is the queue or
function ARN AWS states, which the shared mapping resolves to that element.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from collectors.aws.records import Record
from collectors.aws.services.datastores_regional import SnsTopic, SqsQueue, Subscription
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.messaging_policy import resource_policy
from collectors.aws_live.services.storage_json import (
    asset_key,
    mappings,
    section,
    strings,
    text,
)

# --- SQS ----------------------------------------------------------------------------------


def read_sqs(api: Api) -> dict[str, Any]:
    # Without MaxResults, ListQueues answers with the first 1,000 queues and no token.
    urls = api.items("ListQueues", "QueueUrls", MaxResults=1000)
    return {
        "QueueUrls": urls,
        "attributes": api.each_of(
            lambda url: api.call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]),
            strings(urls),
        ),
    }


def sqs_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    responses = section(raw, "attributes")
    out: list[Record] = []
    for url in strings(raw.get("QueueUrls")):
        out += _queue(url, first(responses.get(url), "Attributes"), where)
    return out


def _queue(url: str, attrs: Any, where: Where) -> list[Record]:
    """A queue from its attributes (None: they could not be read, every fact unknown)."""
    known = isinstance(attrs, Mapping)
    ref = text(first(attrs, "QueueArn")) or _queue_arn(url, where)
    name = ref.rsplit(":", 1)[-1]
    kms = text(first(attrs, "KmsMasterKeyId")) is not None
    sse = first(attrs, "SqsManagedSseEnabled")
    sqs_sse = {"true": True, "false": False}.get(sse) if isinstance(sse, str) else None
    queue = SqsQueue(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("sqs", "queue", name),
        name=name,
        # SSE-KMS when a key is named, else SSE-SQS as AWS states it.
        encrypted=True if kms else sqs_sse,
        kms_managed=kms if known else None,
    )
    policy = first(attrs, "Policy")
    if known and policy is None:
        return [queue]  # no policy: only the owning account has access
    return [queue, resource_policy(ref, "sqs", policy, where, "queue policy")]


def _queue_arn(url: str, where: Where) -> str:
    """The ARN AWS documents for a queue URL (https://sqs.REGION.../ACCOUNT/NAME)."""
    parts = urlparse(url).path.strip("/").split("/")
    account, name = (parts[0], parts[-1]) if len(parts) >= 2 else (where.account, parts[-1])
    return f"arn:{where.partition}:sqs:{where.region}:{account}:{name}"


# --- SNS ----------------------------------------------------------------------------------


def read_sns(api: Api) -> dict[str, Any]:
    topics = api.items("ListTopics", "Topics")
    return {
        "Topics": topics,
        "attributes": api.each_of(
            lambda arn: api.call("GetTopicAttributes", TopicArn=arn), strings(topics, "TopicArn")
        ),
        "Subscriptions": api.items("ListSubscriptions", "Subscriptions"),
    }


def sns_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    responses = section(raw, "attributes")
    out: list[Record] = []
    for arn in strings(raw.get("Topics"), "TopicArn"):
        out += _topic(arn, first(responses.get(arn), "Attributes"), where)
    out += [sub for s in mappings(raw.get("Subscriptions")) if (sub := _subscription(s, where))]
    return out


def _topic(arn: str, attrs: Any, where: Where) -> list[Record]:
    known = isinstance(attrs, Mapping)
    name = arn.rsplit(":", 1)[-1]
    topic = SnsTopic(
        arn,
        arn,
        where.evidence(arn),
        key=asset_key("sns", "topic", name),
        name=name,
        # Server-side encryption is on only with a KMS key.
        encrypted=text(first(attrs, "KmsMasterKeyId")) is not None if known else None,
    )
    policy = first(attrs, "Policy")
    if known and policy is None:
        return [topic]
    return [topic, resource_policy(arn, "sns", policy, where, "topic policy")]


def _subscription(s: Mapping[str, Any], where: Where) -> Subscription | None:
    """A confirmed subscription; one pending confirmation (or deleted) has no ARN and
    delivers nothing."""
    ref = text(s.get("SubscriptionArn"))
    if ref is None or not ref.startswith("arn:"):
        return None
    protocol = text(s.get("Protocol"))
    return Subscription(
        ref,
        ref,
        where.evidence(ref),
        topic=text(s.get("TopicArn")),
        protocol=protocol.lower() if protocol else None,
        endpoint=text(s.get("Endpoint")),
    )
