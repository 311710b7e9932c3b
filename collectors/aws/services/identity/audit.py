"""Audit facts on zones: CloudTrail on the account, VPC flow logs on their VPC."""

from __future__ import annotations

from collectors.aws.context import Context
from collectors.aws.services.identity.records import FlowLog, Trail
from scanner.model import any_of, facts


def note_audit(ctx: Context) -> None:
    """CloudTrail facts on the account zone; VPC flow logs on their VPC's zone."""
    trails = ctx.inv.of(Trail)
    logging = [None if t.conditional else t.logging for t in trails]  # may not exist
    on = [t for t, state in zip(trails, logging, strict=True) if state is True]
    audit = facts(
        audit_trail=any_of(logging) if trails else None,
        audit_multi_region=any_of(t.multi_region for t in on) if on else None,
        audit_global_events=any_of(t.global_events for t in on) if on else None,
        audit_log_validation=any_of(t.log_validation for t in on) if on else None,
    )
    for t in on or trails:
        ctx.note_zone(ctx.account, audit, t.evidence)
    by_vpc: dict[str, list[FlowLog]] = {}
    for fl in ctx.inv.of(FlowLog):
        if fl.unread and fl.vpc is not None:
            ctx.note_zone(ctx.eid(fl.vpc), facts(flow_logs_unread=True), fl.evidence)
        elif fl.vpc is not None and not fl.conditional:
            by_vpc.setdefault(fl.vpc, []).append(fl)
    for vpc, logs in sorted(by_vpc.items()):
        kinds = {fl.traffic_type for fl in logs}
        both = "ALL" in kinds or {"ACCEPT", "REJECT"} <= kinds
        traffic = "ALL" if both else next(iter(kinds)) if len(kinds) == 1 else None
        for fl in logs:
            ctx.note_zone(
                ctx.eid(vpc), facts(flow_logs=True, flow_log_traffic=traffic), fl.evidence
            )
