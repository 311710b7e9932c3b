"""Parsing OpenAPI 2.0/3.0/3.1 files into Specs: versions, $refs, security, inputs, lines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.openapi import refs
from collectors.openapi.parse import parse_spec
from collectors.openapi.spec import Field, Operation, SecurityScheme, Server, Spec
from scanner.model import Diagnostic
from tests.conftest import REPO

ROOT = REPO / "fixtures" / "openapi"
STRING = "string without maxLength"
ARRAY = "array without maxItems"
OPEN = "open additionalProperties"


def parse(relative: str) -> tuple[Spec, list[Diagnostic]]:
    spec, diagnostics = parse_spec(ROOT / relative, ROOT)
    assert spec is not None, diagnostics
    return spec, diagnostics


def ops(spec: Spec) -> dict[str, Operation]:
    return {op.address: op for op in spec.operations}


def security_table(spec: Spec) -> list[tuple[object, ...]]:
    return [
        (op.address, op.line, op.security, op.security_from, op.security_line)
        for op in spec.operations
    ]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def parse_text(tmp_path: Path, text: str, name: str = "api.yaml") -> tuple[Spec, list[Diagnostic]]:
    spec, diagnostics = parse_spec(write(tmp_path, name, text), tmp_path)
    assert spec is not None, diagnostics
    return spec, diagnostics


# --- the fixtures ---------------------------------------------------------------------------


def test_petstore_v2() -> None:
    spec, diagnostics = parse("petstore-v2.yaml")
    assert diagnostics == []
    assert (spec.file, spec.version, spec.title, spec.line) == (
        "petstore-v2.yaml",
        "2.0",
        "Swagger Petstore",
        1,
    )
    assert spec.servers == (
        Server("https://petstore.example.com/v2", 8),
        Server("http://petstore.example.com/v2", 8),
    )
    file = "petstore-v2.yaml"
    assert spec.schemes == (
        SecurityScheme("api_key", "apiKey", "query", None, (), (), file, 27),
        SecurityScheme("basic_auth", "http", None, "basic", (), (), file, 25),
        SecurityScheme(
            "petstore_auth",
            "oauth2",
            None,
            None,
            ("implicit",),
            ("read:pets", "write:pets"),
            file,
            31,
        ),
    )
    read = ((("petstore_auth", ("read:pets",)),),)
    assert (spec.security, spec.security_line) == (read, 38)
    assert security_table(spec) == [
        ("POST /pet", 43, ((("petstore_auth", ("write:pets", "read:pets")),),), "operation", 62),
        ("GET /pet/findByStatus", 67, read, "global", 38),
        ("GET /pet/{petId}", 102, ((("api_key", ()),),), "operation", 114),
        ("POST /pet/{petId}", 116, read, "global", 38),
        ("DELETE /pet/{petId}", 136, ((("api_key", ()), ("basic_auth", ())),), "operation", 150),
        ("POST /pet/{petId}/uploadImage", 154, read, "global", 38),
        ("GET /store/inventory", 174, ((("api_key", ()),),), "operation", 187),
        ("GET /user/login", 190, (), "operation", 222),
    ]
    by = ops(spec)
    assert by["POST /pet"].operation_id == "addPet"
    assert by["POST /pet"].inputs == (  # the body parameter, walked through #/definitions
        Field("body.name", "body", (STRING,), 253),
        Field("body.photoUrls", "body", (ARRAY,), 256),
        Field("body.tags[].name", "body", (STRING,), 240),
    )
    assert by["POST /pet/{petId}"].inputs == (  # path-level petId, then the formData
        Field("petId", "path", (), 96),
        Field("name", "formData", (STRING,), 124),
        Field("status", "formData", (), 128),
    )
    assert by["GET /pet/findByStatus"].inputs == (Field("status", "query", (ARRAY,), 73),)
    assert by["GET /user/login"].inputs == (
        Field("username", "query", (STRING,), 196),
        Field("password", "query", (STRING,), 201),
    )
    assert by["GET /user/login"].anonymous
    assert by["GET /user/login"].responses == ("200", "400")
    assert by["GET /user/login"].rate_limit == ("X-Rate-Limit header", "x-throttling-tier")
    assert [op.rate_limit for op in spec.operations].count(()) == 7
    assert spec.rate_limit == ()


def test_orders_v3() -> None:
    spec, diagnostics = parse("orders-v3.yaml")
    assert diagnostics == []
    assert (spec.version, spec.title, spec.line) == ("3.0.3", "Shop Orders API", 1)
    assert spec.servers == (
        Server("https://api.shop.example.com/v1", 7),
        Server("http://staging-api.shop.example.com/v1", 9),
    )
    file = "orders-v3.yaml"
    assert spec.schemes == (
        SecurityScheme("apiKey", "apiKey", "header", None, (), (), file, 205),
        SecurityScheme("bearer", "http", None, "bearer", (), (), file, 192),
        SecurityScheme(
            "oauth2",
            "oauth2",
            None,
            None,
            ("authorizationCode",),
            ("orders:read", "orders:write"),
            file,
            196,
        ),
    )
    bearer = ((("bearer", ()),),)
    assert (spec.security, spec.security_line) == (bearer, 11)
    assert security_table(spec) == [
        ("GET /health", 19, (), "operation", 24),
        ("GET /orders", 29, ((("bearer", ()),), ()), "operation", 34),
        ("POST /orders", 64, ((("oauth2", ("orders:write",)),),), "operation", 69),
        ("GET /orders/{orderId}", 90, bearer, "global", 11),
        ("PATCH /orders/{orderId}", 104, bearer, "global", 11),
        ("DELETE /orders/{orderId}", 118, ((("oauth2", ()),),), "operation", 123),
        ("POST /orders/{orderId}/notes", 129, ((("apiKey", ()),),), "operation", 136),
        ("GET /categories", 162, bearer, "global", 11),
        ("POST /categories", 176, bearer, "global", 11),
    ]
    by = ops(spec)
    assert [op.address for op in spec.operations if op.anonymous] == ["GET /health", "GET /orders"]
    assert by["GET /orders"].inputs == (  # a $ref'd parameter: its line in components
        Field("limit", "query", (), 210),
        Field("status", "query", (), 39),
        Field("q", "query", (STRING,), 48),
    )
    assert by["GET /orders"].responses == ("200", "429")
    assert by["GET /orders"].rate_limit == (
        "429 response",
        "RateLimit-Limit header",
        "RateLimit-Remaining header",
        "RateLimit-Reset header",
        "Retry-After header",
    )
    assert by["POST /orders"].inputs == ()  # NewOrder is bounded all the way down
    assert by["PATCH /orders/{orderId}"].inputs == (Field("orderId", "path", (), 218),)
    assert by["POST /orders/{orderId}/notes"].inputs == (
        Field("orderId", "path", (), 218),
        Field("body", "body", (OPEN,), 141),
        Field("body.text", "body", (STRING,), 145),
        Field("body.labels", "body", (ARRAY,), 147),
        Field("body.author", "body", (STRING,), 152),  # format: email does not bound it
    )
    # Category.children is [Category]: the walk stops at the cycle.
    assert by["POST /categories"].inputs == (Field("body.children", "body", (ARRAY,), 350),)
    assert spec.rate_limit == ()


def test_catalog_v31_multi_file() -> None:
    spec, diagnostics = parse("catalog-v31/openapi.yaml")
    assert diagnostics == []
    assert (spec.file, spec.version, spec.title) == (
        "catalog-v31/openapi.yaml",
        "3.1.0",
        "Catalog API",
    )
    assert spec.servers == (Server("https://eu.catalog.example.com/v2", 7),)
    security_file = "catalog-v31/components/security.yaml"
    assert spec.schemes == (
        SecurityScheme("catalogKey", "apiKey", "header", None, (), (), security_file, 1),
        SecurityScheme(
            "partnerOAuth",
            "oauth2",
            None,
            None,
            ("clientCredentials",),
            ("catalog:read", "catalog:write"),
            security_file,
            5,
        ),
    )
    assert (spec.security, spec.security_line) == (None, None)
    paths_file = "catalog-v31/paths/products.yaml"
    assert [(op.address, op.operation_id, op.file, op.line) for op in spec.operations] == [
        ("GET /products", "listProducts", paths_file, 2),
        ("POST /products", "createProduct", paths_file, 24),
        ("GET /products/{productId}", "getProduct", paths_file, 44),
        ("PUT /products/{productId}", "replaceProduct", paths_file, 54),
        ("DELETE /products/{productId}", "deleteProduct", paths_file, 66),
        ("GET /brands", "listBrands", "catalog-v31/openapi.yaml", 43),  # components.pathItems
    ]  # the webhook is not an operation of the API
    assert {(op.security, op.security_from, op.security_line) for op in spec.operations} == {
        ((), "none", None)
    }
    by = ops(spec)
    # Product -> Bundle -> Product across two files; fields outside the operation's file
    # are located at the line in that file where the body's schema is referenced.
    body = (
        Field("body.description", "body", (STRING,), 31),
        Field("body.tags", "body", (ARRAY,), 31),
        Field("body.bundle.title", "body", (STRING,), 31),  # type: [string, "null"]
    )
    assert by["POST /products"].inputs == body
    assert by["PUT /products/{productId}"].inputs == (
        Field("productId", "path", (), 38),
        *(Field(f.name, f.location, f.unbounded, 61) for f in body),
    )
    assert by["GET /products"].inputs == (
        Field("category", "query", (STRING,), 6),
        Field("cursor", "query", (), 10),
    )


def test_each_referenced_file_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = open

    def counting_open(file: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(file).relative_to(ROOT).as_posix())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(refs, "open", counting_open, raising=False)
    parse("catalog-v31/openapi.yaml")
    assert sorted(opened) == [
        "catalog-v31/components/bundles.yaml",
        "catalog-v31/components/schemas.yaml",
        "catalog-v31/components/security.yaml",
        "catalog-v31/paths/products.yaml",
    ]


def test_truncated_file_is_an_error_at_its_line() -> None:
    assert parse_spec(ROOT / "broken/truncated.yaml", ROOT) == (
        None,
        [
            Diagnostic(
                "error",
                "broken/truncated.yaml",
                "cannot parse: found unexpected end of stream",
                16,
            )
        ],
    )


def test_paths_not_a_mapping_is_a_warning() -> None:
    spec, diagnostics = parse("broken/not-a-mapping.yaml")
    assert (spec.version, spec.title, spec.operations) == ("3.0.0", "Not a mapping", ())
    assert diagnostics == [
        Diagnostic("warning", "broken/not-a-mapping.yaml", "paths is not a mapping", 5)
    ]


# --- versions and formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "version"),
    [
        ('swagger: "2.0"', "2.0"),
        ("swagger: 2.0", "2.0"),  # unquoted: a float to YAML
        ("openapi: 3.0.0", "3.0.0"),
        ("openapi: 3.0.3", "3.0.3"),
        ("openapi: 3.1.0", "3.1.0"),
        ("openapi: 3.0", "3.0"),
    ],
)
def test_versions_read(tmp_path: Path, head: str, version: str) -> None:
    spec, diagnostics = parse_text(tmp_path, f"{head}\ninfo: {{title: T, version: '1'}}\n")
    assert (spec.version, spec.title, diagnostics) == (version, "T", [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "openapi: 4.0.0\n",
            Diagnostic("warning", "api.yaml", "unsupported openapi version '4.0.0'", 1),
        ),
        (
            'swagger: "1.2"\n',
            Diagnostic("warning", "api.yaml", "unsupported swagger version '1.2'", 1),
        ),
        ("openapi: [3]\n", Diagnostic("warning", "api.yaml", "unsupported openapi version ''", 1)),
        (
            "apiVersion: v1\nkind: ConfigMap\n",
            Diagnostic("info", "api.yaml", "not an OpenAPI document: no openapi or swagger key"),
        ),
        (
            "- openapi\n",
            Diagnostic("info", "api.yaml", "not an OpenAPI document: no openapi or swagger key"),
        ),
        ("", Diagnostic("info", "api.yaml", "not an OpenAPI document: no openapi or swagger key")),
    ],
)
def test_versions_refused(tmp_path: Path, text: str, expected: Diagnostic) -> None:
    assert parse_spec(write(tmp_path, "api.yaml", text), tmp_path) == (None, [expected])


def test_only_the_first_document_is_read(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(tmp_path, "openapi: 3.0.0\npaths: {}\n---\nbroken: [\n")
    assert spec.version == "3.0.0"
    assert diagnostics == [
        Diagnostic("warning", "api.yaml", "more than one YAML document: only the first is read", 3)
    ]
    path = write(tmp_path, "k8s.yaml", "apiVersion: v1\nkind: Namespace\n---\nkind: [\n")
    assert parse_spec(path, tmp_path) == (  # not an API description: no more to say
        None,
        [Diagnostic("info", "k8s.yaml", "not an OpenAPI document: no openapi or swagger key")],
    )


def test_newer_openapi_3_is_read_as_3_1(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(tmp_path, "openapi: 3.2.0\npaths: {}\n")
    assert spec.version == "3.2.0"
    assert diagnostics == [
        Diagnostic("info", "api.yaml", "OpenAPI 3.2.0 is newer than 3.1: read as 3.1", 1)
    ]


def test_json_keeps_lines(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "Json", "version": "1"},
        "security": [{"key": []}],
        "paths": {
            "/users/{id}": {
                "get": {
                    "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                    "security": [],
                }
            }
        },
        "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "cookie", "name": "k"}}},
    }
    text = json.dumps(document, indent="\t")  # tabs: fine in JSON, not in YAML indentation
    spec, diagnostics = parse_text(tmp_path, text, "api.json")
    lines = text.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    assert diagnostics == []
    (op,) = spec.operations
    assert (op.address, op.line, op.security_from, op.security_line) == (
        "GET /users/{id}",
        line_of('"get"'),
        "operation",
        line_of('"security": []'),
    )
    assert op.inputs == (Field("id", "path", (STRING,), line_of('"parameters"') + 1),)
    assert spec.security_line == line_of('"security": [')
    assert spec.schemes[0].location == "cookie"
    assert spec.schemes[0].line == line_of('"key": {')


def test_json_that_yaml_refuses_is_read_without_lines(tmp_path: Path) -> None:
    long_key = "/" + "a" * 2000  # longer than a YAML implicit key may be
    text = json.dumps({"openapi": "3.0.0", "paths": {long_key: {"get": {"responses": {}}}}})
    spec, diagnostics = parse_text(tmp_path, text, "api.json")
    assert diagnostics == []
    assert [(op.path, op.line) for op in spec.operations] == [(long_key, None)]


def test_json_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "api.json", '{\n  "openapi": "3.0.0",\n  "paths": {\n')
    spec, diagnostics = parse_spec(path, tmp_path)
    assert spec is None
    assert [(d.level, d.line) for d in diagnostics] == [("error", 3)]
    assert diagnostics[0].message.startswith("cannot parse: ")


def test_parse_errors_do_not_echo_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", 'openapi: 3.0.0\npassword: "hunter2-s3cret\n')
    spec, diagnostics = parse_spec(path, tmp_path)
    assert spec is None
    assert diagnostics == [
        Diagnostic("error", "api.yaml", "cannot parse: found unexpected end of stream", 2)
    ]


def test_yaml_oddities(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        x-defaults: &query
          in: query
          schema: {type: integer}
        paths:
          /a:
            get:
              parameters:
                - <<: *query
                  name: page
              responses:
                200: {description: ok}
                ? [not, a, string]
                : {description: dropped}
        """,
    )
    assert diagnostics == [Diagnostic("warning", "api.yaml", "mapping key is not a string", 13)]
    (op,) = spec.operations
    assert op.inputs == (Field("page", "query", (), 9),)
    assert op.responses == ("200",)  # an unquoted status code is still a string


