"""API rules over the operations an OpenAPI description put on the element serving it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Element, Evidence, Part, Severity

# Endpoints that exist to be called without credentials: health probes, sign-in and token
# endpoints, the API's own description. Flagging them is noise, so they are skipped.
_PUBLIC_BY_DESIGN = re.compile(
    r"/(health|healthz|livez|readyz|ready|live|ping|status|version|"
    r"login|signin|sign-in|logout|signout|sign-out|signup|sign-up|register|"
    r"token|oauth2?|authorize|callback|\.well-known|openapi\.(json|ya?ml)|"
    r"swagger(\.json|\.ya?ml)?|docs|api-docs)(/[^/]*)?/?$",
    re.IGNORECASE,
)
_MAX_LISTED = 10


def _api_elements(graph: DFDGraph) -> Iterator[tuple[Element, list[Part]]]:
    for e in graph.elements:
        ops = [p for p in e.parts if p.kind == "operation"]
        if ops:
            yield e, ops


def _spec_evidence(e: Element) -> tuple[Evidence, ...]:
    return tuple(ev for ev in e.evidence if ev.source == "openapi")[:1] or e.evidence[:1]


def _spec_resource(e: Element) -> str:
    return str(e.fact("openapi_spec") or e.resource)


def _internet(graph: DFDGraph, e: Element) -> bool:
    return any(f.source == INTERNET_ID for f in graph.flows_into(e.id, basis="called"))


def _listed(items: list[str]) -> str:
    more = len(items) - _MAX_LISTED
    return ", ".join(items[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def public_by_design(op: Part) -> bool:
    method = str(op.fact("method") or "")
    return method in ("OPTIONS", "HEAD") or bool(_PUBLIC_BY_DESIGN.search(str(op.fact("path"))))


class OperationWithoutAuthentication(Rule):
    """An API operation that can be called without credentials.

    Reads the EFFECTIVE security of each operation of an OpenAPI description: the
    operation's own `security` (where `security: []` means none), else the document's,
    else none. Flags each operation that some alternative lets an anonymous caller use.
    A description with no security requirement anywhere is one finding on the document,
    listing its operations. Health probes, sign-in and token endpoints, CORS preflight
    (OPTIONS) and the API's own documentation are public by design and not flagged. When
    every internet flow into the serving element is known to be authenticated by the
    infrastructure (a gateway authorizer), the operation is not flagged either.

    Why it matters: an operation without authentication is callable by anyone who can
    reach it: data exposure, abuse and spoofing of other users (OWASP API2:2023).

    Remediation: declare a security requirement for the operation (or globally) and
    enforce it in the service or gateway; make anonymous access an explicit, reviewed
    exception.
    """

    meta = RuleMeta(
        id="TM-API-001",
        name="operation-without-authentication",
        title="API operation callable without authentication",
        stride=("S",),
        controls=("authn",),
        severity=Severity.HIGH,
        remediation=(
            "Add a security requirement (OAuth2, OIDC, mTLS or an API key in a header) to "
            "the operation or globally, and enforce it in the service or its gateway."
        ),
        references=("CWE-306", "OWASP ASVS 5.0 8.1.1", "OWASP API2:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for e, ops in _api_elements(graph):
            inbound = [f for f in graph.flows_into(e.id, basis="called")]
            if inbound and all(f.authn not in (None, "none") for f in inbound):
                continue  # the infrastructure in front authenticates every caller
            # No path on these findings: the fingerprint (which includes path ends) must
            # not change when the API's exposure does; the severity says it instead.
            severity = Severity.HIGH if _internet(graph, e) else Severity.MEDIUM
            if e.fact("api_security_declared") is False:
                exposed = [p for p in ops if not public_by_design(p)]
                if exposed:
                    yield Verdict(
                        element=e.id,
                        resource=_spec_resource(e),
                        message=(
                            f"{_spec_resource(e)} declares no security requirement at all: "
                            f"its {len(exposed)} operation(s) take no credentials: "
                            f"{_listed([p.name for p in exposed])}."
                        ),
                        evidence=_spec_evidence(e) + tuple(p.evidence[0] for p in exposed),
                        severity=severity,
                        part="spec",
                    )
                continue
            for op in ops:
                if op.fact("anonymous") is not True or public_by_design(op):
                    continue
                why = {
                    "operation": "its own `security` allows anonymous calls",
                    "global": "the document's `security` allows anonymous calls",
                    "none": "neither it nor the document states a security requirement",
                }[str(op.fact("security_from"))]
                yield Verdict(
                    element=e.id,
                    resource=op.resource,
                    message=f"{op.name} in {_spec_resource(e)} takes no credentials: {why}.",
                    evidence=op.evidence,
                    severity=severity if op.fact("writes") else min(severity, Severity.MEDIUM),
                    part=op.name,
                )


class WriteWithoutScopes(Rule):
    """A state-changing operation whose security asks for no authorization scopes, in an
    API whose other operations do.

    When some operations of an API require OAuth2/OIDC scopes, the API authorizes by
    scope. A POST, PUT, PATCH or DELETE that any authenticated caller may use (no scope,
    or an API key or basic credentials only) is then a gap in that scheme. Anonymous
    operations are TM-API-001's; APIs that use no scopes anywhere are not judged.

    Why it matters: any token holder (for example one issued to a read-only client) can
    change data: broken function-level authorization (OWASP API5:2023).

    Remediation: require the write scope on the operation (e.g. `orders:write`).
    """

    meta = RuleMeta(
        id="TM-API-002",
        name="write-without-scopes",
        title="State-changing operation requires no authorization scope",
        stride=("E",),
        controls=("authz",),
        severity=Severity.MEDIUM,
        remediation=(
            "Require the scope that grants this change on the operation's OAuth2/OIDC requirement."
        ),
        references=("CWE-285", "OWASP ASVS 5.0 8.2.1", "OWASP API5:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for e, ops in _api_elements(graph):
            if not any(p.fact("scoped") is True for p in ops):
                continue
            for op in ops:
                if (
                    op.fact("writes") is True
                    and op.fact("anonymous") is False
                    and op.fact("scoped") is False
                ):
                    yield Verdict(
                        element=e.id,
                        resource=op.resource,
                        message=(
                            f"{op.name} changes state but its security ({op.fact('security')}) "
                            "asks for no scope, while other operations of the API do."
                        ),
                        evidence=op.evidence,
                        part=op.name,
                    )


class CredentialsInUrl(Rule):
    """API keys or credentials carried in the URL (query string or path).

    Flags an apiKey security scheme with `in: query` that operations use, once per
    scheme, and each operation with a query or path parameter named like a credential
    (api_key, token, access_token, password, secret, session, signature, ...).

    Why it matters: URLs are written to access logs, proxy and CDN logs, browser history
    and Referer headers, so the credential leaks to everyone who reads them (CWE-598).

    Remediation: send credentials in a header (Authorization, or an API-key header) or
    the request body, never in the URL.
    """

    meta = RuleMeta(
        id="TM-API-003",
        name="credentials-in-url",
        title="Credentials carried in the URL",
        stride=("I",),
        controls=("secrets",),
        severity=Severity.MEDIUM,
        remediation=(
            "Move the credential to a header (Authorization "
            "or an API-key header) or the request body."
        ),
        references=("CWE-598", "OWASP ASVS 5.0 14.2.1", "OWASP API2:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for e, ops in _api_elements(graph):
            for scheme in (p for p in e.parts if p.kind == "security-scheme"):
                if scheme.fact("type") == "apiKey" and scheme.fact("location") == "query":
                    used = scheme.fact("used_by")
                    if isinstance(used, int) and used > 0:
                        yield Verdict(
                            element=e.id,
                            resource=scheme.resource,
                            message=(
                                f"API key scheme {scheme.name!r} is sent in the query string, "
                                f"by {used} operation(s): {scheme.fact('used_by_operations')}."
                            ),
                            evidence=scheme.evidence,
                            part=scheme.name,
                        )
            for op in ops:
                params = op.fact("credential_params")
                if params:
                    yield Verdict(
                        element=e.id,
                        resource=op.resource,
                        message=f"{op.name} takes a credential in its URL: {params}.",
                        evidence=op.evidence,
                        part=op.name,
                    )


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
        for e, ops in _api_elements(graph):
            basic = any(p.fact("basic_auth") is True for p in ops)
            credentials = any(p.fact("anonymous") is False for p in ops)
            for server in (p for p in e.parts if p.kind == "server"):
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
                    element=e.id,
                    resource=server.resource,
                    message=f"{_spec_resource(e)} lists the plaintext server {server.name}.{note}",
                    evidence=server.evidence,
                    severity=Severity.HIGH if basic or credentials else None,
                    part=server.name,
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
        for e, ops in _api_elements(graph):
            inbound = [f for f in graph.flows_into(e.id, basis="called") if f.source == INTERNET_ID]
            if not inbound or any(p.kind == "stage" for p in e.parts):
                continue
            if e.fact("api_rate_limit") or all(p.fact("rate_limit") for p in ops):
                continue
            limits = [f.rate_limited for f in inbound]
            if all(x is True for x in limits):
                continue
            known = False in limits
            yield Verdict(
                element=e.id,
                resource=_spec_resource(e),
                message=(
                    (
                        f"{e.resource} serves the API of {_spec_resource(e)}"
                        if e.resource != _spec_resource(e)
                        else f"The API of {_spec_resource(e)} is served"
                    )
                    + " to the internet and neither the description nor the infrastructure "
                    "in front limits the request rate."
                    + (
                        ""
                        if known
                        else " Unconfirmed: a limit may be set in front (CDN, WAF) where the "
                        "scanned sources do not show it."
                    )
                ),
                evidence=_spec_evidence(e) + inbound[0].evidence[:1],
                flow=inbound[0].id,
                path=(INTERNET_ID, e.id),
                confidence=Confidence.HIGH if known else Confidence.LOW,
                part="spec",
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
        for e, ops in _api_elements(graph):
            for op in ops:
                fields = op.fact("unbounded_inputs")
                if op.fact("method") in ("POST", "PUT", "PATCH") and fields:
                    listed = str(fields).split("; ")
                    yield Verdict(
                        element=e.id,
                        resource=op.resource,
                        message=f"{op.name} accepts unbounded input: {_listed(listed)}.",
                        evidence=op.evidence,
                        part=op.name,
                    )
