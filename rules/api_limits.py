"""API rules on transport, request rate and input, over OpenAPI descriptions."""

from __future__ import annotations

from collections.abc import Iterable

from rules.api import apis, listed
from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Severity


class PlaintextApiServer(Rule):
    """An API description that lists a public plaintext `http://` server.

    Flags each server (OpenAPI `servers`, or Swagger 2.0 `schemes: [http]` with a host)
    whose URL is plain HTTP on a public host name. Servers on localhost or private
    names are development endpoints and not flagged. Severity rises when the API takes
    credentials, above all HTTP basic, which are then sent in clear.

    Why it matters: requests, responses and credentials on plain HTTP can be read and
    changed on the network path (CWE-319); basic credentials are reusable passwords.

    Remediation: serve the API only over HTTPS and remove the http:// server (or
    redirect it); never accept basic credentials without TLS.
    """

    meta = RuleMeta(
        id="TM-API-004",
        name="plaintext-api-server",
        title="API served over plaintext HTTP",
        stride=("I", "T"),
        controls=("tls",),
        severity=Severity.MEDIUM,
        remediation="Serve the API only over HTTPS; remove the http:// server or make it redirect.",
        references=("CWE-319", "CWE-523", "OWASP ASVS 5.0 12.2.1", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in apis(graph):
            basic = any(p.fact("basic_auth") is True for p in api.operations)
            credentials = any(p.fact("anonymous") is False for p in api.operations)
            for server in api.servers:
                if server.fact("tls") is not False or server.fact("public") is not True:
                    continue
                note = (
                    " HTTP basic credentials would cross the network in clear."
                    if basic
                    else " Credentials would cross the network in clear."
                    if credentials
                    else ""
                )
                yield Verdict(
                    element=api.element.id,
                    resource=server.resource,
                    message=f"{api.file} lists the plaintext server {server.name}.{note}",
                    evidence=server.evidence,
                    severity=Severity.HIGH if basic or credentials else None,
                    part=server.name,
                    key=api.key(),
                )


class ApiWithoutRateLimitEvidence(Rule):
    """An internet-facing API whose description and infrastructure show no rate limit.

    Applies to APIs an OpenAPI description puts on an internet-facing element. Counts as
    a limit: rate-limit extensions in the description (x-amazon-apigateway usage plans,
    Kong and Google quota extensions), 429 responses or RateLimit headers on every
    operation, or infrastructure that throttles every internet flow into the element
    (an ingress-nginx limit annotation, for example). API Gateway stages are judged by
    TM-RATE-001 and not repeated here. When the infrastructure in front is not known
    (a CDN or WAF may limit), the finding is unconfirmed.

    Why it matters: without a limit one client can exhaust the service, run up its cost
    or brute-force credentials (OWASP API4:2023).

    Remediation: rate-limit the API at its entry point (ingress annotation, gateway
    plugin, WAF rate-based rule) and document it (429 responses, RateLimit headers).
    """

    meta = RuleMeta(
        id="TM-API-005",
        name="api-without-rate-limit-evidence",
        title="Internet-facing API shows no rate limit",
        stride=("D",),
        controls=("rate-limit",),
        severity=Severity.MEDIUM,
        remediation=(
            "Rate-limit the API where the internet enters (ingress annotation, gateway "
            "plugin or WAF rate-based rule) and document it with 429 responses."
        ),
        references=("CWE-770", "OWASP ASVS 5.0 2.4.1", "OWASP API4:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in apis(graph):
            e = api.element
            inbound = [f for f in graph.flows_into(e.id, basis="called") if f.source == INTERNET_ID]
            if not inbound or any(p.kind == "stage" for p in e.parts):
                continue
            ops = api.operations
            if api.spec.fact("api_rate_limit") or (ops and all(p.fact("rate_limit") for p in ops)):
                continue
            limits = [f.rate_limited for f in inbound]
            if all(x is True for x in limits):
                continue
            known = False in limits
            served = (
                f"{e.resource} serves the API of {api.file}"
                if e.resource != api.file
                else f"The API of {api.file} is served"
            )
            unknown = (
                ""
                if known
                else " Unconfirmed: a limit may be set in front (CDN, WAF) where the scanned "
                "sources do not show it."
            )
            yield Verdict(
                element=e.id,
                resource=api.file,
                message=(
                    f"{served} to the internet and neither the description nor the "
                    f"infrastructure in front limits the request rate.{unknown}"
                ),
                evidence=api.spec.evidence + inbound[0].evidence[:1],
                flow=inbound[0].id,
                path=(INTERNET_ID, e.id),
                confidence=Confidence.HIGH if known else Confidence.LOW,
                part="spec",
                key=api.key(),
            )


class UnboundedWriteInput(Rule):
    """A write operation that accepts unbounded input.

    Flags each POST, PUT or PATCH whose parameters or request body fields have no type,
    strings without maxLength (or enum, pattern, a bounded format), arrays without
    maxItems, or an explicitly open `additionalProperties`. One finding per operation,
    listing the fields. Objects that merely omit additionalProperties are not flagged.

    Why it matters: unbounded input lets a caller send huge or unexpected payloads that
    exhaust memory and storage or reach code paths nobody validated (OWASP API4:2023,
    mass assignment in API3:2023).

    Remediation: give every field a type and bounds (maxLength, maxItems, enum) and
    close objects with `additionalProperties: false`; validate requests against the
    description at the gateway or in the service.
    """

    meta = RuleMeta(
        id="TM-API-006",
        name="unbounded-write-input",
        title="Write operation accepts unbounded input",
        stride=("T", "D"),
        controls=("input-validation",),
        severity=Severity.LOW,
        remediation=(
            "Bound every field (type, maxLength, maxItems, enum) "
            "and validate requests against the schema."
        ),
        references=("CWE-20", "CWE-770", "OWASP ASVS 5.0 2.2.1", "OWASP API4:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in apis(graph):
            for op in api.operations:
                fields = op.fact("unbounded_inputs")
                if op.fact("method") in ("POST", "PUT", "PATCH") and fields:
                    yield Verdict(
                        element=api.element.id,
                        resource=op.resource,
                        message=(
                            f"{op.name} accepts unbounded input: {listed(str(fields).split('; '))}."
                        ),
                        evidence=op.evidence,
                        part=op.name,
                        key=api.key(),
                    )
