"""The resource policy record every messaging store shares (queue, topic, secret, key).

A policy has no ARN of its own: like an inline `policy` in Terraform, its record has
the ref and address of the resource it is attached to, and targets it.
"""

from __future__ import annotations

from typing import Any

from collectors.aws.services.datastores_regional import ResourcePolicy
from collectors.aws_live.api import Where
from collectors.aws_live.services.storage_json import policy_text_is_public


def resource_policy(
    target: str, service: str, document: Any, where: Where, detail: str
) -> ResourcePolicy:
    """The policy on `target`, from its JSON text; None (a read that failed) makes it
    unknown - a store is never taken to be private because its policy went unread."""
    return ResourcePolicy(
        target,
        target,
        where.evidence(target, detail=detail),
        target=target,
        service=service,
        public=policy_text_is_public(document),
    )
