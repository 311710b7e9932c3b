"""Drift: the live account differs from its code on a security fact."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import Severity

# Live values that weaken what the code states: reported high.
_WEAKER = {
    "internet_reachable": "reachable",
    "publicly_accessible": "True",
    "public": "True",
    "public_ip": "True",
    "internal": "False",
    "encryption_at_rest": "False",
    "imds_v2_required": "False",
    "iam_admin": "True",
    "endpoint_public_access": "True",
}


class LiveDriftFromCode(Rule):
    """A live resource whose security configuration is not what its code says.

    Applies when a scan reads both the Terraform and the live account (`tmscan scan
    PATH --aws`) and pairs a live resource with its definition (scanner/twins.py): each
    security fact both state and disagree on (public access, encryption, instance
    metadata, logging, authentication, throttling) is one finding, and so is a path from
    the internet that only the live account has (a security group opened by hand).
    High when the live value is the weaker one, medium otherwise; facts only one source
    states are not drift. The finding points at the code (what CI annotates) and carries
    the live resource's ARN as evidence.

    Why it matters: a change made outside the code was never reviewed, is undone (or
    kept) at the next apply without anyone deciding, and the threat model of the code is
    no longer the threat model of the system (CWE-1188).

    Remediation: bring the change into the code (and review it), or revert the account
    to the code with the next apply; restrict who can change the account by hand.
    """

    meta = RuleMeta(
        id="TM-DRIFT-001",
        name="live-drift-from-code",
        title="Live resource differs from its code on a security fact",
        stride=("T", "R"),
        controls=("public-exposure", "audit-logging"),
        severity=Severity.MEDIUM,
        remediation=(
            "Bring the change into the Terraform (and review it), or re-apply the code to "
            "revert it; limit who may change the account outside the pipeline."
        ),
        references=("CWE-1188", "OWASP ASVS 5.0 V13.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for el in graph.elements:
            for part in el.parts:
                if part.kind != "drift":
                    continue
                fact, code, live = (str(part.fact(k)) for k in ("fact", "code", "live"))
                weaker = _WEAKER.get(fact) == live
                yield Verdict(
                    element=el.id,
                    resource=el.resource,
                    part=part.name,
                    message=(
                        f"{el.resource} differs from its code: {fact} is {live} in the "
                        f"account but {code} in the code."
                    ),
                    evidence=part.evidence or el.evidence[:1],
                    severity=Severity.HIGH if weaker else None,
                )
