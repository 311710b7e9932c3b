"""The rule catalogue as a whole: ids, documentation, references, fixtures, coverage,
the `rules` and `explain` commands, and docs/rules.md being current."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from rules import docs
from rules.engine import CONTROLS
from rules.registry import builtin_rules
from scanner.cli import main
from tests.conftest import REPO

from .rule_fixtures import FIXTURES, LIVE_FIXTURES

RULES = builtin_rules()
ID = re.compile(r"^TM-[A-Z0-9]+-\d{3}$")


def test_ids_are_unique_well_formed_and_documented() -> None:
    ids = [r.meta.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        flags, why, fix = docs.sections(rule)
        assert ID.match(rule.meta.id), rule.meta.id
        assert flags and why and fix, f"{rule.meta.id}: docstring needs what, why and fix"
        assert rule.meta.references, f"{rule.meta.id}: no references"
        assert any(r.startswith("CWE-") for r in rule.meta.references), rule.meta.id


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    missing = [
        r.meta.id
        for r in RULES
        if r.meta.id not in LIVE_FIXTURES
        and not all((FIXTURES / r.meta.id / p).exists() for p in ("fail", "pass", "expected.yaml"))
    ]
    assert missing == []
    repo = FIXTURES.parents[1]
    assert [t for t in LIVE_FIXTURES.values() if not (repo / t).exists()] == []
    orphans = sorted(p.name for p in FIXTURES.iterdir() if p.name not in {r.meta.id for r in RULES})
    assert orphans == []


def test_at_least_40_rules_and_two_per_stride_letter_and_control() -> None:
    assert len(RULES) >= 40
    for letter in "STRIDE":
        covering = [r.meta.id for r in RULES if letter in r.meta.stride]
        assert len(covering) >= 2, (letter, covering)
    for control in sorted(CONTROLS):
        covering = [r.meta.id for r in RULES if control in r.meta.controls]
        assert len(covering) >= 2, (control, covering)


def test_docs_rules_md_is_current() -> None:
    """Regenerate with: tmscan rules --format markdown > docs/rules.md"""
    assert (REPO / "docs" / "rules.md").read_text("utf-8") == docs.markdown(RULES)


def test_rules_and_explain_commands() -> None:
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["rules", "--format", "json"]).stdout)
    assert [r["id"] for r in listed] == sorted(r.meta.id for r in RULES)
    waf = next(r for r in listed if r["id"] == "TM-WAF-001")
    assert waf == {
        "id": "TM-WAF-001",
        "name": "entry-point-without-waf",
        "title": "Internet-facing entry point without a web application firewall",
        "severity": "low",
        "stride": ["T", "D"],
        "controls": ["input-validation", "rate-limit"],
        "references": ["CWE-20", "CWE-770", "OWASP ASVS 5.0 1.2.5", "OWASP API8:2023"],
        "remediation": waf["remediation"],
    }
    table = runner.invoke(main, ["rules"]).stdout.splitlines()
    assert (
        "TM-WAF-001   low      TD     Internet-facing entry point without a web application firewall"
        in table
    )
    shown = runner.invoke(main, ["explain", "tm-waf-001"])
    assert shown.exit_code == 0
    assert shown.stdout.startswith("TM-WAF-001  Internet-facing entry point without a web")
    assert "\nWhy it matters: a WAF is where" in shown.stdout
    assert "\nReferences: CWE-20; CWE-770;" in shown.stdout
    unknown = runner.invoke(main, ["explain", "TM-NOPE-001"])
    assert unknown.exit_code == 2 and "no rule 'TM-NOPE-001'" in unknown.stderr
