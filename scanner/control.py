"""What the user controls around the rules: which run (built-in, custom, disabled), and
what happens to their findings (severities, suppressions, the baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rules.custom import load_custom_rules
from rules.engine import Rule
from rules.registry import builtin_rules
from scanner import config, suppress
from scanner.model import Diagnostic, Finding


def select_rules(
    given: Sequence[Rule] | None, settings: config.Config, rules_dir: Path | None, base: Path
) -> tuple[list[Rule], list[Diagnostic]]:
    """The rules to run: the built-ins (or `given`), plus custom YAML rules from
    `rules_dir` (the command line) or the configuration's `rules.custom`, minus the
    disabled ones; and the problems found on the way."""
    found = builtin_rules() if given is None else list(given)
    diagnostics: list[Diagnostic] = []
    folder = rules_dir or settings.rules_dir
    if folder is not None:
        label = _label(folder, base)
        custom, problems = load_custom_rules(folder, {r.meta.id for r in found}, label=label)
        found += custom
        diagnostics += problems
    diagnostics += config.check_rules(settings, {r.meta.id for r in found})
    return [r for r in found if r.meta.id not in settings.disabled], diagnostics


def control(
    findings: tuple[Finding, ...],
    settings: config.Config,
    base: Path,
    today: date,
    baseline: frozenset[str],
) -> tuple[tuple[Finding, ...], list[Diagnostic]]:
    """Severities changed, suppressions and the baseline applied; order restored."""
    changed, diagnostics = suppress.apply(findings, settings, base, today, baseline)
    return tuple(sorted(changed, key=Finding.sort_key)), diagnostics


def _label(folder: Path, base: Path) -> str:
    try:
        return folder.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return folder.name