def test_deep_nesting_is_refused_quickly(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", "openapi: 3.0.0\nx: " + "[" * 50_000 + "]" * 50_000)
    assert parse_spec(path, tmp_path) == (
        None,
        [Diagnostic("error", "api.yaml", "cannot parse: nested deeper than 1000 levels")],
    )


def test_deep_all_of_does_not_overflow(tmp_path: Path) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(400):  # deeper than the recursion limit, were it followed
        schema = {"allOf": [schema]}
    document = {
        "openapi": "3.0.0",
        "paths": {"/a": {"get": {"parameters": [{"name": "q", "in": "query", "schema": schema}]}}},
    }
    spec, _ = parse_text(tmp_path, json.dumps(document), "api.json")
    assert [f.name for f in spec.operations[0].inputs] == ["q"]


# --- $ref -----------------------------------------------------------------------------------


def test_ref_pointer_escapes_and_percent_encoding(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        paths:
          /pets/{id}:
            get:
              parameters:
                - name: id
                  in: path
                  schema:
                    type: string
                    format: uuid
          /owners/{id}:
            get:
              parameters:
                - $ref: "#/paths/~1pets~1%7Bid%7D/get/parameters/0"
                - $ref: "#/components/parameters/a~1b~0c"
        components:
          parameters:
            a/b~c:
              name: filter
              in: query
              schema:
                type: string
        """,
    )
    assert diagnostics == []
    assert spec.operations[1].inputs == (
        Field("id", "path", (), 6),
        Field("filter", "query", (STRING,), 18),
    )


def test_broken_refs_warn_and_the_rest_is_read(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        paths:
          /a:
            get:
              parameters:
                - $ref: "./missing.yaml#/Limit"
                - $ref: "#/components/parameters/Nope"
                - $ref: "https://user:token@schemas.example.com/common.yaml#/Page"
                - $ref: "#/components/parameters/Loop"
                - name: q
                  in: query
                  schema:
                    type: string
                    maxLength: 10
          /b:
            get:
              parameters:
                - $ref: "./missing.yaml#/Limit"
        components:
          parameters:
            Loop:
              $ref: "#/components/parameters/Loop2"
            Loop2:
              $ref: "#/components/parameters/Loop"
        """,
    )
    assert diagnostics == [
        Diagnostic(
            "warning",
            "api.yaml",
            "unresolved $ref ./missing.yaml#/Limit: cannot read missing.yaml: no such file",
            6,
        ),
        Diagnostic(
            "warning",
            "api.yaml",
            "unresolved $ref #/components/parameters/Nope: no such location in api.yaml",
            7,
        ),
        Diagnostic(
            "warning",
            "api.yaml",
            "remote $ref not fetched: https://***@schemas.example.com/common.yaml#/Page",
            8,
        ),
        Diagnostic("warning", "api.yaml", "cyclic $ref #/components/parameters/Loop", 24),
    ]  # one warning per distinct $ref in a file: the one on line 18 is not repeated
    assert [op.inputs for op in spec.operations] == [(Field("q", "query", (), 10),), ()]


def test_relative_refs_resolve_from_the_referring_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api/paths/users.yaml",
        """\
        get:
          operationId: listUsers
          parameters:
            - $ref: "../common/params.yaml#/Page"
          security:
            - token: []
        """,
    )
    write(
        tmp_path,
        "api/common/params.yaml",
        """\
        Page:
          $ref: "./more.yaml#/Page"
        """,
    )
    write(
        tmp_path,
        "api/common/more.yaml",
        """\
        Page:
          name: page
          in: query
          schema: {type: string}
        """,
    )
    write(tmp_path, "shared/broken.yaml", "a: [\n")
    path = write(
        tmp_path,
        "api/openapi.yaml",
        """\
        openapi: 3.1.0
        paths:
          /users:
            $ref: ./paths/users.yaml
          /broken:
            $ref: ../shared/broken.yaml
        """,
    )
    spec, diagnostics = parse_spec(path, tmp_path)
    assert spec is not None
    (op,) = spec.operations
    # The parameter is written in another file: its line is where the operation refers to it.
    assert (op.file, op.line, op.security_line, op.inputs) == (
        "api/paths/users.yaml",
        1,
        5,
        (Field("page", "query", (STRING,), 4),),
    )
    assert diagnostics == [
        Diagnostic(
            "error",
            "shared/broken.yaml",
            "cannot parse: did not find expected node content",
            1,
        ),
        Diagnostic(
            "warning",
            "api/openapi.yaml",
            "unresolved $ref ../shared/broken.yaml: cannot parse shared/broken.yaml",
            6,
        ),
    ]


