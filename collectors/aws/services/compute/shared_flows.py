"""Flows the compute services share: internet entries, load balancer forwards, references."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.flows import datastore_call
from scanner.model import INTERNET_ID, Basis, Element, Evidence, Flow

Forwards = dict[str, list[tuple[Element, r.Record]]]  # target group -> (LB, listener/rule)


def entry(el: Element, why: str, authn: str | None, evidence: Iterable[Evidence]) -> Flow:
    """An HTTPS entry point the internet calls (function URL, cluster endpoint)."""
    return internet(el, "https", 443, "called", why, tuple(evidence), tls=True, authn=authn)


def internet(
    el: Element,
    protocol: str,
    port: int | None,
    basis: Basis,
    why: str,
    evidence: tuple[Evidence, ...],
    tls: bool | None = None,
    authn: str | None = None,
) -> Flow:
    return Flow(
        INTERNET_ID, el.id, protocol, port, basis, why, tls=tls, authn=authn, evidence=evidence
    )


def rule_protocol(rule: r.SecurityGroupRule) -> str:
    return "tcp" if rule.protocol in ("-1", "?") else rule.protocol


def forwarders(ctx: Context) -> Forwards:
    """Target group ref -> the load balancers (and listener or rule) forwarding to it."""
    by_listener = {ls.ref: ls for ls in ctx.inv.listeners}
    routes: list[tuple[str | None, r.Record, tuple[r.Action, ...]]] = [
        (ls.load_balancer, ls, ls.actions) for ls in ctx.inv.listeners
    ]
    for rule in ctx.inv.listener_rules:
        parent = by_listener.get(rule.listener or "")
        routes.append((parent.load_balancer if parent else None, rule, rule.actions))
    out: Forwards = defaultdict(list)
    for lb_ref, via, actions in routes:
        if (lb := ctx.element(lb_ref or "")) is not None:
            for tg in (t for a in actions for t in a.target_groups):
                out[tg].append((lb, via))
    return out


def lb_flows(
    ctx: Context,
    forwards: Forwards,
    target: Element,
    tgs: Iterable[tuple[str, int | None, Evidence]],
) -> list[Flow]:
    """`called` flows from load balancers to a target registered in target groups."""
    groups = {tg.ref: tg for tg in ctx.inv.target_groups}
    out = []
    for tg_ref, port, ev in tgs:
        if (tg := groups.get(tg_ref)) is None:
            continue
        protocol = (tg.protocol or "tcp").lower()
        for lb, via in forwards.get(tg_ref, ()):
            out.append(
                Flow(
                    lb.id,
                    target.id,
                    protocol,
                    port or tg.port,
                    basis="called",
                    derivation=f"declared: {via.address} forwards to {tg.address}",
                    tls=protocol in ("https", "tls") if tg.protocol else None,
                    evidence=(ev, tg.evidence, via.evidence),
                )
            )
    return out


def reference_flows(
    ctx: Context, src: Element, refs: Iterable[tuple[str, str, Evidence]]
) -> list[Flow]:
    """`called` flows to the datastores that env vars or user data name."""
    out = []
    for target_ref, why, ev in refs:
        dst = ctx.element(target_ref)
        if dst is not None and dst.kind == "datastore":
            out.append(datastore_call(src, dst, why, ev))
    return out
