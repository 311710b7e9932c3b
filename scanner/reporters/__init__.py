"""Reporters: one module per output format, each with `render(result, options)`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from scanner.errors import ReportError

__all__ = ["FORMATS", "Format", "ReportError", "ReportOptions", "render"]

if TYPE_CHECKING:
    from scanner.pipeline import ScanResult


@dataclass(frozen=True)
class ReportOptions:
    """How to draw: which boundaries to collapse into one node, whether to group replicas."""

    collapse: frozenset[str] = frozenset()  # boundary types ("namespace") or boundary ids
    group_replicas: bool = True


@dataclass(frozen=True)
class Format:
    name: str
    module: str  # the reporter module; imported only when the format is asked for
    filename: str  # the conventional file name under --output-dir ("" = the terminal)
    description: str
    function: str = "render"  # the module's function that renders this format


class _Render(Protocol):
    def __call__(self, result: ScanResult, options: ReportOptions) -> str | bytes: ...


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("console", "scanner.reporters.console", "", "terminal report"),
        Format("json", "scanner.reporters.json_report", "tmscan.json", "the JSON report"),
        Format("sarif", "scanner.reporters.sarif", "tmscan.sarif", "SARIF 2.1.0"),
        Format("markdown", "scanner.reporters.markdown", "threat-model.md", "threat model"),
        Format("html", "scanner.reporters.html", "tmscan.html", "self-contained HTML"),
        Format("mermaid", "scanner.reporters.mermaid", "dfd.mmd", "Mermaid flowchart"),
        Format("dot", "scanner.reporters.dot", "dfd.dot", "Graphviz DOT"),
        Format("svg", "scanner.reporters.dot", "dfd.svg", "diagram, SVG", "render_svg"),
        Format("png", "scanner.reporters.dot", "dfd.png", "diagram, PNG", "render_png"),
        Format("threat-dragon", "scanner.reporters.threat_dragon", "threat-dragon.json", "TD v2"),
        Format("otm", "scanner.reporters.otm", "tmscan.otm.json", "Open Threat Model, JSON"),
        Format(
            "otm-yaml", "scanner.reporters.otm", "tmscan.otm.yaml", "OTM, YAML", "render_otm_yaml"
        ),
    )
}


def render(name: str, result: ScanResult, options: ReportOptions = ReportOptions()) -> bytes:
    """One report as bytes (UTF-8 for text formats)."""
    fmt = FORMATS[name]
    module = importlib.import_module(fmt.module)
    out = cast(_Render, getattr(module, fmt.function))(result, options)
    return out.encode("utf-8") if isinstance(out, str) else out
