"""The scan configuration: rules, severities, suppressions, in YAML and pyproject.toml."""

from __future__ import annotations

import datetime
from pathlib import Path

from scanner.config import Config, ConfigSuppression, Link, check_rules, find, load
from scanner.model import Diagnostic, Severity

FULL = """\
rules:
  disable: [TM-RES-001]
  severity: {TM-TLS-001: high}
  custom: .tmscan/rules
suppress:
  - rule: TM-PUB-001
    resource: aws_s3_bucket.partner_feeds
    reason: public partner feed, accepted by security (SEC-1234)
    expires: 2027-01-31
  - fingerprint: 8BFF92FB5C08ABAACE72B695EB981E15
    reason: reviewed
  - resource: "aws_s3_bucket.*"
    reason: buckets are someone else's
links:
  - openapi: api/orders.yaml
    served_by: aws_api_gateway_rest_api.orders
"""


def test_full_yaml(tmp_path: Path) -> None:
    (tmp_path / ".tmscan.yaml").write_text(FULL)
    (tmp_path / ".tmscan" / "rules").mkdir(parents=True)
    config, problems = load(tmp_path)
    assert problems == []
    assert config.source == ".tmscan.yaml"
    assert config.disabled == frozenset({"TM-RES-001"})
    assert dict(config.severities) == {"TM-TLS-001": Severity.HIGH}
    assert config.rules_dir == tmp_path / ".tmscan" / "rules"
    assert config.suppressions == (
        ConfigSuppression(
            "TM-PUB-001",
            "aws_s3_bucket.partner_feeds",
            None,
            "public partner feed, accepted by security (SEC-1234)",
            datetime.date(2027, 1, 31),
            ".tmscan.yaml",
            6,
        ),
        ConfigSuppression(
            None, None, "8bff92fb5c08abaace72b695eb981e15", "reviewed", None, ".tmscan.yaml", 10
        ),
        ConfigSuppression(
            None, "aws_s3_bucket.*", None, "buckets are someone else's", None, ".tmscan.yaml", 12
        ),
    )
    assert config.links == (
        Link("api/orders.yaml", "aws_api_gateway_rest_api.orders", ".tmscan.yaml", 15),
    )


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    config, problems = load(tmp_path)
    assert config == Config() and problems == []
    assert config.disabled == frozenset() and dict(config.severities) == {}


BROKEN = """\
rules:
  disable: [TM-RES-001, 7]
  severity:
    TM-TLS-001: urgent
    TM-PUB-001: low
  custom: nowhere
  colour: blue
suppress:
  - rule: TM-PUB-001
    reason: fine
  - rule: TM-PUB-001
    resource: aws_s3_bucket.x
  - reason: nothing named
  - fingerprint: abc
    reason: short
  - rule: TM-PUB-001
    reason: when?
    expires: next tuesday
  - rule: TM-TLS-001
    reason: "   "
    until: 2027-01-01
  - just a string
  - rule: [TM-PUB-001]
    reason: a list
"""


def test_each_invalid_field_is_named_and_the_rest_applies(tmp_path: Path) -> None:
    (tmp_path / ".tmscan.yaml").write_text(BROKEN)
    config, problems = load(tmp_path)
    f = ".tmscan.yaml"
    choices = "(choose from info, low, medium, high, critical)"
    assert problems == [
        Diagnostic("warning", f, "rules: unknown field(s) colour", 2),
        Diagnostic("error", f, "rules.disable[1]: must be a rule id", 2),
        Diagnostic(
            "error", f, f"rules.severity.TM-TLS-001: unknown severity 'urgent' {choices}", 4
        ),
        Diagnostic("error", f, "rules.custom: 'nowhere' is not a folder next to .tmscan.yaml", 6),
        Diagnostic("error", f, "suppress[1]: reason is required", 11),
        Diagnostic("error", f, "suppress[2]: give a rule, a resource or a fingerprint", 13),
        Diagnostic(
            "error", f, "suppress[3].fingerprint: must be 32 hex digits, as in a report", 14
        ),
        Diagnostic("error", f, "suppress[4].expires: must be a date (YYYY-MM-DD)", 18),
        Diagnostic("warning", f, "suppress[5]: unknown field(s) until", 19),
        Diagnostic("error", f, "suppress[5]: reason is required", 19),
        Diagnostic("error", f, "suppress[6]: must be a mapping with a reason", 22),
        Diagnostic("error", f, "suppress[7].rule: must be text", 23),
    ]
    assert config.disabled == frozenset({"TM-RES-001"})
    assert dict(config.severities) == {"TM-PUB-001": Severity.LOW}
    assert config.rules_dir is None
    assert config.suppressions == (ConfigSuppression("TM-PUB-001", None, None, "fine", None, f, 9),)


