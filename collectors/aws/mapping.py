"""AWS records to DFD: elements, trust boundaries and flows (shared by every AWS source)."""

from __future__ import annotations

import logging

from collectors.aws import records as r
from collectors.aws.core_elements import (
    database_elements,
    instance_elements,
    load_balancer_elements,
)
from collectors.aws.exposure import api_elements
from collectors.aws.flows import integration_flows, lb_target_flows, reference_flows
from collectors.aws.mapping_context import MappingContext
from collectors.aws.reachability import vpc_flows
from collectors.aws.s3 import bucket_elements
from collectors.aws.services import FAMILIES
from scanner.model import Diagnostic, Flow, Fragment

log = logging.getLogger(__name__)


def to_fragment(inv: r.Inventory, prefix: str, scope_name: str) -> Fragment:
    """Map one scope's records to a Fragment. Pure: records in, model objects out."""
    return _build(MappingContext(inv, prefix, scope_name))


def _build(ctx: MappingContext) -> Fragment:
    flows: list[Flow] = []
    flows.extend(load_balancer_elements(ctx))
    flows.extend(instance_elements(ctx))
    for fn in ctx.inv.functions:
        zone = ctx.zone(fn.subnets)[0] if fn.in_vpc else ctx.account
        ctx.add(fn, "function", "process", zone, evidence=(fn.evidence,))
    flows.extend(database_elements(ctx))
    for built in (bucket_elements, api_elements):
        for ref, el, found in built(ctx.inv, ctx.eid, ctx.account):
            ctx.elements[ref] = el
            flows.extend(found)
    diagnostics: list[Diagnostic] = []
    for family in FAMILIES:
        try:
            flows.extend(family.elements(ctx))
        except Exception as err:  # one family's bug must not lose the whole scope
            name = family.__name__.rsplit(".", 1)[-1]
            log.debug("family %s failed", name, exc_info=True)
            diagnostics.append(
                Diagnostic(
                    "error",
                    ctx.inv.scope,
                    f"AWS {name} resources could not be mapped ({type(err).__name__})",
                )
            )
    for derive in (integration_flows, lb_target_flows, reference_flows):
        flows.extend(derive(ctx.inv, ctx.elements))
    flows.extend(vpc_flows(ctx.inv, ctx.elements, ctx.sgs, flows, ctx.members, ctx.services))
    # The account zone carries the account's own facts (CloudTrail) even with no element.
    used: set[str] = {ctx.account} if ctx.boundaries[ctx.account].props else set()
    for e in ctx.elements.values():
        at: str | None = e.boundary
        while at is not None and at in ctx.boundaries and at not in used:
            used.add(at)
            at = ctx.boundaries[at].parent
    return Fragment(
        elements=tuple(ctx.elements.values()),
        flows=tuple(flows),
        # A scope with nothing in it (a root of module calls only) adds no zone.
        boundaries=tuple(b for b in ctx.boundaries.values() if b.id in used),
        diagnostics=tuple(diagnostics),
        grants=tuple(ctx.grants),
    )
