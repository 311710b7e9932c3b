"""Controlling findings end to end through the CLI: inline and config suppressions (an
expired one no longer suppresses), a baseline run, and custom rules from a folder."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner

from scanner.cli import main
from tests.conftest import REPO, SHOP

CUSTOM = REPO / "tests" / "rules" / "custom"


def report(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_resource(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, str] | None]:
    return {(f["rule"], f["resource"]): f.get("suppression") for f in doc["findings"]}


def test_inline_and_config_suppressions_and_an_expired_one(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    database = repo / "database.tf"
    database.write_text(
        database.read_text().replace(
            'resource "aws_db_instance" "reporting" {',
            "# tmscan:ignore[TM-PUB-001] analysts' replica, firewalled by the vendor (SEC-77)\n"
            'resource "aws_db_instance" "reporting" {',
        )
    )
    (repo / ".tmscan.yaml").write_text(
        "suppress:\n"
        "  - rule: TM-PUB-001\n"
        "    resource: aws_s3_bucket.partner_feeds\n"
        "    reason: public partner feed by design (SEC-12)\n"
        "    expires: 2099-12-31\n"
        "  - rule: TM-TLS-001\n"
        "    resource: aws_lb_listener.*\n"
        "    reason: admin console moves to HTTPS this sprint\n"
        "    expires: 2020-01-31\n"
    )
    code, doc, _ = report(str(repo))
    schema = json.loads(resources.files("scanner").joinpath("data/report.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)  # suppressions too
    found = by_resource(doc)
    assert found[("TM-PUB-001", "aws_db_instance.reporting")] == {
        "kind": "suppressed",
        "reason": "inline: analysts' replica, firewalled by the vendor (SEC-77)",
    }
    assert found[("TM-PUB-001", "aws_s3_bucket.partner_feeds")] == {
        "kind": "suppressed",
        "reason": "public partner feed by design (SEC-12)",
    }
    # Expired: reported again, with a warning that says so.
    assert found[("TM-TLS-001", "aws_lb_listener.admin_http")] is None
    assert {
        "level": "warning",
        "line": 6,
        "message": "suppression for TM-TLS-001 on aws_lb_listener.admin_http expired on "
        "2020-01-31; the finding is reported again",
        "source": ".tmscan.yaml",
    } in doc["diagnostics"]
    assert code == 1  # the expired one (and the rest) still fail the run


def test_a_baseline_run_reports_only_new_findings(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    result = CliRunner().invoke(main, ["scan", str(SHOP), "--format", "json", "-o", str(first)])
    assert result.exit_code == 1
    code, doc, _ = report(str(SHOP), "--baseline", str(first))
    assert code == 0  # everything is in the baseline: nothing new fails the run
    assert {f["suppression"]["kind"] for f in doc["findings"]} == {"baseline"}
    # A new weakness is new: it alone is not in the baseline.
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    (repo / "admin.tf").write_text(
        'resource "aws_lb_listener" "admin_http_2" {\n'
        "  load_balancer_arn = aws_alb.admin.arn\n"
        "  port              = 8080\n"
        '  protocol          = "HTTP"\n'
        "  default_action {\n"
        '    type             = "forward"\n'
        "    target_group_arn = aws_lb_target_group.admin.arn\n"
        "  }\n"
        "}\n\n"
        'resource "aws_security_group_rule" "admin_alt_port" {\n'
        '  type              = "ingress"\n'
        "  security_group_id = aws_security_group.alb_admin.id\n"
        "  from_port         = 8080\n"
        "  to_port           = 8080\n"
        '  protocol          = "tcp"\n'
        '  cidr_blocks       = ["0.0.0.0/0"]\n'
        "}\n"
    )
    code, doc, _ = report(str(repo), "--baseline", str(first))
    fresh = [(f["rule"], f["resource"]) for f in doc["findings"] if "suppression" not in f]
    assert fresh == [("TM-TLS-001", "aws_lb_listener.admin_http_2")]
    assert code == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = CliRunner().invoke(main, ["scan", str(SHOP), "--baseline", str(broken)])
    assert bad.exit_code == 2 and "broken.json" in bad.stderr


def test_custom_rules_fire_with_their_own_ids_and_bad_ones_are_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(CUSTOM / "valid", rules)
    shutil.copy(CUSTOM / "invalid" / "fields.yaml", rules / "zz-fields.yaml")
    _, doc, _ = report(str(SHOP), "--rules-dir", str(rules))
    custom = sorted(
        (f["rule"], f["resource"], f["location"].get("file"), f["location"].get("line"))
        for f in doc["findings"]
        if f["rule"].startswith("ACME-")
    )
    assert ("ACME-SSH-001", "aws_instance.bastion", "security_groups.tf", 169) in custom
    assert {r for r, *_ in custom} >= {"ACME-S3-001", "ACME-SSH-001"}
    errors = [d for d in doc["diagnostics"] if d["source"].endswith("zz-fields.yaml")]
    assert errors and all(d["level"] == "error" and d["line"] for d in errors)
    assert any("severity: 'urgent' is not one of" in d["message"] for d in errors)
    listed = CliRunner().invoke(main, ["rules", "--rules-dir", str(rules)]).stdout
    assert "ACME-SSH-001" in listed


def test_the_console_lists_baselined_findings_apart_and_does_not_count_them(
    tmp_path: Path,
) -> None:
    first = tmp_path / "first.json"
    CliRunner().invoke(main, ["scan", str(SHOP), "--format", "json", "-o", str(first)])
    result = CliRunner().invoke(main, ["scan", str(SHOP), "--baseline", str(first)])
    assert result.exit_code == 0
    out = result.stdout
    assert "No findings." in out and "Findings" not in out.split("No findings.")[0]
    assert "Suppressed or in the baseline (11, not counted above)" in out
    assert "  baseline   TM-PUB-001 aws_db_instance.reporting: in the baseline report" in out
