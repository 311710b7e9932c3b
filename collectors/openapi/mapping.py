"""An API description into the model: one element, its operations, schemes and servers as
parts, and the internet flows its public servers declare."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from collectors.openapi.spec import Operation, Requirement, SecurityScheme, Server, Spec
from scanner.model import INTERNET_ID, Element, Evidence, Flow, Fragment, Part, facts

SOURCE = "openapi"
# Host names that only resolve inside a network: never "public".
_PRIVATE_SUFFIXES = (
    ".local",
    ".localhost",
    ".internal",
    ".intranet",
    ".corp",
    ".lan",
    ".home.arpa",
    ".svc",
    ".cluster.local",
)
# Words that make a parameter name a credential (api_key, X-API-Key, private_token,
# refresh_token, client_secret, password, sig, ...), matched on the name's words.
_SECRET_WORDS = re.compile(
    r"(^|[^a-z])(api[-_]?key|apikey|token|secret|password|passwd|signature|sig|"
    r"session(id)?|jwt|auth|access[-_]?key)([^a-z]|$)"
)
_HOST = re.compile(
    r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d+)?$", re.I
)
_SCOPED_TYPES = frozenset({"oauth2", "openIdConnect"})


def element_id(spec_file: str) -> str:
    return f"oas:{spec_file}"


def split_server(url: str) -> tuple[str | None, str | None, int | None]:
    """(scheme, host, port) of a server URL; None where it does not say (relative URLs,
    `//host` in Swagger 2.0 without `schemes`, templated hosts)."""
    # `api.example.com/v1` (no scheme, no //) is a host and a path; `./v1` and `/v1` are
    # paths relative to wherever the description is served.
    bare = "//" not in url and bool(_HOST.match(url.split("/", maxsplit=1)[0]))
    parts = urlsplit(f"//{url}" if bare else url)
    host = (parts.hostname or "").lower() or None
    if host is not None and ("{" in host or "}" in host):
        host = None
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.scheme.lower() or None), host, port


def redact(url: str) -> str:
    """A URL fit for a report: no user:password, no query string (either may hold a
    credential)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = (parts.hostname or "") + (f":{port}" if port else "") if parts.netloc else ""
    if parts.username or parts.password:
        netloc = f"***@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


