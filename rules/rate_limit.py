"""Rate-limit rules: internet-facing APIs without throttling."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Severity


class ApiWithoutRateLimit(Rule):
    """An internet-facing API stage with no throttling or rate limit of its own.

    Flags each stage of an API that the internet can call when nothing in the sources
    limits its request rate: no stage or method throttling (API Gateway method settings,
    HTTP API default route settings), and no usage plan throttle that applies to every
    caller. A usage plan only throttles requests that carry an API key, so it counts
    only when every method requires one. A stage behind a WAF, or with per-route limits
    only, is not flagged: its limit is not known, which is not the same as none.

    Why it matters: without a per-API limit one client can exhaust the account-wide API
    Gateway quota (shared by every API in the region), run up the backend's cost, and
    starve other callers (OWASP API4:2023, unrestricted resource consumption).

    Remediation: set throttling on the stage (method settings `*/*` with
    throttling_rate_limit and throttling_burst_limit, or default_route_settings on an
    HTTP API), or add a WAF rate-based rule.
    """

    meta = RuleMeta(
        id="TM-RATE-001",
        name="api-without-rate-limit",
        title="Internet-facing API has no throttling or rate limit",
        stride=("D",),
        controls=("rate-limit",),
        severity=Severity.MEDIUM,
        remediation=(
            'Throttle the stage (aws_api_gateway_method_settings with method_path "*/*" '
            "and throttling_rate_limit/burst_limit, or default_route_settings on HTTP APIs), "
            "or attach a WAF web ACL with a rate-based rule."
        ),
        references=("CWE-770", "CWE-799", "OWASP ASVS 5.0 2.4.1", "OWASP API4:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for flow in graph.flows_from(INTERNET_ID, basis="called"):
            api = graph.element(flow.target)
            if not technology(api.type).serves_api:
                continue
            stages = [p for p in api.parts if p.kind == "stage"]
            for stage in stages:
                if stage.fact("rate_limited") is not False:
                    continue
                yield Verdict(
                    element=api.id,
                    resource=stage.resource,
                    message=(
                        f"Stage {stage.name!r} of {api.resource} is callable from the "
                        "internet with no throttling of its own; only the account-wide "
                        "default limit applies."
                    ),
                    evidence=stage.evidence,
                    flow=flow.id,
                    path=(INTERNET_ID, api.id),
                    part=stage.name,
                )
