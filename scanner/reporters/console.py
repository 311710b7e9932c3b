"""The terminal report: a summary by severity and STRIDE, then each finding with its path."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scanner.model import Confidence, Finding, Severity
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions
from scanner.reporters.common import STRIDE_NAMES

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _summary(findings: list[Finding]) -> Table:
    table = Table(title="Findings", show_edge=False, title_justify="left")
    table.add_column("severity")
    table.add_column("count", justify="right")
    for sev in sorted(Severity, reverse=True):
        n = sum(1 for f in findings if f.severity == sev)
        if n:
            table.add_row(f"[{_STYLE[sev]}]{sev.label}[/]", str(n))
    stride = Table(title="STRIDE", show_edge=False, title_justify="left")
    stride.add_column("category")
    stride.add_column("count", justify="right")
    for letter, name in STRIDE_NAMES.items():
        n = sum(1 for f in findings if letter in f.stride)
        if n:
            stride.add_row(f"{letter}  {name}", str(n))
    grid = Table.grid(padding=(0, 6))
    grid.add_row(table, stride)
    return grid


def _finding(console: Console, f: Finding, number: int) -> None:
    where = f.evidence[0].short() if f.evidence else "?"
    console.print(
        f"[{_STYLE[f.severity]}]{f.severity.label.upper():8}[/] [bold]{f.rule}[/] "
        f"{escape(f.title)}  [dim]#{number}[/]"
    )
    console.print(f"  resource  {escape(f.resource)}  ({escape(where)})")
    console.print(f"  stride    {''.join(f.stride)}   controls {', '.join(f.controls)}")
    if f.path:
        hops = " -> ".join(p.split("//", 1)[-1] for p in f.path)
        console.print(f"  path      {escape(hops)}")
    console.print(f"  {escape(f.message)}", soft_wrap=False)
    console.print(f"  [green]fix[/] {escape(f.remediation)}")
    console.print()


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    """The report as plain text (no colours), 120 columns: for files."""
    buffer = io.StringIO()
    print_report(result, Console(file=buffer, highlight=False, width=120, no_color=True))
    return buffer.getvalue()


def print_report(result: ScanResult, console: Console) -> None:
    g = result.graph
    console.print(
        f"[bold]tmscan[/] {escape(result.root)}: {len(result.inputs)} files read, "
        f"{len(g.elements)} elements, {len(g.flows)} flows, {len(g.boundaries)} trust boundaries"
    )
    active = [f for f in result.findings if f.suppression is None]
    quiet = [f for f in result.findings if f.suppression is not None]
    confirmed = [f for f in active if f.confidence != Confidence.LOW]
    unconfirmed = [f for f in active if f.confidence == Confidence.LOW]
    if not active:
        console.print("[green]No findings.[/]")
    else:
        console.print(_summary(active))
        console.print()
        for i, f in enumerate(confirmed, 1):
            _finding(console, f, i)
        if unconfirmed:
            console.print("[bold]Unconfirmed[/] (a needed fact is outside the scanned sources)")
            for i, f in enumerate(unconfirmed, len(confirmed) + 1):
                _finding(console, f, i)
    if quiet:
        console.print(f"[bold]Suppressed or in the baseline[/] ({len(quiet)}, not counted above)")
        for f in quiet:
            kind = f.suppression.kind if f.suppression else ""
            reason = f.suppression.reason if f.suppression else ""
            console.print(f"  [dim]{kind:10}[/] {f.rule} {escape(f.resource)}: {escape(reason)}")
        console.print()
    if result.diagnostics:
        console.print(f"[bold]Diagnostics[/] ({len(result.diagnostics)})")
        for d in result.diagnostics:
            style = {"error": "red", "warning": "yellow"}.get(d.level, "dim")
            console.print(f"  [{style}]{d.level:7}[/] {escape(d.short())}")