def test_recursive_schemas_terminate(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        paths:
          /trees:
            post:
              requestBody:
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Tree"}
              parameters:
                - name: t
                  in: query
                  schema: {$ref: "#/components/schemas/Self"}
        components:
          schemas:
            Tree:
              type: object
              properties:
                label: {type: string}
                left: {$ref: "#/components/schemas/Tree"}
                right: {$ref: "#/components/schemas/Tree"}
                forest: {type: array, maxItems: 3, items: {$ref: "#/components/schemas/Tree"}}
            Self:
              allOf:
                - $ref: "#/components/schemas/Self"
        """,
    )
    assert diagnostics == []
    assert spec.operations[0].inputs == (
        Field("t", "query", (), 10),  # nothing can be said of `allOf: [itself]`
        Field("body.label", "body", (STRING,), 18),
    )


# --- security, servers, rate limits ---------------------------------------------------------


def test_requirements(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        security:
          - oauth: [b, a]
            key: []
          - {}
        paths:
          /a:
            get:
              security: []
            put:
              security: not-a-list
            post: {}
        """,
    )
    assert spec.security == ((("key", ()), ("oauth", ("b", "a"))), ())
    assert [(op.method, op.security, op.security_from) for op in spec.operations] == [
        ("get", (), "operation"),
        # written but unreadable: unknown, neither "none" nor the global requirement
        ("put", (), "malformed"),
        ("post", spec.security, "global"),
    ]
    assert [op.anonymous for op in spec.operations] == [True, None, True]
    assert diagnostics == [Diagnostic("warning", "api.yaml", "security is not a list", 11)]


