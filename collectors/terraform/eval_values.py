"""What evaluation yields besides plain data: Refs, Unknowns, and the root-variable Tracker.

Values are plain Python (str, int, float, bool, None, list, dict) when known. A
reference to a managed resource evaluates to a `Ref` (its identity: ids, ARNs and
endpoints are not in the files); anything that cannot be computed is `Unknown`,
carrying the resources it depended on so that flows can still be inferred from it.
Unknown is never guessed and never treated as false.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

HOLE = "${?}"  # stands for an unknown part inside partly known text


@dataclass(frozen=True)
class Ref:
    """A managed resource (instance) address and the attribute read from it."""

    address: str
    attr: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A value the files do not determine; `refs` are the resources it depends on."""

    refs: frozenset[str] = frozenset()
    partial: Any = None  # what is known: jsonencode() structure, or text with HOLEs

    @staticmethod
    def of(*values: object) -> Unknown:
        refs: set[str] = set()
        for v in values:
            refs |= refs_of(v)
        return Unknown(frozenset(refs))


@dataclass(frozen=True)
class Missing(Unknown):
    """A key or index a known value does not have: an error in Terraform, which try()
    and can() can test for. Otherwise it reads as unknown like any Unknown."""


def refs_of(value: object) -> set[str]:
    """Every resource address a value (or the unknown parts of it) depends on."""
    if isinstance(value, Ref):
        return {value.address}
    if isinstance(value, Unknown):
        return set(value.refs) | (refs_of(value.partial) if value.partial is not None else set())
    if isinstance(value, list):
        out: set[str] = set()
        for v in value:
            out |= refs_of(v)
        return out
    if isinstance(value, dict):
        out = set()
        for v in value.values():
            out |= refs_of(v)
        return out
    return set()


def is_known(value: object) -> bool:
    if isinstance(value, Ref | Unknown):
        return False
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    return True


class Tracker:
    """Which root variables the values being evaluated came from (for evidence: a
    finding decided by a tfvars value points at that tfvars line too)."""

    def __init__(self) -> None:
        self._open: list[set[str]] = []

    def note(self, names: Iterable[str]) -> None:
        for deps in self._open:
            deps.update(names)

    @contextlib.contextmanager
    def collect(self) -> Iterator[set[str]]:
        deps: set[str] = set()
        self._open.append(deps)
        try:
            yield deps
        finally:
            self._open.pop()
