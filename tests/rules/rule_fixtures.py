"""The per-rule fixture convention, and a checker for one rule.

Every rule has `fixtures/rules/<RULE-ID>/` with:
- `fail/`: a small, realistic system (Terraform, manifests, OpenAPI) where the rule fires;
- `pass/`: the same system with the weakness fixed (or a look-alike that is fine), where
  the rule stays silent;
- `expected.yaml`: the exact findings of that rule on `fail/`, one per entry:
  `{resource: ..., file: ..., line: ..., severity: ..., confidence: ...}` (file relative to
  `fail/`; line omitted when the location has none).

    python -m tests.rules.rule_fixtures TM-XXX-001 rules.module:ClassName

checks one rule on its fixtures without registering it (the suite checks every
registered rule the same way in tests/rules/test_rule_fixtures.py).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import yaml

from rules.engine import Rule
from scanner.pipeline import ScanOptions, scan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
# Rules that need a live account beside the files: their exact findings are checked by
# the named test against a moto server instead of fixture folders.
LIVE_FIXTURES = {"TM-DRIFT-001": "tests/collectors/aws_live/test_twins.py"}


def findings_of(rule: Rule, path: Path) -> list[dict[str, Any]]:
    """The rule's findings on a fixture folder, as expected.yaml spells them."""
    result = scan(path, rules=[rule], options=ScanOptions(use_cache=False))
    out = []
    for f in result.findings:
        if f.rule != rule.meta.id:
            continue
        row: dict[str, Any] = {"resource": f.resource}
        loc = f.location
        if "file" in loc:
            row["file"] = loc["file"]
        if "line" in loc:
            row["line"] = loc["line"]
        row["severity"] = f.severity.label
        row["confidence"] = f.confidence.label
        out.append(row)
    return sorted(out, key=lambda r: (r["resource"], str(r.get("file")), r.get("line") or 0))


def expected(rule_id: str) -> list[dict[str, Any]]:
    loaded = yaml.safe_load((FIXTURES / rule_id / "expected.yaml").read_text()) or []
    return sorted(loaded, key=lambda r: (r["resource"], str(r.get("file")), r.get("line") or 0))


def check(rule: Rule) -> list[str]:
    """Problems with one rule's fixtures; empty when it fires exactly as expected."""
    base = FIXTURES / rule.meta.id
    problems = []
    for part in ("fail", "pass", "expected.yaml"):
        if not (base / part).exists():
            problems.append(f"{base / part} is missing")
    if problems:
        return problems
    got, want = findings_of(rule, base / "fail"), expected(rule.meta.id)
    if got != want:
        problems.append(f"fail/: got {got}, expected {want}")
    if not want:
        problems.append("expected.yaml lists no finding: the failing fixture must fail")
    silent = findings_of(rule, base / "pass")
    if silent:
        problems.append(f"pass/: expected no finding, got {silent}")
    return problems


def main() -> None:
    rule_id, target = sys.argv[1], sys.argv[2]
    module, _, name = target.partition(":")
    rule = getattr(importlib.import_module(module), name)()
    assert rule.meta.id == rule_id, f"{target} is {rule.meta.id}, not {rule_id}"
    problems = check(rule)
    print("\n".join(problems) or f"{rule_id}: fixtures OK")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
