"""Walk a tree once and route each file to exactly one collector, by content."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Diagnostic

# Folders that hold copies of other people's code or tool state, never a root of ours.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".terraform",
        ".terragrunt-cache",
        "node_modules",
        "vendor",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
_SNIFF_BYTES = 4096


@dataclass
class Discovered:
    """Files by source kind, plus what was skipped and why."""

    by_kind: dict[str, list[Path]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, kind: str, path: Path) -> None:
        self.by_kind.setdefault(kind, []).append(path)


def classify(path: Path) -> str | None:
    """The source kind of one file, or None when no collector reads it."""
    name = path.name
    if name.endswith((".tf", ".tfvars")):
        return "terraform"
    if name.endswith(".tf.json") or name.endswith(".tfvars.json"):
        return "terraform"
    if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        return "kubernetes"  # rendered with `kubectl kustomize`
    if name.endswith(".json"):
        return _json_kind(path)
    if name.endswith((".yaml", ".yml")):
        head = _head(path)
        if head is None:
            return None
        # A top-level (column 0) key decides, wherever it is in the file: YAML writers that
        # sort keys put `openapi:` or `swagger:` far down. A manifest shows its kind in its
        # first lines: only other files are read whole to look for the API keys.
        if _API_KEY.search(head):
            return "openapi"
        if not (_K8S_VERSION.search(head) and _K8S_KIND.search(head)) and _API_KEY.search(
            _text(path) or ""
        ):
            return "openapi"
        lowered = head.lower()
        if "apiversion" in lowered and "kind" in lowered:
            return "kubernetes"
    return None


_API_KEY = re.compile(r"^(openapi|swagger)\s*:", re.M)
_K8S_VERSION = re.compile(r"^apiVersion\s*:", re.M)
_K8S_KIND = re.compile(r"^kind\s*:", re.M)


def _text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8-sig", errors="replace")
    except OSError:
        return None


def _json_kind(path: Path) -> str | None:
    """A JSON file's kind from its top-level keys (sorted keys may put them anywhere)."""
    text = _text(path)
    if text is None or not text.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        head = text[:_SNIFF_BYTES]  # not JSON: a broken spec or plan still has its keys
        return "openapi" if re.search(r'"(openapi|swagger)"\s*:', head) else None
    if not isinstance(doc, dict):
        return None
    if "format_version" in doc and "terraform_version" in doc:
        return "terraform"
    if "openapi" in doc or "swagger" in doc:
        return "openapi"
    if "apiVersion" in doc and "kind" in doc:
        return "kubernetes"
    return None


def _head(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return f.read(_SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return None


def discover(root: Path) -> Discovered:
    """Every file under root, routed by kind; unreadable folders become diagnostics."""
    found = Discovered()
    if root.is_file():
        kind = classify(root)
        if kind:
            found.add(kind, root)
        return found

    def onerror(e: OSError) -> None:
        where = Path(e.filename).relative_to(root).as_posix() if e.filename else str(root)
        found.diagnostics.append(
            Diagnostic("error", where, f"cannot read directory: {e.strerror or e}")
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            kind = classify(path)
            if kind is None:
                found.skipped["other"] += 1
            else:
                found.add(kind, path)
    return found
