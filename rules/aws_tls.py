"""TLS policy rules on AWS: internet listeners that still accept TLS 1.0 or 1.1."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Severity

# ELB policies name their minimum: ELBSecurityPolicy-TLS13-1-2-2021-06, -TLS-1-1-2017-01,
# -FS-1-2-Res-2020-10. The dated ones without it (2011-08 ... 2016-08, FS-2018-06) accept
# TLS 1.0. CloudFront names it too: TLSv1, TLSv1_2016, TLSv1.1_2016, TLSv1.2_2021.
_ELB_NAMED = re.compile(r"(?:TLS13|TLS|FS)-1-(\d)")
_ELB_DATED = re.compile(r"ELBSecurityPolicy-(?:FS-)?\d{4}-\d{2}")
_CLOUDFRONT = re.compile(r"TLSv1(?:\.(\d))?(?:_\d{4})?")
_DEFAULT = "ELBSecurityPolicy-2016-08"


def minimum_tls(policy: str) -> str | None:
    """The oldest protocol a named AWS TLS policy accepts ("1.0", ...), None if unknown."""
    if policy == "SSLv3":
        return "SSL 3.0"
    if policy.startswith("ELBSecurityPolicy-"):
        if (m := _ELB_NAMED.search(policy)) is not None:
            return f"1.{m[1]}"
        return "1.0" if _ELB_DATED.fullmatch(policy) else None
    if (m := _CLOUDFRONT.fullmatch(policy)) is not None:
        return f"1.{m[1] or 0}"
    return None  # a custom policy: its protocols are not in the model


class OutdatedTlsPolicyOnInternetListener(Rule):
    """An internet-facing TLS listener whose security policy still accepts TLS 1.0 or 1.1.

    Flags each HTTPS or TLS listener of a load balancer, and each CloudFront viewer
    policy, that the internet connects to when its predefined policy allows a protocol
    older than TLS 1.2: ELBSecurityPolicy-2016-08 and the other dated policies,
    -TLS-1-0-/-TLS-1-1-, -TLS13-1-0-/-TLS13-1-1-, -FS-1-1-, and CloudFront's TLSv1,
    TLSv1_2016 and TLSv1.1_2016. A listener created through the API without
    `ssl_policy` gets ELBSecurityPolicy-2016-08 (the AWS default, as of 2024), so an
    unset policy is judged as that one; a policy the files do not determine, and custom
    policies whose protocols are not in the model, are not flagged. A CloudFront
    distribution on its default *.cloudfront.net certificate is always at TLSv1.
    Internal listeners are not flagged.

    Why it matters: TLS 1.0 and 1.1 are deprecated (RFC 8996): they rely on weak
    constructions (CBC with SHA-1, no AEAD) and let a network attacker downgrade
    clients that could do better (CWE-326, CWE-327).

    Remediation: use ELBSecurityPolicy-TLS13-1-2-2021-06 (or a -TLS13-1-2- FIPS/PQ
    variant) on load balancer listeners, and TLSv1.2_2021 with a custom certificate on
    CloudFront.
    """

    meta = RuleMeta(
        id="TM-TLS-002",
        name="outdated-tls-policy-on-internet-listener",
        title="Internet-facing TLS listener accepts TLS 1.0 or 1.1",
        stride=("I", "T"),
        controls=("tls",),
        severity=Severity.MEDIUM,
        remediation=(
            'Set ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06" on the listener; on '
            'CloudFront, minimum_protocol_version = "TLSv1.2_2021" with an ACM certificate.'
        ),
        references=("CWE-326", "CWE-327", "OWASP ASVS 5.0 12.1.1", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        seen: set[tuple[str, str]] = set()
        for flow in graph.flows_from(INTERNET_ID, basis="called"):
            if flow.tls is not True:
                continue
            target = graph.element(flow.target)
            for part in target.parts:
                policy = part.fact("ssl_policy")
                if (
                    part.kind != "listener"
                    or part.fact("port") != flow.port
                    or part.fact("tls") is not True
                    or not isinstance(policy, str)
                    or (target.id, part.name) in seen
                ):
                    continue
                oldest = minimum_tls(policy)
                if oldest is None or oldest in ("1.2", "1.3"):
                    continue
                seen.add((target.id, part.name))
                note = " (what ELB applies when no ssl_policy is set)" if policy == _DEFAULT else ""
                yield Verdict(
                    element=target.id,
                    resource=part.resource,
                    message=(
                        f"{part.resource} ({part.name}) accepts TLS {oldest} from the internet: "
                        f"its security policy is {policy}{note}."
                    ),
                    evidence=part.evidence or target.evidence[:1],
                    flow=flow.id,
                    path=(INTERNET_ID, target.id),
                    part=part.name,
                )
