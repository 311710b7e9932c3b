"""The fields every normalised AWS record has, whichever source read the resource."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Evidence


@dataclass(frozen=True)
class Record:
    ref: str
    address: str
    evidence: Evidence
    key: str | None = None
    conditional: bool = False  # count/for_each unknown: may not exist at all
    inputs: tuple[Evidence, ...] = ()  # where the variable values it was built from are set
