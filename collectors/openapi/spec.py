"""A parsed API description (OpenAPI 2.0, 3.0, 3.1), normalised: what the mapping and rules need."""

from __future__ import annotations

from dataclasses import dataclass

# One way to satisfy an operation's security: ALL of these schemes together, each with
# the scopes it needs. An operation is open when one alternative is empty (`{}`).
Requirement = tuple[tuple[str, tuple[str, ...]], ...]

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


@dataclass(frozen=True)
class Server:
    """A base URL the API is served at; Swagger 2.0's schemes + host + basePath become one each."""

    url: str  # as written, variables substituted by their defaults
    line: int | None


@dataclass(frozen=True)
class SecurityScheme:
    name: str
    type: str  # apiKey | http | oauth2 | openIdConnect | mutualTLS (Swagger 2 basic -> http)
    location: str | None  # apiKey: header | query | cookie
    scheme: str | None  # http: basic | bearer | digest | ... (lower case)
    flows: tuple[str, ...]  # oauth2 flow names (implicit, password, clientCredentials, ...)
    scopes: tuple[str, ...]  # scopes the scheme declares
    file: str
    line: int | None


@dataclass(frozen=True)
class Field:
    """A request input: a parameter, or a property path inside a request body."""

    name: str  # parameter name, or `body`, `body.items[].name`
    location: str  # query | path | header | cookie | body | formData
    unbounded: tuple[str, ...]  # why it is unbounded: "no type", "string without maxLength", ...
    line: int | None


@dataclass(frozen=True)
class Operation:
    method: str  # lower case: get, post, ...
    path: str  # as written: /orders/{id}
    operation_id: str | None
    file: str
    line: int | None
    # The EFFECTIVE requirement: the operation's own `security` if present, else the
    # global one, else none. () means no alternative at all; an alternative that is
    # itself () (`- {}`) means anonymous access is one of the options.
    security: tuple[Requirement, ...]
    # "operation" | "global" | "none" (neither states one) | "malformed" (written but
    # unreadable: the requirement is unknown)
    security_from: str
    security_line: int | None  # where the effective requirement is written
    inputs: tuple[Field, ...]  # every parameter and request-body field, in order
    responses: tuple[str, ...]  # status codes as written ("200", "4XX", "default")
    rate_limit: tuple[str, ...]  # evidence: "429 response", "RateLimit-Limit header", ...

    @property
    def address(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def anonymous(self) -> bool | None:
        """True when some way of calling it needs no credentials; None when unknown."""
        if self.security_from == "malformed":
            return None
        return not self.security or any(not alt for alt in self.security)


@dataclass(frozen=True)
class Spec:
    file: str  # relative to the scan root
    version: str  # "2.0", "3.0.3", "3.1.0"
    title: str
    line: int | None  # the `openapi:`/`swagger:` line
    servers: tuple[Server, ...]
    schemes: tuple[SecurityScheme, ...]  # sorted by name
    security: tuple[Requirement, ...] | None  # global; None when the spec states none
    security_line: int | None
    operations: tuple[Operation, ...]  # in path order, then method order as written
    rate_limit: tuple[str, ...]  # spec-level evidence (x-amazon-apigateway-*, x-kong-*, ...)

    def scheme(self, name: str) -> SecurityScheme | None:
        return next((s for s in self.schemes if s.name == name), None)
