"""Terraform modules as blocks: resources with their file, line and resolved attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.terraform.parse import Parsed
from collectors.terraform.values import Scope, meta_line
from scanner.model import Evidence


@dataclass(frozen=True)
class Block:
    """One `resource` block, its attributes resolved as far as the module's files allow."""

    type: str
    name: str
    body: Mapping[str, Any]
    file: str
    line: int | None
    end_line: int | None = None

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    def evidence(self, fact: str | None = None, detail: str | None = None) -> Evidence:
        return Evidence(
            source="terraform",
            file=self.file,
            line=self.line,
            end_line=self.end_line,
            address=self.address,
            fact=fact,
            detail=detail,
        )

    def nested_evidence(
        self, nested: Mapping[str, Any], fact: str | None = None, detail: str | None = None
    ) -> Evidence:
        """Evidence pointing at a nested block (an ingress rule, a route)."""
        return Evidence(
            source="terraform",
            file=self.file,
            line=meta_line(nested) or self.line,
            end_line=meta_line(nested, "__end_line__") or self.end_line,
            address=self.address,
            fact=fact,
            detail=detail,
        )


def _items(section: object) -> Iterable[Mapping[str, Any]]:
    if isinstance(section, list):
        yield from (s for s in section if isinstance(s, Mapping))
    elif isinstance(section, Mapping):
        yield section


def module_scope(files: Iterable[Parsed], overrides: Mapping[str, Any] | None = None) -> Scope:
    """Variable defaults (then `overrides`, from tfvars) and locals of one module."""
    variables: dict[str, Any] = {}
    locals_: dict[str, Any] = {}
    for parsed in files:
        doc = parsed.document or {}
        for item in _items(doc.get("variable")):
            for name, body in item.items():
                if isinstance(body, Mapping) and "default" in body:
                    variables[name] = body["default"]
        for item in _items(doc.get("locals")):
            for name, value in item.items():
                if not name.startswith("__"):
                    locals_[name] = value
    variables.update(overrides or {})
    return Scope(variables, locals_)


def resource_blocks(files: Iterable[Parsed], scope: Scope) -> list[Block]:
    """Every managed resource block of the module, in file order."""
    out: list[Block] = []
    for parsed in files:
        doc = parsed.document or {}
        for item in _items(doc.get("resource")):
            for rtype, named in item.items():
                if not isinstance(named, Mapping):
                    continue
                for name, body in named.items():
                    if not isinstance(body, Mapping):
                        continue
                    out.append(
                        Block(
                            type=rtype,
                            name=name,
                            body=scope.resolve(dict(body)),
                            file=parsed.rel,
                            line=meta_line(body),
                            end_line=meta_line(body, "__end_line__"),
                        )
                    )
    return out
