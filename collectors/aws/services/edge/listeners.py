"""Listener parts and `called` flows shared by classic ELBs and CloudFront."""

from __future__ import annotations

from scanner.model import Evidence, Fact, Flow, Part, facts

_TLS = ("HTTPS", "SSL")  # listener protocols that terminate TLS


def listener_part(
    resource: str, protocol: str | None, port: int | None, ev: Evidence, **kw: Fact | None
) -> Part:
    """A listener part: `PROTOCOL:port` with its transport facts."""
    return Part(
        kind="listener",
        name=f"{protocol or '?'}:{port if port is not None else '?'}",
        resource=resource,
        props=facts(protocol=protocol, port=port, tls=terminates_tls(protocol), **kw),
        evidence=(ev,),
    )


def terminates_tls(protocol: str | None) -> bool | None:
    return protocol.upper() in _TLS if protocol else None


def called_flow(
    source: str, target: str, protocol: str | None, port: int | None, why: str, *ev: Evidence
) -> Flow:
    """A `called` flow; TLS follows the protocol (HTTPS and SSL terminate TLS)."""
    return Flow(
        source,
        target,
        (protocol or "?").lower(),
        port,
        basis="called",
        derivation=f"declared: {why}",
        tls=terminates_tls(protocol),
        evidence=tuple(dict.fromkeys(ev)),
    )