def test_swagger_security_definitions_and_servers(tmp_path: Path) -> None:
    spec, _ = parse_text(
        tmp_path,
        """\
        swagger: "2.0"
        host: api.example.com:8443
        basePath: /base
        securityDefinitions:
          app: {type: oauth2, flow: application, tokenUrl: "https://t", scopes: {s: x}}
          code: {type: oauth2, flow: accessCode, authorizationUrl: "https://a", tokenUrl: "https://t", scopes: {}}
          pw: {type: oauth2, flow: password, tokenUrl: "https://t"}
        paths: {}
        """,
    )
    assert spec.servers == (Server("//api.example.com:8443/base", 2),)  # no scheme invented
    assert [(s.name, s.flows, s.scopes) for s in spec.schemes] == [
        ("app", ("clientCredentials",), ("s",)),
        ("code", ("authorizationCode",), ()),
        ("pw", ("password",), ()),
    ]
    spec, _ = parse_text(tmp_path, 'swagger: "2.0"\nbasePath: /v1\npaths: {}\n')
    assert spec.servers == ()  # no host: served wherever the spec is


def test_openapi_servers_with_overrides(tmp_path: Path) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        servers:
          - url: "{scheme}://{host}:{port}/{missing}"
            variables:
              scheme: {default: https}
              host: {default: api.example.com}
              port: {default: 8443}
          - url: /relative
        paths:
          /upload:
            servers:
              - url: https://upload.example.com
            post:
              servers:
                - url: https://upload-eu.example.com
                - url: /relative
        """,
    )
    assert diagnostics == []
    assert spec.servers == (
        Server("https://api.example.com:8443/{missing}", 3),
        Server("/relative", 8),
        Server("https://upload.example.com", 12),
        Server("https://upload-eu.example.com", 15),
    )


def test_rate_limit_evidence(tmp_path: Path) -> None:
    spec, _ = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        x-kong-plugin-rate-limiting: {config: {minute: 60}}
        x-google-management: {quota: {limits: []}}
        x-amazon-apigateway-api-key-source: HEADER
        x-logo: {url: x}
        paths:
          /a:
            x-amazon-apigateway-throttle: {rateLimit: 10}
            get:
              x-google-quota: {metricCosts: {read: 1}}
              responses:
                "4XX": {description: client error}
                "503":
                  description: busy
                  headers:
                    X-Rate-Limit-Remaining: {schema: {type: integer}}
                    retry-after: {schema: {type: integer}}
                    X-Request-Id: {schema: {type: string}}
        """,
    )
    assert spec.rate_limit == (
        "x-kong-plugin-rate-limiting",
        "x-google-management quota",
        "x-amazon-apigateway-api-key-source",
    )
    assert spec.operations[0].rate_limit == (
        "X-Rate-Limit-Remaining header",
        "retry-after header",
        "x-amazon-apigateway-throttle",
        "x-google-quota",
    )


