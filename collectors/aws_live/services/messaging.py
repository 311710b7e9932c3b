"""Messaging and secrets of one region: SQS, SNS, Secrets Manager and KMS.

Each service is read and transformed by a sibling module (messaging_queues, _keys);
this one only routes the raw responses, keyed by client name, to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services import messaging_keys as keys
from collectors.aws_live.services import messaging_queues as queues
from collectors.aws_live.services.storage_json import section

CLIENTS: tuple[str, ...] = ("sqs", "sns", "secretsmanager", "kms")
GLOBAL: bool = False

_READ: dict[str, Callable[[Api], dict[str, Any]]] = {
    "sqs": queues.read_sqs,
    "sns": queues.read_sns,
    "secretsmanager": keys.read_secrets,
    "kms": keys.read_keys,
}
_TRANSFORM: dict[str, Callable[[Mapping[str, Any], Where], list[Record]]] = {
    "sqs": queues.sqs_records,
    "sns": queues.sns_records,
    "secretsmanager": keys.secret_records,
    "kms": keys.key_records,
}


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """Every service's responses under its client name."""
    return {client: _READ[client](apis[client]) for client in CLIENTS}


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """Each service's records; a service missing from `raw` adds none."""
    out: list[Record] = []
    for client in CLIENTS:
        part = section(raw, client)
        if client == "secretsmanager":
            # Whose key a secret names by id or ARN, the region's KMS listing tells.
            part = {**part, "kms": section(raw, "kms")}
        out += _TRANSFORM[client](part, where)
    return out
