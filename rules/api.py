"""API rules over the operations an OpenAPI description put on the element serving it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Element, Part, Severity

# Endpoints that exist to be called without credentials. Probes, the API's own
# description and discovery documents: reads only. Sign-in and token endpoints: any
# method, but the path must end there (`/oauth/token`, not `/accounts/{id}/token`).
_PUBLIC_READS = re.compile(
    r"/(health|healthz|livez|readyz|ready|live|ping|status|version|openapi\.(json|ya?ml)|"
    r"swagger(\.json|\.ya?ml)?|docs|api-docs)/?$|/\.well-known/",
    re.IGNORECASE,
)
_SIGN_IN = re.compile(
    r"^(/[^/{}]+)*/(login|signin|sign-in|logout|signout|sign-out|signup|sign-up|register|"
    r"token|authorize|callback)/?$",
    re.IGNORECASE,
)
_MAX_LISTED = 10


@dataclass(frozen=True)
class Api:
    """One API description as it sits on the element serving it."""

    element: Element
    spec: Part  # the `api` part: the description's own facts
    operations: list[Part]
    schemes: list[Part]
    servers: list[Part]
    shared: bool  # the element serves more than one description

    @property
    def file(self) -> str:
        return self.spec.name

    def key(self) -> str | None:
        """Extra fingerprint identity when one element serves several descriptions."""
        return self.file if self.shared else None


def apis(graph: DFDGraph) -> Iterator[Api]:
    """Every API description in the model, with the parts that came from it."""
    for e in graph.elements:
        specs = [p for p in e.parts if p.kind == "api"]
        if not specs:
            continue
        by_spec: dict[tuple[str, object], list[Part]] = {}
        for p in e.parts:
            by_spec.setdefault((p.kind, p.fact("spec")), []).append(p)
        for spec in specs:
            ops, schemes, servers = (
                by_spec.get((kind, spec.name), [])
                for kind in ("operation", "security-scheme", "server")
            )
            yield Api(e, spec, ops, schemes, servers, len(specs) > 1)


def _internet(graph: DFDGraph, e: Element) -> bool:
    return any(f.source == INTERNET_ID for f in graph.flows_into(e.id, basis="called"))


def listed(items: list[str]) -> str:
    more = len(items) - _MAX_LISTED
    return ", ".join(items[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def public_by_design(op: Part) -> bool:
    method, path = str(op.fact("method") or ""), str(op.fact("path") or "")
    if method in ("OPTIONS", "HEAD"):
        return True
    if method == "GET" and _PUBLIC_READS.search(path):
        return True
    return bool(_SIGN_IN.match(path))


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
        for api in apis(graph):
            e = api.element
            inbound = graph.flows_into(e.id, basis="called")
            if inbound and all(f.authn not in (None, "none") for f in inbound):
                continue  # the infrastructure in front authenticates every caller
            internet = _internet(graph, e)
            if api.spec.fact("api_security_declared") is False:
                exposed = [p for p in api.operations if not public_by_design(p)]
                if exposed:
                    writes = any(p.fact("writes") is True for p in exposed)
                    yield Verdict(
                        element=e.id,
                        resource=api.file,
                        message=(
                            f"{api.file} declares no security requirement at all: its "
                            f"{len(exposed)} operation(s) take no credentials: "
                            f"{listed([p.name for p in exposed])}."
                        ),
                        evidence=api.spec.evidence + tuple(p.evidence[0] for p in exposed),
                        severity=Severity.HIGH if internet and writes else Severity.MEDIUM,
                        part="spec",
                        key=api.key(),
                    )
                continue
            for op in api.operations:
                if op.fact("anonymous") is not True or public_by_design(op):
                    continue
                why = {
                    "operation": "its own `security` allows anonymous calls",
                    "global": "the document's `security` allows anonymous calls",
                    "none": "neither it nor the document states a security requirement",
                }[str(op.fact("security_from"))]
                writes = op.fact("writes") is True
                yield Verdict(
                    element=e.id,
                    resource=op.resource,
                    message=f"{op.name} in {api.file} takes no credentials: {why}.",
                    evidence=op.evidence,
                    severity=Severity.HIGH if internet and writes else Severity.MEDIUM,
                    part=op.name,
                    key=api.key(),
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
        for api in apis(graph):
            if not any(p.fact("scoped") is True for p in api.operations):
                continue
            for op in api.operations:
                if (
                    op.fact("writes") is True
                    and op.fact("anonymous") is False
                    and op.fact("scoped") is False
                ):
                    yield Verdict(
                        element=api.element.id,
                        resource=op.resource,
                        message=(
                            f"{op.name} changes state but its security ({op.fact('security')}) "
                            "asks for no scope, while other operations of the API do."
                        ),
                        evidence=op.evidence,
                        part=op.name,
                        key=api.key(),
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
        for api in apis(graph):
            e = api.element
            for scheme in api.schemes:
                used = scheme.fact("used_by")
                if (
                    scheme.fact("type") == "apiKey"
                    and scheme.fact("location") == "query"
                    and isinstance(used, int)
                    and used > 0
                ):
                    yield Verdict(
                        element=e.id,
                        resource=scheme.resource,
                        message=(
                            f"API key scheme {scheme.name!r} is sent in the query string, "
                            f"by {used} operation(s): {scheme.fact('used_by_operations')}."
                        ),
                        evidence=scheme.evidence,
                        part=scheme.name,
                        key=api.key(),
                    )
            for server in api.servers:
                if server.fact("credentials_in_url") is True:
                    yield Verdict(
                        element=e.id,
                        resource=server.resource,
                        message=(
                            f"The server URL {server.name} in {api.file} carries a credential "
                            "(user:password or a credential query parameter); it is not "
                            "repeated here."
                        ),
                        evidence=server.evidence,
                        part=server.name,
                        key=api.key(),
                    )
            for op in api.operations:
                params = op.fact("credential_params")
                if params:
                    yield Verdict(
                        element=e.id,
                        resource=op.resource,
                        message=f"{op.name} takes a credential in its URL: {params}.",
                        evidence=op.evidence,
                        part=op.name,
                        key=api.key(),
                    )


class BasicAuthentication(Rule):
    """An API that accepts HTTP basic authentication.

    Flags each HTTP `basic` security scheme that at least one operation of an OpenAPI
    description uses (Swagger 2.0 `type: basic` included), once per scheme, listing the
    operations. Schemes that are declared but used by no operation are not flagged.

    Why it matters: basic credentials are long-lived passwords sent with every request,
    with no expiry, scope or audience; any log, proxy or client that sees one request can
    replay the account, and they invite credential stuffing (OWASP API2:2023).

    Remediation: use short-lived bearer tokens (OAuth2 client credentials or OIDC), or
    mutual TLS for machine clients; keep basic authentication only behind TLS for legacy
    clients, with rate limits and lockout, while they migrate.
    """

    meta = RuleMeta(
        id="TM-API-007",
        name="basic-authentication",
        title="API accepts HTTP basic authentication",
        stride=("S", "I"),
        controls=("authn",),
        severity=Severity.LOW,
        remediation=(
            "Replace basic credentials with short-lived OAuth2/OIDC tokens or mutual TLS; "
            "keep basic auth only over TLS, rate-limited, while legacy clients migrate."
        ),
        references=("CWE-522", "CWE-287", "OWASP ASVS 5.0 6.2.1", "OWASP API2:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in apis(graph):
            for scheme in api.schemes:
                used = scheme.fact("used_by")
                if scheme.fact("type") != "http" or scheme.fact("scheme") != "basic":
                    continue
                if not isinstance(used, int) or used == 0:
                    continue
                yield Verdict(
                    element=api.element.id,
                    resource=scheme.resource,
                    message=(
                        f"{api.file} accepts HTTP basic credentials ({scheme.name!r}) on "
                        f"{used} operation(s): {scheme.fact('used_by_operations')}."
                    ),
                    evidence=scheme.evidence,
                    part=scheme.name,
                    key=api.key(),
                )