# --- bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "reasons"),
    [
        ("{type: string}", (STRING,)),
        ("{type: string, maxLength: 5}", ()),
        ("{type: string, enum: [a, b]}", ()),
        ("{type: string, pattern: '^[a-z]+$'}", ()),
        ("{type: string, format: uuid}", ()),
        ("{type: string, format: date-time}", ()),
        ("{type: string, format: byte}", (STRING,)),
        ("{type: [string, 'null'], maxLength: 3}", ()),
        ("{const: fixed}", ()),
        ("{enum: [1, 2]}", ()),
        ("{}", ("no type",)),
        ("{description: anything}", ("no type",)),
        ("{type: integer}", ()),
        ("{type: boolean}", ()),
        ("{type: array, items: {type: integer}}", (ARRAY,)),
        ("{type: array, maxItems: 5, items: {type: string}}", (STRING,)),
        ("{type: object, additionalProperties: true}", (OPEN,)),
        ("{type: object, additionalProperties: {}}", (OPEN,)),
        ("{type: object, additionalProperties: {type: integer}}", ()),
        ("{type: object}", ()),
        ("{properties: {a: {type: integer}}, additionalProperties: true}", (OPEN,)),
        ("{oneOf: [{type: integer}, {type: string, maxLength: 3}]}", ()),
        ("{anyOf: [{type: integer}, {type: string}]}", (STRING,)),
        ("{oneOf: [{type: integer}, {description: x}]}", ("no type",)),
        ("{allOf: [{type: string}, {maxLength: 10}]}", ()),
        ("{allOf: [{$ref: '#/components/schemas/Name'}]}", (STRING,)),
        ("{$ref: '#/components/schemas/Name', maxLength: 4}", ()),  # 3.1: siblings count
    ],
)
def test_parameter_bounds(tmp_path: Path, schema: str, reasons: tuple[str, ...]) -> None:
    spec, diagnostics = parse_text(
        tmp_path,
        f"""\
        openapi: 3.1.0
        paths:
          /a:
            get:
              parameters:
                - name: p
                  in: query
                  schema: {schema}
        components:
          schemas:
            Name: {{type: string}}
        """,
    )
    assert diagnostics == []
    assert spec.operations[0].inputs == (Field("p", "query", reasons, 6),)


