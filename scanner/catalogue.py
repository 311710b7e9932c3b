"""The technology catalogue: element types, their DFD kind and the flags rules test."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import cast

import yaml

from scanner.errors import CatalogueError
from scanner.model import Kind

_KINDS = ("process", "datastore", "external")
_FLAGS = ("stores_data", "entry_point", "speaks_http", "serves_api", "forwards", "managed")


@dataclass(frozen=True)
class Technology:
    type: str
    kind: Kind
    description: str
    stores_data: bool = False
    entry_point: bool = False
    speaks_http: bool = False
    serves_api: bool = False
    forwards: bool = False
    managed: bool = False


@functools.cache
def catalogue() -> dict[str, Technology]:
    """All technologies, keyed by type, loaded once from the packaged YAML."""
    text = resources.files("scanner").joinpath("data/catalogue.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    out: dict[str, Technology] = {}
    for name, entry in raw.items():
        kind = entry["kind"]
        if kind not in _KINDS:
            raise CatalogueError(f"catalogue.yaml: {name}: unknown kind {kind!r}")
        unknown = set(entry) - {"kind", "description", *_FLAGS}
        if unknown:
            raise CatalogueError(f"catalogue.yaml: {name}: unknown keys {sorted(unknown)}")
        flags = {f: bool(entry.get(f, False)) for f in _FLAGS}
        out[name] = Technology(
            type=name, kind=cast(Kind, kind), description=entry.get("description", ""), **flags
        )
    return out


def technology(type_: str) -> Technology:
    """The catalogue entry for a type; unknown types are a programming error."""
    try:
        return catalogue()[type_]
    except KeyError:
        raise CatalogueError(f"technology {type_!r} is not in the catalogue") from None
