"""Read the operations of an API description: security, inputs, responses, rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.openapi.bounds import NO_TYPE, Bounds, Located
from collectors.openapi.loader import YamlMap
from collectors.openapi.refs import Resolver
from collectors.openapi.spec import Field, Operation, Requirement, Server
from scanner.model import Diagnostic

METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_LIMIT_WORDS = ("ratelimit", "rate-limit", "rate_limit", "throttl", "quota")
_HEADER_PREFIXES = ("ratelimit", "xratelimit")


@dataclass
class Context:
    """What reading one API description needs: its files, findings so far, its dialect."""

    resolver: Resolver
    diagnostics: list[Diagnostic]
    swagger: bool  # Swagger 2.0 rather than OpenAPI 3.x
    security: tuple[Requirement, ...] | None = None  # global requirement
    security_line: int | None = None
    security_malformed: bool = False  # the document's `security` is there but unreadable
    servers: list[Server] = field(default_factory=list)  # path/operation-level overrides
    bounds: Bounds = field(init=False)

    def __post_init__(self) -> None:
        self.bounds = Bounds(self.resolver)

    def warn(self, doc: str, line: int | None, message: str) -> None:
        self.diagnostics.append(Diagnostic("warning", doc, message, line))

    def mapping(self, owner: YamlMap, key: str, what: str | None = None) -> YamlMap | None:
        """`owner[key]` after its `$ref`, when it is a mapping; a warning when it is not."""
        if key not in owner:
            return None
        value = self.resolver.get(owner[key], owner.doc, owner.key_line(key))
        if isinstance(value, YamlMap):
            return value
        if value is not None:
            self.warn(owner.doc, owner.key_line(key), f"{what or key} is not a mapping")
        return None

    def requirements(self, owner: YamlMap) -> tuple[Requirement, ...] | None:
        """`owner.security` as alternatives of requirements; None when absent or malformed."""
        value, line = owner.get("security"), owner.key_line("security")
        if "security" not in owner:
            return None
        if not isinstance(value, list):
            self.warn(owner.doc, line, "security is not a list")
            return None
        alternatives: list[Requirement] = []
        for alternative in value:
            if not isinstance(alternative, YamlMap):
                self.warn(owner.doc, line, "security requirement is not a mapping")
                continue
            entries: list[tuple[str, tuple[str, ...]]] = []
            for name, scopes in alternative.items():
                if not isinstance(scopes, list):
                    where = alternative.key_line(name)
                    self.warn(owner.doc, where, f"scopes of {name} are not a list")
                listed = scopes if isinstance(scopes, list) else []
                entries.append((name, tuple(s for s in listed if isinstance(s, str))))
            alternatives.append(tuple(sorted(entries, key=lambda entry: entry[0])))
        return tuple(alternatives)


def servers(ctx: Context, owner: YamlMap, home: str) -> list[Server]:
    """OpenAPI 3.x `servers`: URLs with their variables' defaults substituted."""
    value = owner.get("servers")
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.warn(owner.doc, owner.key_line("servers"), "servers is not a list")
        return []
    found: list[Server] = []
    for server in value:
        url = server.get("url") if isinstance(server, YamlMap) else None
        if not isinstance(url, str):
            ctx.warn(owner.doc, owner.key_line("servers"), "server without a url")
            continue
        assert isinstance(server, YamlMap)
        variables = server.get("variables")
        for name, variable in variables.items() if isinstance(variables, YamlMap) else []:
            default = variable.get("default") if isinstance(variable, YamlMap) else None
            if isinstance(default, str | int | float) and not isinstance(default, bool):
                url = url.replace("{" + name + "}", str(default))
        found.append(Server(url, server.line if server.doc == home else None))
    return found


def operations(ctx: Context, paths: YamlMap) -> list[Operation]:
    """Every operation of every path item, in the order written."""
    found: list[Operation] = []
    for path, raw in paths.items():
        if path.startswith("x-"):
            continue
        line = paths.key_line(path)
        target = ctx.resolver.deref(raw, paths.doc, line)
        if target is None:
            continue
        item = target.value
        if not isinstance(item, YamlMap):
            ctx.warn(paths.doc, line, f"path item {path} is not a mapping")
            continue
        if not ctx.swagger:
            ctx.servers.extend(servers(ctx, item, paths.doc))
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if not isinstance(operation, YamlMap):
                where = item.key_line(method)
                ctx.warn(item.doc, where, f"operation {method.upper()} {path} is not a mapping")
                continue
            found.append(_operation(ctx, path, method, item, operation))
            if not ctx.swagger:
                ctx.servers.extend(servers(ctx, operation, paths.doc))
    return found