def test_parameters_and_bodies_without_types(tmp_path: Path) -> None:
    spec, _ = parse_text(
        tmp_path,
        """\
        openapi: 3.0.0
        paths:
          /a/{id}:
            parameters:
              - {name: id, in: path, schema: {type: string}}
              - {name: trace, in: header, schema: {type: string, maxLength: 64}}
            post:
              parameters:
                - {name: id, in: path, schema: {type: integer}}
                - name: filter
                  in: query
                  content:
                    application/json:
                      schema: {type: object, additionalProperties: true}
                - {name: bare, in: query}
              requestBody:
                content:
                  application/octet-stream: {}
            put:
              requestBody:
                content:
                  text/plain: {schema: {type: string}}
                  application/vnd.api+json:
                    schema:
                      type: object
                      properties:
                        data:
                          type: array
                          maxItems: 10
                          items:
                            properties:
                              id: {type: string, readOnly: true}
                              attributes: {additionalProperties: true}
        """,
    )
    post, put = spec.operations
    assert post.inputs == (  # the operation's id replaces the path's, in place
        Field("id", "path", (), 9),
        Field("trace", "header", (), 6),
        Field("filter", "query", (OPEN,), 10),
        Field("bare", "query", ("no type",), 15),
        Field("body", "body", ("no type",), 16),
    )
    assert put.inputs == (
        Field("id", "path", (STRING,), 5),
        Field("trace", "header", (), 6),
        Field("body.data[].attributes", "body", (OPEN,), 33),
    )


