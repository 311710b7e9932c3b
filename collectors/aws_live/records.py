"""Records only the live collector produces (folded into the Inventory by the collector)."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.aws.record_base import Record


@dataclass(frozen=True)
class WafAssociation(Record):
    """A WAF web ACL protects `target` (the ref of a load balancer or API stage)."""

    target: str = ""