def test_wrong_shapes(tmp_path: Path) -> None:
    (tmp_path / ".tmscan.yaml").write_text("rules: [TM-RES-001]\nsuppress:\n  rule: TM-PUB-001\n")
    config, problems = load(tmp_path)
    assert problems == [
        Diagnostic("error", ".tmscan.yaml", "rules: must be a mapping", 1),
        Diagnostic("error", ".tmscan.yaml", "suppress: must be a list", 2),
    ]
    assert config.suppressions == () and config.disabled == frozenset()


def test_unknown_rule_ids_when_the_rules_are_known(tmp_path: Path) -> None:
    (tmp_path / ".tmscan.yaml").write_text(
        "rules:\n"
        "  disable: [TM-RES-001, TM-NOPE-001]\n"
        "  severity: {TM-NOPE-002: high}\n"
        "suppress:\n"
        "  - rule: TM-NOPE-003\n"
        "    reason: typo\n"
    )
    known = {"TM-RES-001", "TM-PUB-001"}
    config, problems = load(tmp_path, known_rules=known)
    assert problems == [
        Diagnostic("warning", ".tmscan.yaml", "rules.disable: unknown rule id TM-NOPE-001", 2),
        Diagnostic("warning", ".tmscan.yaml", "rules.severity: unknown rule id TM-NOPE-002", 3),
        Diagnostic("warning", ".tmscan.yaml", "suppress[0]: unknown rule id TM-NOPE-003", 5),
    ]
    # Unknown ids do no harm, so they stay; without known_rules nothing is checked.
    assert config.disabled == frozenset({"TM-RES-001", "TM-NOPE-001"})
    assert load(tmp_path)[1] == []
    assert check_rules(config, known | {"TM-NOPE-001", "TM-NOPE-002"}) == problems[2:]


PYPROJECT = """\
[project]
name = "shop"

[tool.tmscan.rules]
disable = ["TM-RES-001"]
severity = {TM-TLS-001 = "high"}
custom = "rules"

[[tool.tmscan.suppress]]
rule = "TM-PUB-001"
resource = "aws_s3_bucket.*"
reason = "public feeds"
expires = 2025-01-31

[[tool.tmscan.suppress]]
fingerprint = "8bff92fb5c08abaace72b695eb981e15"

[[tool.tmscan.links]]
openapi = "api/orders.yaml"
served_by = "Service/shop/orders"
"""


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "rules").mkdir()
    assert find(tmp_path, None) == tmp_path / "pyproject.toml"
    config, problems = load(tmp_path)
    assert problems == [
        Diagnostic("error", "pyproject.toml", "suppress[1]: reason is required", 15)
    ]
    assert config.source == "pyproject.toml"
    assert config.disabled == frozenset({"TM-RES-001"})
    assert dict(config.severities) == {"TM-TLS-001": Severity.HIGH}
    assert config.rules_dir == tmp_path / "rules"
    assert config.suppressions == (
        ConfigSuppression(
            "TM-PUB-001",
            "aws_s3_bucket.*",
            None,
            "public feeds",
            datetime.date(2025, 1, 31),
            "pyproject.toml",
            9,
        ),
    )
    assert config.links == (Link("api/orders.yaml", "Service/shop/orders", "pyproject.toml", None),)


def test_yaml_wins_over_pyproject_and_plain_pyprojects_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    assert find(tmp_path, None) is None
    assert load(tmp_path) == (Config(), [])
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / ".tmscan.yml").write_text("rules: {disable: [TM-API-001]}\n")
    config, problems = load(tmp_path)
    assert (config.source, config.disabled, problems) == (
        ".tmscan.yml",
        frozenset({"TM-API-001"}),
        [],
    )


def test_explicit_toml_and_its_errors(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "pyproject.toml"
    other.parent.mkdir()
    other.write_text('[tool.tmscan.rules]\ndisable = ["TM-API-001"]\n')
    config, problems = load(tmp_path, other)
    assert (config.source, config.disabled, problems) == (
        "elsewhere/pyproject.toml",
        frozenset({"TM-API-001"}),
        [],
    )
    other.write_text('[project]\nname = "x"\n')
    assert load(tmp_path, other) == (
        Config(source="elsewhere/pyproject.toml"),
        [
            Diagnostic(
                "warning", "elsewhere/pyproject.toml", "no [tool.tmscan] table; defaults apply"
            )
        ],
    )
    other.write_text('[tool.tmscan]\nrules = {disable = ["TM-API-001"]\nx = 1\n')
    config, problems = load(tmp_path, other)
    assert config == Config(source="elsewhere/pyproject.toml")
    assert [(d.level, d.line) for d in problems] == [("error", 2)]
    assert problems[0].message.startswith("cannot parse: ")