# --- robustness -----------------------------------------------------------------------------

WORDS = [
    "paths", "/p", "/q/{id}", "get", "post", "delete", "parameters", "requestBody", "content",
    "application/json", "schema", "$ref", "type", "string", "array", "object", "items",
    "properties", "additionalProperties", "allOf", "oneOf", "anyOf", "maxLength", "enum",
    "security", "components", "schemas", "securitySchemes", "servers", "url", "variables",
    "default", "responses", "429", "headers", "Retry-After", "name", "in", "query", "body",
    "flows", "scopes", "x-rate-limit", "host", "schemes", "securityDefinitions", "info", "title",
]  # fmt: skip
REFS = ["#", "#/", "#/paths", "#/components/schemas/A", "#/x/0", "other.yaml", "../x.yaml#/a",
        "http://example.com/a", "#/components/schemas/~", "%zz", "#a"]  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
KEYS = st.sampled_from(WORDS) | st.text(max_size=6)
VALUES = st.recursive(
    SCALARS | st.sampled_from(WORDS) | st.sampled_from(REFS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)


def check_result(result: object) -> None:
    assert isinstance(result, tuple) and len(result) == 2
    spec, diagnostics = result
    assert spec is None or isinstance(spec, Spec)
    assert all(isinstance(d, Diagnostic) for d in diagnostics)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_any_text_gives_a_spec_or_diagnostics(tmp_path: Path, text: str) -> None:
    for name in ("api.yaml", "api.json"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        check_result(parse_spec(path, tmp_path))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    head=st.sampled_from([{"openapi": "3.0.0"}, {"openapi": "3.1.0"}, {"swagger": "2.0"}]),
    body=st.dictionaries(KEYS, VALUES, max_size=6),
)
def test_any_structure_gives_a_spec_or_diagnostics(
    tmp_path: Path, head: dict[str, str], body: dict[str, Any]
) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump({**body, **head}), encoding="utf-8")
    first = parse_spec(path, tmp_path)
    check_result(first)
    assert first[0] is not None
    assert parse_spec(path, tmp_path) == first  # deterministic
