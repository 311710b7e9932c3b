"""Root variable values from tfvars, --var-file and plans, with where each one is set."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.terraform.parse import Parsed, loads, relative
from scanner.model import Diagnostic, Evidence


def _is_auto_tfvars(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name == "terraform.tfvars" or name.endswith(".auto.tfvars")


def read_tfvars(
    root: Path, tfvars: list[Parsed], var_files: Sequence[Path], diagnostics: list[Diagnostic]
) -> tuple[dict[str, Any], dict[str, Evidence]]:
    """terraform.tfvars, then *.auto.tfvars (lexical), then --var-file, later winning;
    with where each value was set."""
    auto = sorted(
        (p for p in tfvars if _is_auto_tfvars(p.rel)),
        key=lambda p: (not p.rel.endswith("terraform.tfvars"), p.rel),
    )
    for p in tfvars:
        if not _is_auto_tfvars(p.rel) and Path(root / p.rel) not in var_files:
            diagnostics.append(
                Diagnostic("info", p.rel, "not loaded automatically; pass it with --var-file")
            )
    values: dict[str, Any] = {}
    origins: dict[str, Evidence] = {}
    sources = [(p.path, p.rel, p.document or {}) for p in auto]
    sources += [(f, relative(root, f), _read_var_file(root, f, diagnostics)) for f in var_files]
    for path, rel, doc in sources:
        assigned = {k: v for k, v in doc.items() if not k.startswith("__")}
        values.update(assigned)
        text = _text(path)
        origins.update({name: origin(rel, name, _line_of(text, name)) for name in assigned})
    return values, origins


def _text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _line_of(text: str, name: str) -> int | None:
    """The line that assigns `name` in a variable file (python-hcl2 gives no lines there)."""
    m = re.search(rf"^[ \t]*\"?{re.escape(name)}\"?[ \t]*[=:]", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def origin(rel: str, name: str, line: int | None) -> Evidence:
    """Evidence that variable `name` is set in file `rel` (at `line`, when known)."""
    return Evidence(
        source="terraform",
        file=rel,
        line=line,
        address=f"var.{name}",
        fact=f"var.{name}",
        detail=f"variable {name} is set here",
    )


def plan_variables(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The root variable values a plan (`terraform show -json`) was made with."""
    variables = doc.get("variables") or {}
    return {
        name: spec["value"]
        for name, spec in variables.items()
        if isinstance(spec, Mapping) and "value" in spec
    }


def _read_var_file(root: Path, path: Path, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    rel = relative(root, path)
    try:
        doc = loads(path.read_text("utf-8"))
    except OSError as e:
        diagnostics.append(Diagnostic("error", rel, f"cannot read variable file: {e.strerror}"))
        return {}
    except Exception as e:
        diagnostics.append(Diagnostic("error", rel, f"variable file is not valid HCL: {e}"))
        return {}
    return {k: v for k, v in doc.items() if not k.startswith("__")}
