"""Service-mesh rules: policies that switch mutual TLS off or carve holes in STRICT."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from rules.engine import Rule, RuleMeta, Verdict
from rules.k8s_scope import k8s_workloads
from scanner.graph import DFDGraph
from scanner.model import Confidence, Element, Evidence, Severity


def _ports(text: str) -> set[int]:
    """`9090,4000-4010` as port numbers."""
    out: set[int] = set()
    for item in text.split(","):
        low, _, high = item.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            out.update(range(int(low), int(high or low) + 1))
    return out


class MtlsWeakenedByPolicy(Rule):
    """A mesh policy that turns mutual TLS off, or carves a hole in a STRICT policy.

    Flags the object to change, once per namespace, listing the workloads it weakens: a
    PeerAuthentication whose mode for a workload is DISABLE (mesh-wide, namespace or
    workload policy: the sidecar accepts only plaintext); a workload PeerAuthentication
    that sets PERMISSIVE where the namespace or mesh policy says STRICT; a
    `portLevelMtls` entry that sets DISABLE, or PERMISSIVE under a STRICT workload; a
    DestinationRule with TLS mode DISABLE toward a meshed workload's Service (its
    clients send plaintext); and, on the workload, the pod annotations
    `traffic.sidecar.istio.io/excludeInboundPorts` or
    `config.linkerd.io/skip-inbound-ports` (those ports bypass the proxy). Not flagged:
    a namespace that merely stays PERMISSIVE or has no PeerAuthentication (Istio's
    default), where TM-MTLS-001 reports the flows left unprotected; this rule names the
    policy that deliberately weakens them, whether or not the scanned files show a flow
    through it. Unmeshed workloads are not flagged; when it is unknown whether a
    workload gets a sidecar (its Namespace is not in the files), the finding is
    unconfirmed. A port exception is low when no known flow uses the port (these
    usually serve metrics or health checks), otherwise medium.

    Why it matters: the exception accepts plaintext from any pod, so traffic on it can
    be read, altered or spoofed, and identity-based authorization no longer applies to
    it (CWE-319, CWE-287).

    Remediation: remove the DISABLE or PERMISSIVE override (or the excluded port) so
    the STRICT policy applies; mesh the remaining plaintext clients first.
    """

    meta = RuleMeta(
        id="TM-K8S-006",
        name="mtls-weakened-by-policy",
        title="Mesh policy switches mTLS off or overrides STRICT",
        stride=("S", "T", "I"),
        controls=("mtls",),
        severity=Severity.MEDIUM,
        remediation=(
            "Remove the DISABLE/PERMISSIVE override or excluded port so STRICT applies; "
            "set DestinationRule TLS mode to ISTIO_MUTUAL."
        ),
        references=("CWE-319", "CWE-287", "OWASP ASVS 5.0 12.3.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        groups: dict[tuple[str, str], list[tuple[Element, str, Evidence, Severity]]]
        groups = defaultdict(list)
        for w in k8s_workloads(graph):
            if w.fact("meshed") is False:
                continue
            for ev, what, severity in _weakenings(graph, w):
                resource = ev.address or w.resource
                groups[(resource, w.boundary or w.id)].append((w, what, ev, severity))
        for (resource, zone), found in sorted(groups.items()):
            sure = any(w.fact("meshed") is True for w, _, _, _ in found)
            listed = "; ".join(
                what if w.resource == resource else f"{w.resource} ({what})"
                for w, what, _, _ in found
            )
            zones = {b.id: b.name for b in graph.boundaries}
            name = zones.get(zone, "the cluster")
            message = f"{resource} weakens mTLS in {name}: {listed}."
            if not sure:
                message += (
                    " Unconfirmed: whether these pods get a sidecar is not known (their "
                    "Namespace is not among the scanned manifests)."
                )
            yield Verdict(
                element=zone,
                resource=resource,
                message=message,
                evidence=tuple(dict.fromkeys(ev for _, _, ev, _ in found)),
                severity=max(s for _, _, _, s in found),
                confidence=Confidence.HIGH if sure else Confidence.LOW,
            )


def _weakenings(graph: DFDGraph, w: Element) -> Iterator[tuple[Evidence, str, Severity]]:
    """(evidence naming the object, what it does, severity) for each weakening of w."""
    mode, inherited = w.fact("mtls_mode"), w.fact("mtls_mode_inherited")
    here = w.evidence_for("mtls_mode")
    if mode == "DISABLE" and here is not None:
        yield here, "mTLS mode DISABLE (plaintext only)", Severity.MEDIUM
    elif mode == "PERMISSIVE" and inherited == "STRICT" and here is not None:
        yield here, "PERMISSIVE overrides STRICT", Severity.MEDIUM
    used = {f.port for f in graph.flows_into(w.id, basis="called") if f.port is not None}
    for item in str(w.fact("mtls_port_modes") or "").split(","):
        port, _, port_mode = item.partition(":")
        if port_mode == "DISABLE" or (port_mode == "PERMISSIVE" and mode == "STRICT"):
            severity = Severity.MEDIUM if int(port) in used else Severity.LOW
            ev = w.evidence_for("mtls_port_modes")
            if ev is not None:
                yield ev, f"port {port} set to {port_mode}", severity
    for ev in w.evidence:
        if ev.fact == "mtls_disabled_by":
            yield ev, "TLS mode DISABLE: its clients send plaintext", Severity.MEDIUM
    bypass = w.fact("mesh_bypass_ports")
    ev = w.evidence_for("mesh_bypass_ports")
    if isinstance(bypass, str) and ev is not None:
        severity = Severity.MEDIUM if _ports(bypass) & used else Severity.LOW
        yield ev, f"inbound ports {bypass} bypass the sidecar", severity
