"""The pipeline: discover -> collect -> merge -> passes -> rules. The whole flow, one screen."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from collectors.kubernetes.collector import KubernetesCollector
from collectors.openapi.collector import OpenApiCollector
from collectors.terraform.collector import TerraformCollector
from rules.engine import Rule, evaluate
from scanner import config, passes
from scanner.attach import attach_specs
from scanner.control import control, select_rules
from scanner.discovery import Discovered, discover
from scanner.graph import DFDGraph
from scanner.joins import join_sources, join_twins
from scanner.merge import merge
from scanner.model import Diagnostic, Finding, Fragment, Join

if TYPE_CHECKING:
    from collectors.aws_live.session import AwsOptions
    from collectors.kubernetes.live import LiveOptions

log = logging.getLogger(__name__)


class Collector(Protocol):
    name: str

    def collect(self, root: Path, files: Sequence[Path]) -> Fragment: ...


@dataclass(frozen=True)
class ScanOptions:
    """What the user asked for beyond the path."""

    var_files: tuple[Path, ...] = ()  # Terraform variable files, applied in order
    use_cache: bool = True  # reuse parse results cached by content hash
    config: Path | None = None  # the scan configuration; default: .tmscan.yaml at the root
    kubernetes: LiveOptions | None = None  # a live cluster to read as well (--k8s)
    aws: AwsOptions | None = None  # live AWS accounts to read as well (--aws)
    rules_dir: Path | None = None  # custom YAML rules (--rules-dir); else the config's
    baseline: frozenset[str] = frozenset()  # fingerprints of an earlier report (--baseline)
    today: date | None = None  # for suppression expiry (tests fix it); default: today


def default_collectors(options: ScanOptions = ScanOptions()) -> dict[str, Collector]:
    """Source kind -> collector. The explicit list of what tmscan reads."""
    return {
        "terraform": TerraformCollector(var_files=options.var_files, use_cache=options.use_cache),
        "kubernetes": KubernetesCollector(),
        "openapi": OpenApiCollector(),
    }


@dataclass(frozen=True)
class ScanResult:
    root: str
    graph: DFDGraph
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    inputs: tuple[str, ...]
    skipped: dict[str, int]
    rules: tuple[Rule, ...] = ()  # the rules that ran (exports describe each one)
    joins: tuple[Join, ...] = ()  # links made between the sources, with their evidence


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """A scan builds many small objects and frees them at the end: the cycle collector
    only costs time here (about a third of a warm scan), so pause it for the scan."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(
    root: Path | None,
    collectors: dict[str, Collector] | None = None,
    rules: Sequence[Rule] | None = None,
    options: ScanOptions = ScanOptions(),
) -> ScanResult:
    with _no_gc():
        return _scan(root, collectors, rules, options)


def _scan(
    root: Path | None,
    collectors: dict[str, Collector] | None,
    rules: Sequence[Rule] | None,
    options: ScanOptions,
) -> ScanResult:
    """Files under `root` (if given) and live sources (if asked for), into one model."""
    collectors = default_collectors(options) if collectors is None else collectors
    found = discover(root) if root is not None else Discovered()
    base = (root if root.is_dir() else root.parent) if root is not None else Path.cwd()
    # Without a path, only a configuration named on the command line is read.
    settings, problems = (
        config.load(base, options.config)
        if root is not None or options.config
        else (config.Config(), [])
    )
    fragments = [Fragment(diagnostics=(*found.diagnostics, *problems))]
    live: list[str] = []  # accounts and clusters read
    if options.aws is not None:
        # boto3 is imported only for a live scan.
        from collectors.aws_live.collector import collect_aws  # noqa: PLC0415

        aws = collect_aws(options.aws)
        fragments.append(aws.fragment)
        live.extend(f"account {a}" for a in aws.accounts)
    if options.kubernetes is not None:
        # The Kubernetes client is imported only for a live scan (it costs ~0.3 s).
        from collectors.kubernetes.live import collect_live  # noqa: PLC0415

        cluster_fragment, cluster = collect_live(options.kubernetes)
        fragments.append(cluster_fragment)
        live.append(f"cluster {cluster}")
    skipped = dict(found.skipped)
    for kind, files in sorted(found.by_kind.items()):
        collector = collectors.get(kind)
        if collector is None:
            skipped[kind] = skipped.get(kind, 0) + len(files)
            fragments.append(_not_read(kind, len(files)))
            continue
        try:
            fragments.append(collector.collect(base, files))
        except Exception as e:  # a collector bug must not lose the other sources
            log.debug("collector %s failed", kind, exc_info=True)
            fragments.append(
                Fragment(
                    diagnostics=(
                        # The type only: an exception's text may quote the input.
                        Diagnostic(
                            "error",
                            f"collector {kind}",
                            f"failed ({type(e).__name__}); run with -vv for the trace",
                        ),
                    )
                )
            )
    attached = attach_specs(join_twins(merge(fragments)), settings.links)
    joined = join_sources(attached, settings.clusters, settings.same)
    model = passes.boundaries(joined)
    graph = DFDGraph(model.elements, model.flows, model.boundaries)
    chosen, rule_problems = select_rules(rules, settings, options.rules_dir, base)
    result = evaluate(graph, chosen)
    today = options.today or date.today()
    findings, controlled = control(result.findings, settings, base, today, options.baseline)
    notes = (*model.diagnostics, *result.diagnostics, *rule_problems, *controlled)
    return ScanResult(
        root=_label(root, live),
        graph=graph,
        findings=findings,
        diagnostics=tuple(sorted(notes)),
        inputs=model.inputs,
        skipped=dict(sorted(skipped.items())),
        rules=tuple(chosen),
        joins=model.joins,
    )


def _not_read(kind: str, count: int) -> Fragment:
    return Fragment(
        diagnostics=(
            Diagnostic("info", kind, f"{count} {kind} file(s) found; this source is not read yet"),
        )
    )


def _label(root: Path | None, live: list[str]) -> str:
    """What the report calls the scan: the folder's name, and/or the live scopes'."""
    parts = [root.name or str(root)] if root is not None else []
    parts += live
    return " + ".join(parts) or "nothing"