def credentials_in_url(url: str) -> bool:
    """A server URL that carries user:password or a credential-named query parameter."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(_SECRET_WORDS.search(k.lower()) for k, _ in parse_qsl(parts.query))


def public_host(host: str | None) -> bool | None:
    """Is this a host name the internet can resolve and reach? None when not known."""
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        private = host == "localhost" or host.endswith(_PRIVATE_SUFFIXES) or "." not in host
        return not private
    return ip.is_global


def _ev(
    file: str, line: int | None, fact: str | None = None, detail: str | None = None
) -> Evidence:
    return Evidence(SOURCE, file=file, line=line, fact=fact, detail=detail)


def requirement_text(req: Requirement) -> str:
    """`oauth[orders:write] + api_key`, or `anonymous` for the empty alternative."""
    if not req:
        return "anonymous"
    return " + ".join(f"{name}[{' '.join(scopes)}]" if scopes else name for name, scopes in req)


def _scoped(req: Requirement, spec: Spec) -> bool:
    """Does this alternative ask for scopes of an OAuth2/OIDC scheme?"""
    return any(
        scopes and (s := spec.scheme(name)) is not None and s.type in _SCOPED_TYPES
        for name, scopes in req
    )


def _credential_params(op: Operation) -> list[str]:
    """Parameters of the query string or path whose names say they carry a credential."""
    return [
        f"{f.location} parameter '{f.name}'"
        for f in op.inputs
        if f.location in ("query", "path") and _SECRET_WORDS.search(f.name.lower())
    ]


def _operation(op: Operation, spec: Spec) -> Part:
    uses = {name for alt in op.security for name, _ in alt}
    schemes = [s for name in sorted(uses) if (s := spec.scheme(name)) is not None]
    basic = any(s.type == "http" and s.scheme == "basic" for s in schemes)
    # Path segments are bounded by the URL itself: only other inputs count.
    unbounded = [
        f"{f.name}: {', '.join(f.unbounded)}"
        for f in op.inputs
        if f.unbounded and f.location != "path"
    ]
    evidence = [_ev(op.file, op.line)]
    if op.security_line is not None:
        evidence.append(
            _ev(
                spec.file if op.security_from == "global" else op.file,
                op.security_line,
                "security",
                f"{op.security_from} security",
            )
        )
    return Part(
        "operation",
        op.address,
        op.address,
        facts(
            spec=spec.file,
            method=op.method.upper(),
            path=op.path,
            operation_id=op.operation_id,
            writes=op.writes,
            anonymous=op.anonymous,
            security_from=op.security_from,
            security=" | ".join(requirement_text(r) for r in op.security) or "none",
            scoped=all(_scoped(r, spec) for r in op.security) if op.security else False,
            basic_auth=basic,
            credential_params="; ".join(_credential_params(op)) or None,
            unbounded_inputs="; ".join(unbounded) or None,
            rate_limit="; ".join(op.rate_limit) or None,
        ),
        tuple(evidence),
    )


def _scheme(s: SecurityScheme, spec: Spec) -> Part:
    where = "securityDefinitions" if spec.version.startswith("2") else "securitySchemes"
    used = [
        op.address
        for op in spec.operations
        if any(s.name == n for alt in op.security for n, _ in alt)
    ]
    return Part(
        "security-scheme",
        s.name,
        f"{where}.{s.name}",
        facts(
            spec=spec.file,
            type=s.type,
            location=s.location,
            scheme=s.scheme,
            flows=",".join(s.flows) or None,
            scopes=len(s.scopes),
            used_by=len(used),
            used_by_operations=", ".join(used[:10])
            + (f" and {len(used) - 10} more" if len(used) > 10 else "")
            or None,
        ),
        (_ev(s.file, s.line),),
    )


def _server(server: Server, spec: Spec) -> Part:
    scheme, host, port = split_server(server.url)
    shown = redact(server.url)
    return Part(
        "server",
        shown,
        shown,
        facts(
            spec=spec.file,
            credentials_in_url=credentials_in_url(server.url) or None,
            scheme=scheme,
            host=host,
            port=port,
            public=public_host(host),
            tls={"https": True, "http": False}.get(scheme or ""),
        ),
        (_ev(spec.file, server.line),),
    )


def _exposure(servers: list[Part]) -> bool | None:
    """True: a server is a public host; False: every server is a private one; else
    unknown (no servers, relative URLs, templated hosts)."""
    found = [p.fact("public") for p in servers]
    if True in found:
        return True
    return False if found and all(x is False for x in found) else None


def to_fragment(spec: Spec) -> Fragment:
    """The API element with its parts, and one internet flow per public (scheme, port)."""
    servers = [_server(s, spec) for s in spec.servers]
    hosts = sorted({str(h) for p in servers if (h := p.fact("host"))})
    # host/path of each server: which element serves it may depend on the base path
    bases = sorted(
        {
            f"{h}{urlsplit(s.url).path.rstrip('/')}"
            for s, p in zip(spec.servers, servers, strict=True)
            if (h := p.fact("host"))
        }
    )
    public = [p for p in servers if p.fact("public") is True]
    ops = [_operation(op, spec) for op in spec.operations]
    # Does the description say anything about security? (A malformed `security` does:
    # what it meant is unknown, not "none".)
    declared = spec.security is not None or any(
        op.security_from == "malformed" or (op.security_from == "operation" and any(op.security))
        for op in spec.operations
    )
    anonymous = [p.fact("anonymous") for p in ops]
    api = Part(
        "api",
        spec.file,
        spec.file,
        facts(
            spec=spec.file,
            title=spec.title or None,
            openapi_version=spec.version,
            api_public=_exposure(servers),
            api_security_declared=declared,
            api_rate_limit="; ".join(spec.rate_limit) or None,
        ),
        (_ev(spec.file, spec.line),),
    )
    element = Element(
        id=element_id(spec.file),
        kind="process",
        type="web-api",
        name=spec.title or spec.file,
        resource=spec.file,
        props=facts(
            openapi_spec=spec.file,
            hosts=",".join(hosts) or None,
            server_paths=",".join(bases) or None,
            api_public=_exposure(servers),
        ),
        parts=(api, *ops, *(_scheme(s, spec) for s in spec.schemes), *servers),
        evidence=(_ev(spec.file, spec.line),),
    )
    flows: dict[tuple[str, int | None], Flow] = {}
    for p in public:
        scheme = str(p.fact("scheme") or "")
        tls = p.fact("tls")
        port = p.fact("port")
        port = port if isinstance(port, int) else {"https": 443, "http": 80}.get(scheme)
        protocol = scheme if scheme in ("http", "https") else "https"
        flows.setdefault(
            (protocol, port),
            Flow(
                INTERNET_ID,
                element.id,
                protocol,
                port,
                "called",
                f"declared: server {p.name} in {spec.file}",
                tls=tls if isinstance(tls, bool) else None,
                authn="none" if anonymous and all(a is True for a in anonymous) else None,
                rate_limited=True if spec.rate_limit else None,
                evidence=p.evidence,
            ),
        )
    return Fragment(elements=(element,), flows=tuple(flows.values()), inputs=(spec.file,))
