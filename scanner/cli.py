"""The command line: `tmscan scan PATH` and friends. The only place that prints."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scanner import __version__
from scanner.model import Confidence, Finding, Severity

if TYPE_CHECKING:
    from scanner.pipeline import ScanResult

FORMATS = ("console", "json")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def failing(findings: tuple[Finding, ...], fail_on: str) -> list[Finding]:
    """Findings that fail the run: at or above the threshold, confirmed, not suppressed."""
    if fail_on == "none":
        return []
    threshold = Severity.parse(fail_on)
    return [
        f
        for f in findings
        if f.severity >= threshold and f.confidence != Confidence.LOW and f.suppression is None
    ]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="tmscan")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug).")
def main(verbose: int) -> None:
    """tmscan: draw the data-flow diagram of a system from what describes it, and flag
    STRIDE and zero-trust violations on it."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="console",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to FILE instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["critical", "high", "medium", "low", "info", "none"]),
    default="low",
    show_default=True,
    help="Exit 1 when a confirmed finding is at or above this severity.",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Terraform variable file to apply (repeatable; later files win).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Do not read or write the parse cache (~/.cache/tmscan).",
)
def scan(
    path: Path,
    fmt: str,
    output: Path | None,
    fail_on: str,
    var_files: tuple[Path, ...],
    no_cache: bool,
) -> None:
    """Scan PATH (a directory or file: Terraform today) and report findings.

    \b
    Exit codes:
      0  no confirmed finding at or above --fail-on
      1  findings at or above --fail-on
      2  usage error or fatal error
    """
    # Heavy imports (networkx, lark) only when scanning: --help/--version stay fast.
    from scanner.pipeline import ScanOptions  # noqa: PLC0415
    from scanner.pipeline import scan as run_scan  # noqa: PLC0415

    options = ScanOptions(tuple(p.resolve() for p in var_files), use_cache=not no_cache)
    try:
        result = run_scan(path.resolve(), options=options)
    except Exception as e:  # fatal: report and exit 2 rather than a traceback
        click.echo(f"tmscan: fatal: {type(e).__name__}: {e}", err=True)
        logging.getLogger(__name__).debug("fatal error", exc_info=True)
        sys.exit(EXIT_ERROR)
    try:
        _write(result, fmt, output)
    except OSError as e:
        click.echo(f"tmscan: cannot write {output}: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    if not result.inputs and any(d.level == "error" for d in result.diagnostics):
        click.echo("tmscan: nothing could be read (see the diagnostics)", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if failing(result.findings, fail_on) else EXIT_OK)


def _write(result: ScanResult, fmt: str, output: Path | None) -> None:
    from scanner.reporters import console, json_report  # noqa: PLC0415

    if fmt == "json":
        text = json_report.render(result)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, "utf-8")
        return
    from rich.console import Console  # noqa: PLC0415

    if output is None:
        console.render(result, Console(highlight=False))
    else:
        with output.open("w", encoding="utf-8") as fh:
            console.render(result, Console(file=fh, highlight=False, width=120, no_color=True))
