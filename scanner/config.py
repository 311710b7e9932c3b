"""The scan configuration (`.tmscan.yaml` at the scanned root, or `--config FILE`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scanner.model import Diagnostic

NAMES = (".tmscan.yaml", ".tmscan.yml")
_LINK_KEYS = frozenset({"openapi", "served_by"})


@dataclass(frozen=True)
class Link:
    """A join the sources cannot show: this API description is served by that element
    (named by its resource address, element id or name)."""

    openapi: str  # the spec file, relative to the scanned root
    served_by: str
    source: str  # the configuration file, for diagnostics
    line: int | None


@dataclass(frozen=True)
class Config:
    links: tuple[Link, ...] = ()
    source: str | None = None  # the file read, relative to the root when inside it


class _LineLoader(yaml.SafeLoader):
    """Records the line of each mapping, so errors can name it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    out = loader.construct_mapping(node, deep=True)
    out["__line__"] = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def find(root: Path, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    base = root if root.is_dir() else root.parent
    return next((base / n for n in NAMES if (base / n).is_file()), None)


def load(root: Path, explicit: Path | None = None) -> tuple[Config, list[Diagnostic]]:
    """The configuration, or the defaults; every problem is a diagnostic naming the file,
    line and field, and what is valid is still used."""
    path = find(root, explicit)
    if path is None:
        return Config(), []
    base = root if root.is_dir() else root.parent
    try:
        label = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        label = path.name
    try:
        doc = yaml.load(path.read_text("utf-8"), Loader=_LineLoader)  # a SafeLoader
    except OSError as e:
        return Config(), [Diagnostic("error", label, f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError:
        return Config(), [Diagnostic("error", label, "cannot read: not UTF-8 text")]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or "invalid YAML"
        return Config(source=label), [Diagnostic("error", label, f"cannot parse: {problem}", line)]
    if doc is None:
        return Config(source=label), []
    if not isinstance(doc, dict):
        return Config(source=label), [
            Diagnostic("error", label, "the configuration must be a mapping")
        ]
    diagnostics: list[Diagnostic] = []
    for key in sorted(k for k in doc if k not in ("links", "__line__")):
        diagnostics.append(
            Diagnostic("warning", label, f"unknown key {key!r} ignored", doc["__line__"])
        )
    links: list[Link] = []
    raw = doc.get("links") or []
    if not isinstance(raw, list):
        diagnostics.append(Diagnostic("error", label, "links: must be a list", doc["__line__"]))
        raw = []
    for item in raw:
        line = item.get("__line__") if isinstance(item, dict) else doc["__line__"]
        if not isinstance(item, dict):
            diagnostics.append(Diagnostic("error", label, "links: each entry is a mapping", line))
            continue
        unknown = sorted(str(k) for k in item if k not in _LINK_KEYS and k != "__line__")
        missing = sorted(k for k in _LINK_KEYS if not isinstance(item.get(k), str))
        if unknown:
            diagnostics.append(
                Diagnostic("warning", label, f"links: unknown field(s) {', '.join(unknown)}", line)
            )
        if missing:
            diagnostics.append(
                Diagnostic(
                    "error", label, f"links: {', '.join(missing)} must be given as text", line
                )
            )
            continue
        spec = Path(item["openapi"]).as_posix().removeprefix("./")
        links.append(Link(spec, item["served_by"], label, line))
    return Config(tuple(links), label), diagnostics
