"""`called` flows between AWS elements: integrations, listener targets, named datastores."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws import records as r
from scanner.model import Element, Evidence, Flow

DB_PROTOCOL = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def integration_flows(inv: r.Inventory, elements: dict[str, Element]) -> list[Flow]:
    """`called` flows from API Gateway integrations to the functions they invoke."""
    out: list[Flow] = []
    for integ in inv.api_integrations:
        api = elements.get(integ.api or "")
        target = elements.get(integ.target or "")
        if api is None or target is None:
            continue
        out.append(
            Flow(
                api.id,
                target.id,
                "https",
                443,
                basis="called",
                derivation=f"declared: integration {integ.address}",
                tls=True,
                evidence=(integ.evidence,),
            )
        )
    return out


def lb_target_flows(inv: r.Inventory, elements: dict[str, Element]) -> list[Flow]:
    """`called` flows from load balancers to the targets their listeners forward to."""
    out: list[Flow] = []
    groups = {tg.ref: tg for tg in inv.target_groups}
    attachments: dict[str, list[r.TargetAttachment]] = defaultdict(list)
    for att in inv.target_attachments:
        if att.target_group:
            attachments[att.target_group].append(att)
    routes: list[tuple[str | None, r.Record, tuple[r.Action, ...]]] = [
        (ls.load_balancer, ls, ls.actions) for ls in inv.listeners
    ]
    by_listener = {ls.ref: ls for ls in inv.listeners}
    for rule in inv.listener_rules:
        parent = by_listener.get(rule.listener or "")
        routes.append((parent.load_balancer if parent else None, rule, rule.actions))
    for lb_ref, via, actions in routes:
        lb = elements.get(lb_ref or "")
        if lb is None:
            continue
        for action in actions:
            for tg_ref in action.target_groups:
                tg = groups.get(tg_ref)
                for att in attachments.get(tg_ref, ()):
                    target = elements.get(att.target or "")
                    if target is None or tg is None:
                        continue
                    protocol = (tg.protocol or "tcp").lower()
                    out.append(
                        Flow(
                            lb.id,
                            target.id,
                            protocol,
                            att.port or tg.port,
                            basis="called",
                            derivation=f"declared: {via.address} forwards to {tg.address}",
                            tls=protocol in ("https", "tls") if tg.protocol else None,
                            evidence=(att.evidence, tg.evidence, via.evidence),
                        )
                    )
    return out


def reference_flows(inv: r.Inventory, elements: dict[str, Element]) -> list[Flow]:
    """`called` flows where a function's env or an instance's user data names a datastore."""
    out: list[Flow] = []
    calls: list[tuple[r.Record, str, str]] = []
    for fn in inv.functions:
        calls += [(fn, target, f"env {name} of {fn.address}") for name, target in fn.env_refs]
    for inst in inv.instances:
        calls += [(inst, target, f"user data of {inst.address}") for target in inst.calls]
    # A literal that is a datastore's name or endpoint (plans resolve references to names).
    by_name = {
        e.name: ref for ref, e in sorted(elements.items()) if e.kind == "datastore" and e.name
    }
    for fn in inv.functions:
        named = {name for name, _ in fn.env_refs}
        for name, text in fn.env_values:
            ref = by_name.get(text) or by_name.get(text.split(".", 1)[0])
            if ref is not None and name not in named:
                calls.append((fn, ref, f"env {name} of {fn.address} (by name)"))
    for src_rec, target_ref, why in calls:
        src = elements.get(src_rec.ref)
        dst = elements.get(target_ref)
        if src is not None and dst is not None and dst.kind == "datastore":
            out.append(datastore_call(src, dst, why, src_rec.evidence))
    return out


def datastore_call(src: Element, dst: Element, why: str, evidence: Evidence) -> Flow:
    """The `called` flow from a workload to a datastore its configuration names."""
    protocol, port = service_port(dst)
    return Flow(
        src.id,
        dst.id,
        protocol,
        port,
        basis="called",
        derivation=f"inferred: {why} references {dst.resource}",
        tls=True if protocol == "https" else _tls_only(dst),
        evidence=(evidence,),
    )


def _tls_only(el: Element) -> bool | None:
    """A datastore that requires TLS makes client connections TLS; one that has no TLS
    makes them plaintext; otherwise the client decides (unknown)."""
    tls = el.fact("tls")
    return tls if isinstance(tls, bool) else None


def service_port(el: Element) -> tuple[str, int | None]:
    """How a client reaches a datastore: its stated protocol/port, else by engine."""
    stated = el.fact("protocol")
    if isinstance(stated, str):
        port = el.fact("port")
        return stated, port if isinstance(port, int) else None
    if el.type == "object-store":
        return "https", 443
    port = el.fact("port")
    engine = str(el.fact("engine") or "").lower()
    return DB_PROTOCOL.get(engine, "tcp"), port if isinstance(port, int) else None
