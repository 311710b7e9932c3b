"""Edge rules: what stands between the internet and an entry point."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Severity


class EntryPointWithoutWaf(Rule):
    """An internet-facing HTTP entry point that no web application firewall can protect.

    Flags load balancers, CDNs and gateways that receive HTTP(S) from the internet when
    the sources say that no WAF sits in front (`waf` is false: a classic ELB, which AWS
    WAF cannot attach to, or a CloudFront distribution without a web ACL). An entry point
    whose WAF association the sources do not show (an ALB whose web ACL may be attached
    by Firewall Manager or another repository) is unknown and not flagged. Layer-4 load
    balancers are not flagged: a WAF inspects HTTP.

    Why it matters: a WAF is where injection payloads, known exploit patterns, bad bots and
    floods are filtered before they reach code; without one every request reaches the
    application unfiltered (OWASP API4:2023 and API8:2023).

    Remediation: put the entry point behind AWS WAF (a web ACL with the managed core and
    known-bad-inputs rule groups and a rate-based rule), moving a classic ELB to an ALB or
    fronting it with CloudFront.
    """

    meta = RuleMeta(
        id="TM-WAF-001",
        name="entry-point-without-waf",
        title="Internet-facing entry point without a web application firewall",
        stride=("T", "D"),
        controls=("input-validation", "rate-limit"),
        severity=Severity.LOW,
        remediation=(
            "Attach an AWS WAF web ACL (managed core and known-bad-inputs rule groups and a "
            "rate-based rule); move a classic ELB to an ALB or put CloudFront in front."
        ),
        references=("CWE-20", "CWE-770", "OWASP ASVS 5.0 1.2.5", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for flow in graph.flows_from(INTERNET_ID, basis="called"):
            target = graph.element(flow.target)
            tech = technology(target.type)
            if not (tech.entry_point and tech.speaks_http) or target.fact("waf") is not False:
                continue
            yield Verdict(
                element=target.id,
                resource=target.resource,
                message=(
                    f"{target.resource} receives {flow.protocol.upper()} from the internet "
                    "and no web application firewall can filter it."
                ),
                evidence=tuple(e for e in (target.evidence_for("waf"),) if e is not None),
                flow=flow.id,
                path=(INTERNET_ID, target.id),
            )
