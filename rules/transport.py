"""Transport rules: plaintext where traffic crosses into the system."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Element, Severity

# The rule's default remediation speaks AWS (ACM, HTTP_301); Kubernetes entry points get
# theirs in Kubernetes terms.
_KUBERNETES_FIX = (
    "Terminate TLS at the entry point (spec.tls on the Ingress with a certificate, an "
    "HTTPS listener on the Gateway, or the load balancer's certificate annotation) and "
    "redirect HTTP to HTTPS (e.g. nginx.ingress.kubernetes.io/force-ssl-redirect, "
    "alb.ingress.kubernetes.io/ssl-redirect), or stop serving port 80."
)


def _kubernetes(element: Element) -> bool:
    return any(ev.source in ("kubernetes", "k8s-live") for ev in element.evidence[:1])


class PlaintextInternetListener(Rule):
    """An internet-facing listener or API stage that accepts plaintext HTTP.

    Flags each entry point (load balancer listener, API stage) that receives traffic
    from the internet over HTTP without TLS. A listener whose every action redirects to
    HTTPS is not flagged: clients are sent to TLS before any request is served.
    Internal load balancers are not flagged here (they are not reachable from the
    internet), and neither is a listener whose protocol the sources do not state.

    Why it matters: credentials, session cookies and personal data sent over plaintext
    HTTP can be read and altered by anyone on the network path (CWE-319).

    Remediation: serve HTTPS with a certificate and a modern TLS policy, and turn the
    HTTP listener into a redirect to HTTPS (or remove it).
    """

    meta = RuleMeta(
        id="TM-TLS-001",
        name="plaintext-internet-listener",
        title="Internet-facing listener accepts plaintext HTTP",
        stride=("I", "T"),
        controls=("tls",),
        severity=Severity.MEDIUM,
        remediation=(
            "Serve HTTPS with an ACM certificate and a TLS 1.2+ policy; make the HTTP "
            "listener redirect to HTTPS (HTTP_301) or remove it."
        ),
        references=("CWE-319", "OWASP ASVS 5.0 12.2.1", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for flow in graph.flows_from(INTERNET_ID, basis="called"):
            if flow.tls is not False or flow.protocol != "http":
                continue
            target = graph.element(flow.target)
            parts = [
                p
                for p in target.parts
                if p.kind in ("listener", "stage") and p.fact("port") == flow.port
            ]
            if any(ev.source == "openapi" for ev in flow.evidence):
                continue  # declared by an API description's server: TM-API-004 judges it
            if any(p.fact("redirects_to_https") is not False for p in parts):
                continue  # redirects (or not known not to): no plaintext is served
            part = parts[0] if parts else None
            resource = part.resource if part else target.resource
            port = "" if flow.port is None else f" on port {flow.port}"
            yield Verdict(
                element=target.id,
                resource=resource,
                message=(
                    f"{resource} accepts plaintext HTTP from the internet{port} and does not "
                    "redirect to HTTPS."
                ),
                evidence=part.evidence if part else flow.evidence,
                flow=flow.id,
                path=(INTERNET_ID, target.id),
                part=part.name if part else None,
                remediation=_KUBERNETES_FIX if _kubernetes(target) else None,
            )
