"""Parse an OpenAPI 3.x or Swagger 2.0 file (YAML or JSON, with its `$ref`s) into a Spec."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from collectors.openapi.loader import YamlMap, load_bytes
from collectors.openapi.operations import Context, limits, operations, servers
from collectors.openapi.refs import MAX_FILE_BYTES, Resolver
from collectors.openapi.spec import SecurityScheme, Server, Spec
from scanner.model import Diagnostic

_OPENAPI = re.compile(r"3\.(\d+)(\.\d+)?(-[0-9A-Za-z.-]+)?")
# Swagger 2.0 names of OAuth2 flows -> the OpenAPI 3 names.
_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}


def parse_spec(path: Path, root: Path) -> tuple[Spec | None, list[Diagnostic]]:
    """The API described by `path` (None when it is not one) and what went wrong reading it.

    Files are named relative to `root`; `$ref`d files are read relative to the file
    referring to them, once each; nothing is fetched over the network.
    """
    diagnostics: list[Diagnostic] = []
    resolver = Resolver(root, diagnostics)
    rel = resolver.relative(path)
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise OSError("file too large")
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return None, [Diagnostic("error", rel, f"cannot read: {reason}")]
    document, problems = load_bytes(data, rel, is_json=path.suffix.lower() == ".json")
    diagnostics.extend(problems)
    if not any(p.level == "error" for p in problems):
        resolver.add(path, document)
        spec = _spec(document, rel, resolver, diagnostics)
    else:
        spec = None
    return spec, list(dict.fromkeys(diagnostics))


def _version(document: Any, rel: str, diagnostics: list[Diagnostic]) -> tuple[str, int] | None:
    """The version as written and its line; None (and why) when it is not one we read."""
    if not isinstance(document, YamlMap) or not {"openapi", "swagger"} & document.keys():
        message = "not an OpenAPI document: no openapi or swagger key"
        diagnostics[:] = [Diagnostic("info", rel, message)]  # its oddities are not ours
        return None
    key = "openapi" if "openapi" in document else "swagger"
    raw = document[key]
    version = str(raw) if isinstance(raw, str | int | float) else ""
    line = document.key_line(key)
    match = _OPENAPI.fullmatch(version)
    if (key == "swagger" and version == "2.0") or (key == "openapi" and match):
        if match and int(match.group(1)) > 1:
            message = f"OpenAPI {version} is newer than 3.1: read as 3.1"
            diagnostics.append(Diagnostic("info", rel, message, line))
        return version, line or 1
    message = f"unsupported {key} version {version[:40]!r}"
    diagnostics.append(Diagnostic("warning", rel, message, line))
    return None


def _spec(
    document: Any, rel: str, resolver: Resolver, diagnostics: list[Diagnostic]
) -> Spec | None:
    found = _version(document, rel, diagnostics)
    if found is None:
        return None
    assert isinstance(document, YamlMap)
    version, line = found
    ctx = Context(resolver, diagnostics, swagger=version == "2.0")
    ctx.security = ctx.requirements(document)
    ctx.security_malformed = ctx.security is None and "security" in document
    ctx.security_line = document.key_line("security") if "security" in document else None
    info = ctx.mapping(document, "info")
    title = info.get("title") if info is not None else None
    paths = ctx.mapping(document, "paths")
    found_operations = operations(ctx, paths) if paths is not None else []
    top = _swagger_servers(ctx, document) if ctx.swagger else servers(ctx, document, rel)
    return Spec(
        file=rel,
        version=version,
        title=title if isinstance(title, str) else "",
        line=line,
        servers=tuple(_unique_servers([*top, *ctx.servers])),
        schemes=tuple(sorted(_schemes(ctx, document), key=lambda s: s.name)),
        security=ctx.security,
        security_line=ctx.security_line,
        operations=tuple(found_operations),
        rate_limit=tuple(dict.fromkeys(_rate_limit(document))),
    )


def _unique_servers(found: list[Server]) -> list[Server]:
    seen: dict[str, Server] = {}
    for server in found:
        seen.setdefault(server.url, server)
    return list(seen.values())


def _swagger_servers(ctx: Context, document: YamlMap) -> list[Server]:
    """Swagger 2.0: one URL per scheme; no scheme at all when `schemes` does not say."""
    host, base = document.get("host"), document.get("basePath", "")
    if not isinstance(host, str) or not host:
        return []
    base = base if isinstance(base, str) else ""
    schemes = document.get("schemes")
    if schemes is not None and not isinstance(schemes, list):
        ctx.warn(document.doc, document.key_line("schemes"), "schemes is not a list")
    names = [s for s in schemes if isinstance(s, str)] if isinstance(schemes, list) else []
    line = document.key_line("host")
    if not names:
        return [Server(f"//{host}{base}", line)]
    return [Server(f"{scheme.lower()}://{host}{base}", line) for scheme in names]


def _schemes(ctx: Context, document: YamlMap) -> list[SecurityScheme]:
    if ctx.swagger:
        declared = ctx.mapping(document, "securityDefinitions")
    else:
        components = ctx.mapping(document, "components")
        declared = ctx.mapping(components, "securitySchemes") if components else None
    found: list[SecurityScheme] = []
    for name in declared or {}:
        assert declared is not None
        line = declared.key_line(name)
        target = ctx.resolver.deref(declared[name], declared.doc, line)
        if target is None:
            continue
        if not isinstance(target.value, YamlMap) or not isinstance(target.value.get("type"), str):
            ctx.warn(declared.doc, line, f"security scheme {name} has no type")
            continue
        found.append(_scheme(ctx, name, target.value, target.doc, target.line))
    return found


def _scheme(ctx: Context, name: str, body: YamlMap, doc: str, line: int | None) -> SecurityScheme:
    kind = str(body["type"])
    scheme, where = body.get("scheme"), body.get("in")
    flows: list[str] = []
    scopes: list[str] = []
    if ctx.swagger:
        if kind == "basic":
            kind, scheme = "http", "basic"
        flow = body.get("flow")
        if kind == "oauth2" and isinstance(flow, str):
            flows.append(_FLOWS.get(flow, flow))
        declared = body.get("scopes")
        scopes.extend(declared if isinstance(declared, YamlMap) else [])
    else:
        declared_flows = body.get("flows")
        for flow_name, flow in (
            declared_flows.items() if isinstance(declared_flows, YamlMap) else []
        ):
            flows.append(flow_name)
            declared = flow.get("scopes") if isinstance(flow, YamlMap) else None
            scopes.extend(declared if isinstance(declared, YamlMap) else [])
    return SecurityScheme(
        name=name,
        type=kind,
        location=where if kind == "apiKey" and isinstance(where, str) else None,
        scheme=scheme.lower() if kind == "http" and isinstance(scheme, str) else None,
        flows=tuple(flows),
        scopes=tuple(sorted(set(scopes))),
        file=doc,
        line=line,
    )


def _rate_limit(document: YamlMap) -> list[str]:
    """Spec-level evidence of rate limiting: gateway extensions on the root object."""
    evidence = [key for key in document if limits(key)]
    management = document.get("x-google-management")
    if isinstance(management, YamlMap) and "quota" in management:
        evidence.append("x-google-management quota")
    if "x-amazon-apigateway-api-key-source" in document:
        evidence.append("x-amazon-apigateway-api-key-source")
    return evidence
