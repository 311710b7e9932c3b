"""The command line: `tmscan scan PATH` and friends. The only place that prints."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scanner import __version__
from scanner.cli_aws import aws_options, aws_settings
from scanner.model import Confidence, Finding, Severity

if TYPE_CHECKING:
    from collectors.kubernetes.live import LiveOptions
    from rules.engine import Rule
    from scanner.pipeline import ScanResult
    from scanner.reporters import ReportOptions

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


def _split(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """`--format sarif,json --format png` -> ("sarif", "json", "png"), in order, once each."""
    return tuple(
        dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip())
    )


def _formats(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    from scanner.reporters import FORMATS  # noqa: PLC0415

    names = _split(ctx, param, values) or ("console",)
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown)} (choose from {', '.join(FORMATS)})"
        )
    return names


@main.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="table for people, json for tools, markdown for docs/rules.md.",
)
@click.option(
    "--rules-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also list the custom YAML rules in this folder.",
)
def list_rules(fmt: str, rules_dir: Path | None) -> None:
    """List the rules: id, title, severity, STRIDE, controls."""
    import json  # noqa: PLC0415

    from rules import docs  # noqa: PLC0415

    found = sorted(_all_rules(rules_dir), key=lambda r: r.meta.id)
    if fmt == "json":
        click.echo(json.dumps([docs.describe(r) for r in found], indent=2))
    elif fmt == "markdown":
        click.echo(docs.markdown(found), nl=False)
    else:
        for r in found:
            m = r.meta
            click.echo(f"{m.id:12} {m.severity.label:8} {''.join(m.stride):6} {m.title}")


def _all_rules(rules_dir: Path | None) -> list[Rule]:
    """The built-in rules, and the custom ones of `rules_dir` (problems to stderr): the
    same selection a scan makes, without a configuration."""
    from scanner.config import Config  # noqa: PLC0415
    from scanner.control import select_rules  # noqa: PLC0415

    found, problems = select_rules(None, Config(), rules_dir, Path.cwd())
    for d in problems:
        click.echo(f"tmscan: {d.level}: {d.short()}", err=True)
    return found


@main.command()
@click.argument("rule_id")
@click.option(
    "--rules-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also look among the custom YAML rules in this folder.",
)
def explain(rule_id: str, rules_dir: Path | None) -> None:
    """Print what RULE_ID flags, why it matters, how to fix it, and its references."""
    from rules import docs  # noqa: PLC0415

    found = {r.meta.id.upper(): r for r in _all_rules(rules_dir)}
    rule = found.get(rule_id.upper())
    if rule is None:
        raise click.UsageError(f"no rule {rule_id!r} (`tmscan rules` lists them)")
    click.echo(docs.explain(rule), nl=False)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@aws_options
@click.option("--k8s", "k8s", is_flag=True, help="Also read a live Kubernetes cluster (read-only).")
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="kubeconfig for --k8s (default: $KUBECONFIG or ~/.kube/config; in a pod, its "
    "service account).",
)
@click.option("--context", help="kubeconfig context for --k8s (default: the current one).")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Read only this namespace with --k8s (repeatable; default: the whole cluster).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    callback=_formats,
    metavar="FORMAT[,FORMAT...]",
    help="Report format(s): console (default), json, sarif, markdown, html, mermaid, dot, "
    "svg, png, threat-dragon, otm, otm-yaml. Several need --output-dir.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the one report to FILE instead of stdout.",
)
@click.option(
    "--output-dir",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each report to DIR under its conventional name (console still prints).",
)
@click.option(
    "--collapse",
    multiple=True,
    callback=_split,
    metavar="TYPE|ID",
    help="Draw every boundary of this type (namespace, subnet, vpc, cluster, ...) or this "
    "boundary id as one node in diagrams (repeatable).",
)
@click.option(
    "--no-group-replicas",
    is_flag=True,
    help="In diagrams, draw count/for_each copies one by one instead of as one node.",
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
@click.option(
    "--rules-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of custom YAML rules to run as well (see docs/rules.md).",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier JSON report: findings already in it are marked `baseline` and do "
    "not fail the run.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scan configuration (default: .tmscan.yaml in PATH).",
)
def scan(
    path: Path | None,
    aws: bool,
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    role_arns: tuple[str, ...],
    external_id: str | None,
    aws_concurrency: int,
    k8s: bool,
    kubeconfig: Path | None,
    context: str | None,
    namespaces: tuple[str, ...],
    formats: tuple[str, ...],
    output: Path | None,
    output_dir: Path | None,
    collapse: tuple[str, ...],
    no_group_replicas: bool,
    fail_on: str,
    var_files: tuple[Path, ...],
    no_cache: bool,
    rules_dir: Path | None,
    baseline: Path | None,
    config_file: Path | None,
) -> None:
    """Scan PATH (a directory or file), live AWS accounts (--aws) and/or a live cluster
    (--k8s), into one model, and report findings.

    \b
    Exit codes:
      0  no confirmed finding at or above --fail-on
      1  findings at or above --fail-on
      2  usage error or fatal error (including a report that could not be written)
    """
    if path is None and not k8s and not aws:
        raise click.UsageError("nothing to scan: give a PATH, --aws and/or --k8s")
    aws_live = aws_settings(
        aws,
        aws_concurrency,
        profile=profile,
        regions=regions,
        all_regions=all_regions,
        role_arns=role_arns,
        external_id=external_id,
    )
    if (kubeconfig or context or namespaces) and not k8s:
        raise click.UsageError("--kubeconfig, --context and --namespace go with --k8s")
    if output is not None and output_dir is not None:
        raise click.UsageError("--output and --output-dir exclude each other")
    if len(formats) > 1 and output_dir is None:
        raise click.UsageError(f"{len(formats)} formats need --output-dir (or one --format)")
    # Heavy imports (networkx, lark) only when scanning: --help/--version stay fast.
    from scanner.pipeline import ScanOptions  # noqa: PLC0415
    from scanner.pipeline import scan as run_scan  # noqa: PLC0415
    from scanner.reporters import ReportOptions  # noqa: PLC0415

    known: frozenset[str] = frozenset()
    if baseline is not None:
        from scanner.suppress import load_baseline  # noqa: PLC0415

        known, problems = load_baseline(baseline)
        if any(d.level == "error" for d in problems):
            for d in problems:
                click.echo(f"tmscan: {d.short()}", err=True)
            sys.exit(EXIT_ERROR)
    options = ScanOptions(
        tuple(p.resolve() for p in var_files),
        use_cache=not no_cache,
        config=config_file.resolve() if config_file else None,
        kubernetes=_live_options(kubeconfig, context, namespaces) if k8s else None,
        aws=aws_live,
        rules_dir=rules_dir.resolve() if rules_dir else None,
        baseline=known,
    )
    try:
        result = run_scan(path.resolve() if path else None, options=options)
    except Exception as e:  # fatal: report and exit 2 rather than a traceback
        click.echo(f"tmscan: fatal: {type(e).__name__}: {e}", err=True)
        logging.getLogger(__name__).debug("fatal error", exc_info=True)
        sys.exit(EXIT_ERROR)
    report_options = ReportOptions(frozenset(collapse), group_replicas=not no_group_replicas)
    _warn_unmatched_collapse(result, collapse)
    written = _write_all(result, formats, output, output_dir, report_options)
    if not written:
        sys.exit(EXIT_ERROR)
    if not result.inputs and any(d.level == "error" for d in result.diagnostics):
        click.echo("tmscan: nothing could be read (see the diagnostics)", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if failing(result.findings, fail_on) else EXIT_OK)


def _live_options(
    kubeconfig: Path | None, context: str | None, namespaces: tuple[str, ...]
) -> LiveOptions:
    """A kubeconfig when one is given or exists; inside a pod, its service account."""
    from collectors.kubernetes.live import LiveOptions  # noqa: PLC0415

    in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    default = Path(os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep)[0])
    in_cluster = kubeconfig is None and in_pod and not default.expanduser().exists()
    return LiveOptions(kubeconfig, context, tuple(dict.fromkeys(namespaces)), in_cluster)


def _warn_unmatched_collapse(result: ScanResult, collapse: tuple[str, ...]) -> None:
    known = {b.type for b in result.graph.boundaries} | {b.id for b in result.graph.boundaries}
    for value in collapse:
        if value not in known:
            click.echo(f"tmscan: --collapse {value}: no boundary has this type or id", err=True)


def _write_all(
    result: ScanResult,
    formats: tuple[str, ...],
    output: Path | None,
    output_dir: Path | None,
    options: ReportOptions,
) -> bool:
    """Write every report; one that fails is named and the others are still written."""
    from scanner.reporters import FORMATS, ReportError, render  # noqa: PLC0415

    if output_dir is not None:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            click.echo(f"tmscan: cannot create {output_dir}: {e.strerror or e}", err=True)
            return False
    ok = True
    for name in formats:
        if name == "console" and output is None:
            _print_console(result)
            continue
        target = output if output_dir is None else output_dir / FORMATS[name].filename
        try:
            data = render(name, result, options)
            if target is None:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            else:
                target.write_bytes(data)
                if output_dir is not None:
                    click.echo(f"tmscan: wrote {target}", err=True)
        except ReportError as e:
            click.echo(f"tmscan: {name}: {e}", err=True)
            ok = False
        except OSError as e:
            click.echo(f"tmscan: cannot write {target}: {e.strerror or e}", err=True)
            ok = False
        except Exception as e:  # a reporter bug: name it, write the others, exit 2
            logging.getLogger(__name__).debug("reporter %s failed", name, exc_info=True)
            click.echo(f"tmscan: {name}: failed ({type(e).__name__}); run with -vv", err=True)
            ok = False
    return ok


def _print_console(result: ScanResult) -> None:
    from rich.console import Console  # noqa: PLC0415

    from scanner.reporters import console  # noqa: PLC0415

    console.print_report(result, Console(highlight=False))
