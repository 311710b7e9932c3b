"""Kustomize and Helm: directories whose manifests must be rendered before they are read."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_TIMEOUT = 120


@dataclass
class Plan:
    """Which files are read as they are, and which directories are rendered first."""

    plain: list[Path] = field(default_factory=list)
    kustomize_roots: list[Path] = field(default_factory=list)
    rendered_files: set[Path] = field(default_factory=set)  # read through a root instead
    charts: list[Path] = field(default_factory=list)


def _kustomize_refs(kfile: Path) -> list[Path]:
    """The directories a kustomization pulls in (resources, bases, components)."""
    try:
        doc = yaml.safe_load(kfile.read_text("utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    out = []
    for key in ("resources", "bases", "components"):
        for entry in doc.get(key) or [] if isinstance(doc, dict) else []:
            target = (kfile.parent / str(entry)).resolve()
            if target.is_dir():
                out.append(target)
    return out


def _chart_of(path: Path, root: Path) -> Path | None:
    for parent in path.parents:
        if (parent / "Chart.yaml").is_file():
            return parent
        if parent == root or root not in parent.parents:
            return None
    return None


def plan(root: Path, files: Iterable[Path]) -> Plan:
    """Route manifests: Helm chart files to their chart, kustomize trees to their roots
    (kustomizations no other one includes), everything else read as it is."""
    out = Plan()
    files = list(files)
    charts: set[Path] = set()
    kustomized: list[Path] = []
    for f in files:
        chart = _chart_of(f, root)
        if chart is not None:
            charts.add(chart)
            out.rendered_files.add(f)
        elif f.name in KUSTOMIZATION:
            kustomized.append(f)
    included: set[Path] = set()
    for kfile in kustomized:
        included.update(_kustomize_refs(kfile))
    covered = {k.parent.resolve() for k in kustomized} | included
    out.kustomize_roots = sorted(k.parent for k in kustomized if k.parent.resolve() not in included)
    for f in files:
        if f in out.rendered_files:
            continue
        if f.parent.resolve() in covered or f.name in KUSTOMIZATION:
            out.rendered_files.add(f)
        else:
            out.plain.append(f)
    out.charts = sorted(charts)
    return out


@dataclass(frozen=True)
class Rendered:
    text: str | None
    problem: str | None  # why it could not be rendered, and how to do it by hand


def kustomize(directory: Path, display: str) -> Rendered:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return Rendered(
            None,
            f"kustomize directory not rendered: kubectl is not on PATH; run "
            f"`kubectl kustomize {display} > rendered.yaml` and scan that file",
        )
    return _run([kubectl, "kustomize", str(directory)], "kubectl kustomize", display)


def helm(chart: Path, display: str) -> Rendered:
    binary = shutil.which("helm")
    if binary is None:
        return Rendered(
            None,
            f"Helm chart not rendered: helm is not on PATH; run "
            f"`helm template {display} > rendered.yaml` and scan that file",
        )
    return _run([binary, "template", str(chart)], "helm template", display)


def _run(command: list[str], what: str, display: str) -> Rendered:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return Rendered(None, f"{what} {display} failed: {type(e).__name__}")
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0][:200]
        return Rendered(None, f"{what} {display} failed: {first}")
    return Rendered(done.stdout, None)
