"""Walk a tree once and route each file to exactly one collector, by content."""

from __future__ import annotations

import json
import os
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
    if name.endswith((".yaml", ".yml", ".json")):
        head = _head(path)
        if head is None:
            return None
        if name.endswith(".json") and _is_terraform_json(path, head):
            return "terraform"
        lowered = head.lower()
        if (
            '"openapi"' in lowered
            or '"swagger"' in lowered
            or "\nopenapi:" in "\n" + lowered
            or "\nswagger:" in "\n" + lowered
        ):
            return "openapi"
        if "apiversion" in lowered and "kind" in lowered:
            return "kubernetes"
    return None


def _head(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return f.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _is_terraform_json(path: Path, head: str) -> bool:
    """`terraform show -json` output: plan or state (format_version + terraform_version)."""
    if '"format_version"' in head and '"terraform_version"' in head:
        return True
    if not head.lstrip().startswith("{") or '"format_version"' not in head + _tail(path):
        return False
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and "format_version" in doc and "terraform_version" in doc


def _tail(path: Path) -> str:
    """The end of a file: a re-serialised plan may put format_version last."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - _SNIFF_BYTES))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


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
