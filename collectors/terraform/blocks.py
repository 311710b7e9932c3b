"""A resource block instance: its address, evaluated attributes, file and line span."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.terraform.values import meta_line
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
    address: str = ""  # the instance address; defaults to TYPE.NAME
    conditional: bool = False  # count/for_each unknown: it may not exist at all

    def __post_init__(self) -> None:
        if not self.address:
            object.__setattr__(self, "address", f"{self.type}.{self.name}")

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