def _operation(ctx: Context, path: str, method: str, item: YamlMap, op: YamlMap) -> Operation:
    own = ctx.requirements(op)
    if own is not None:
        security, source, line = own, "operation", op.key_line("security")
    elif "security" in op:  # written but not readable: unknown, never "none"
        security, source, line = (), "malformed", op.key_line("security")
    elif ctx.security is not None:
        security, source, line = ctx.security, "global", ctx.security_line
    elif ctx.security_malformed:
        security, source, line = (), "malformed", ctx.security_line
    else:
        security, source, line = (), "none", None
    operation_id = op.get("operationId")
    responses = ctx.mapping(op, "responses")
    return Operation(
        method=method,
        path=path,
        operation_id=operation_id if isinstance(operation_id, str) else None,
        file=op.doc,
        line=item.key_lines.get(method),
        security=security,
        security_from=source,
        security_line=line,
        inputs=tuple(_inputs(ctx, item, op)),
        responses=tuple(k for k in responses or {} if not k.startswith("x-")),
        rate_limit=tuple(dict.fromkeys(_rate_limit(ctx, item, op, responses))),
    )


def _parameters(ctx: Context, item: YamlMap, op: YamlMap) -> list[tuple[YamlMap, int | None]]:
    """Path-level then operation-level parameters (same name and `in`: replaced in place)."""
    merged: dict[tuple[str, str], tuple[YamlMap, int | None]] = {}
    for owner in (item, op):
        value = owner.get("parameters")
        if value is None:
            continue
        if not isinstance(value, list):
            ctx.warn(owner.doc, owner.key_line("parameters"), "parameters is not a list")
            continue
        for raw in value:
            line = raw.line if isinstance(raw, YamlMap) else owner.key_line("parameters")
            target = ctx.resolver.deref(raw, owner.doc, line)
            if target is None:
                continue
            param = target.value
            if not isinstance(param, YamlMap):
                ctx.warn(owner.doc, line, "parameter is not a mapping")
                continue
            name, where = param.get("name"), param.get("in")
            if not isinstance(name, str) or not isinstance(where, str):
                ctx.warn(owner.doc, line, "parameter without a name or `in`")
                continue
            merged[(name, where)] = (param, target.line if target.doc == op.doc else line)
    return list(merged.values())


def _inputs(ctx: Context, item: YamlMap, op: YamlMap) -> list[Field]:
    fields: list[Field] = []
    home = op.doc
    for param, line in _parameters(ctx, item, op):
        name, where = str(param["name"]), str(param["in"])
        schema_line = param.key_line("schema") if param.doc == home else line
        if ctx.swagger and where == "body":
            schema = Located(param["schema"], param.doc, schema_line) if "schema" in param else None
            fields.extend(ctx.bounds.body_fields(schema, home, line))
            continue
        if ctx.swagger:
            reasons = ctx.bounds.reasons(Located(param, param.doc, line))
        else:
            schema = _schema(param) if "schema" not in param else param["schema"]
            located = Located(schema, param.doc, schema_line)
            reasons = ctx.bounds.reasons(located) if schema is not None else (NO_TYPE,)
        fields.append(Field(name, where, reasons, line))
    body = ctx.mapping(op, "requestBody") if not ctx.swagger else None
    if body is not None:
        anchor = op.key_line("requestBody")
        content = ctx.mapping(body, "content")
        media = _media(content) if content is not None else None
        schema = None
        if media is not None and "schema" in media:
            at = media.key_line("schema") if media.doc == home else anchor
            schema = Located(media["schema"], media.doc, at)
        fields.extend(ctx.bounds.body_fields(schema, home, anchor))
    return fields


def _schema(param: YamlMap) -> Any:
    """The schema of a 3.x parameter described by `content` (its only media type)."""
    content = param.get("content")
    media = _media(content) if isinstance(content, YamlMap) else None
    return media.get("schema") if media is not None else None


def _media(content: YamlMap) -> YamlMap | None:
    """The media type to check: application/json, else any JSON type, else the first."""
    names = list(content)
    jsonish = [n for n in names if n.split(";")[0].strip().lower().endswith("json")]
    chosen = "application/json" if "application/json" in content else (jsonish or names or [""])[0]
    media = content.get(chosen)
    return media if isinstance(media, YamlMap) else None


def limits(key: str) -> bool:
    """An extension that configures rate limiting, throttling or quotas."""
    lower = key.lower()
    return lower.startswith("x-") and any(word in lower for word in _LIMIT_WORDS)


def _rate_limit(ctx: Context, item: YamlMap, op: YamlMap, responses: YamlMap | None) -> list[str]:
    evidence: list[str] = []
    for code in responses or {}:
        assert responses is not None
        if code.startswith("x-"):
            continue
        if code == "429":
            evidence.append("429 response")
        response = ctx.mapping(responses, code, f"response {code}")
        headers = response.get("headers") if response is not None else None
        for name in headers if isinstance(headers, YamlMap) else {}:
            squashed = name.lower().replace("-", "").replace("_", "")
            if squashed.startswith(_HEADER_PREFIXES) or name.lower() == "retry-after":
                evidence.append(f"{name} header")
    evidence.extend(key for owner in (item, op) for key in owner if limits(key))
    return evidence
