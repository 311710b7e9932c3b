"""Suppressions (configuration, inline comments), baselines, severities and disabled rules."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from scanner.config import Config, ConfigSuppression, load
from scanner.model import Confidence, Diagnostic, Evidence, Finding, Severity, Suppression
from scanner.pipeline import ScanOptions, scan
from scanner.reporters import json_report
from scanner.suppress import BASELINED, apply, load_baseline, matches

SHOP = Path(__file__).resolve().parents[2] / "fixtures" / "shop"
TODAY = date(2025, 2, 1)


def finding(
    rule: str = "TM-PUB-001",
    resource: str = "aws_s3_bucket.partner_feeds",
    fingerprint: str = "f" * 32,
    evidence: tuple[Evidence, ...] = (Evidence("terraform", "storage.tf", 4, end_line=8),),
) -> Finding:
    return Finding(
        rule=rule,
        title="t",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        stride=("I",),
        controls=("public-exposure",),
        resource=resource,
        element=f"tf:.//{resource}",
        message="m",
        remediation="r",
        evidence=evidence,
        fingerprint=fingerprint,
    )


def rule(
    rule: str | None = None,
    resource: str | None = None,
    fingerprint: str | None = None,
    expires: date | None = None,
    reason: str = "accepted (SEC-1234)",
) -> ConfigSuppression:
    return ConfigSuppression(rule, resource, fingerprint, reason, expires, ".tmscan.yaml", 7)


def only(*suppressions: ConfigSuppression) -> Config:
    return Config(source=".tmscan.yaml", suppressions=suppressions)


def kinds(found: tuple[Finding, ...]) -> list[tuple[str, str | None, str | None]]:
    return [
        (
            f.resource,
            f.suppression.kind if f.suppression else None,
            f.suppression.reason if f.suppression else None,
        )
        for f in found
    ]


def test_config_suppression_until_its_expiry_day(tmp_path: Path) -> None:
    f = finding()
    config = only(rule("TM-PUB-001", "aws_s3_bucket.partner_feeds", expires=date(2025, 2, 1)))
    out, notes = apply((f,), config, tmp_path, TODAY)
    assert out == (
        dataclasses.replace(f, suppression=Suppression("suppressed", "accepted (SEC-1234)")),
    )
    assert notes == []
    out, notes = apply((f,), config, tmp_path, date(2025, 2, 2))
    assert out == (f,)
    assert notes == [
        Diagnostic(
            "warning",
            ".tmscan.yaml",
            "suppression for TM-PUB-001 on aws_s3_bucket.partner_feeds expired on 2025-02-01; "
            "the finding is reported again",
            7,
        )
    ]


def test_an_expired_entry_is_silent_when_another_suppresses(tmp_path: Path) -> None:
    config = only(
        rule("TM-PUB-001", expires=date(2025, 1, 31)), rule(resource="aws_s3_bucket.*", reason="ok")
    )
    out, notes = apply((finding(),), config, tmp_path, TODAY)
    assert kinds(out) == [("aws_s3_bucket.partner_feeds", "suppressed", "ok")] and notes == []


def test_resource_globs_and_exact_addresses() -> None:
    glob = rule(resource="aws_s3_bucket.*")
    assert matches(glob, finding(resource="aws_s3_bucket.logs"))
    assert not matches(glob, finding(resource="module.x.aws_s3_bucket.logs"))
    assert matches(rule(resource="*aws_s3_bucket.*"), finding(resource="module.x.aws_s3_bucket.y"))
    assert not matches(glob, finding(resource="aws_s3_bucket_policy.logs"))
    # for_each addresses hold brackets, which fnmatch reads as a set: exact text matches too.
    each = 'aws_s3_bucket.this["logs"]'
    assert matches(rule(resource=each), finding(resource=each))
    assert matches(rule(resource="Deployment/shop/*"), finding(resource="Deployment/shop/cart"))
    # Every criterion given must hold.
    assert not matches(rule("TM-TLS-001", "aws_s3_bucket.*"), finding(resource="aws_s3_bucket.a"))


def test_fingerprint_match(tmp_path: Path) -> None:
    a, b = finding(fingerprint="a" * 32), finding(fingerprint="b" * 32)
    out, _ = apply((a, b), only(rule(fingerprint="b" * 32, reason="known")), tmp_path, TODAY)
    assert [f.suppression for f in out] == [None, Suppression("suppressed", "known")]


def test_severities_and_disabled_rules(tmp_path: Path) -> None:
    config = Config(
        disabled=frozenset({"TM-RES-001"}),
        severities={"TM-TLS-001": Severity.LOW},
        suppressions=(rule("TM-TLS-001", reason="lab only"),),
    )
    tls, res, pub = finding("TM-TLS-001"), finding("TM-RES-001"), finding("TM-PUB-001")
    out, _ = apply((tls, res, pub), config, tmp_path, TODAY)
    assert out == (
        dataclasses.replace(
            tls, severity=Severity.LOW, suppression=Suppression("suppressed", "lab only")
        ),
        pub,
    )


def test_baseline_and_precedence(tmp_path: Path) -> None:
    old, new, both = (finding(fingerprint=c * 32, resource=c) for c in "abc")
    config = only(rule(fingerprint="c" * 32, reason="accepted"))
    out, _ = apply((old, new, both), config, tmp_path, TODAY, frozenset({"a" * 32, "c" * 32}))
    assert kinds(out) == [
        ("a", "baseline", "in the baseline report"),
        ("b", None, None),
        ("c", "suppressed", "accepted"),
    ]


MAIN_TF = """\
resource "aws_s3_bucket" "above" {
  bucket = "a"
}

// tmscan:ignore[TM-PUB-001] public feed, SEC-1234
resource "aws_s3_bucket" "partner_feeds" {
  bucket = "b"
}

resource "aws_s3_bucket" "on_line" { # tmscan:ignore[TM-A-001, TM-PUB-001]   two rules
  bucket = "c"
}

resource "aws_s3_bucket" "inside" {
  bucket = "d"
  # tmscan:ignore[TM-PUB-001]
}
"""

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart # tmscan:ignore[TM-K8S-001] batch job, runs as root by design
  namespace: shop
spec:
  replicas: 1 // tmscan:ignore[TM-K8S-002] not a YAML comment
"""


def ev(file: str, line: int, end: int | None = None) -> Evidence:
    return Evidence("terraform", file, line, end_line=end)


def test_inline_comments(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "cart.yaml").write_text(MANIFEST)
    cases = (
        finding(resource="above", evidence=(ev("main.tf", 6, 8),)),  # the line just above
        finding(resource="on_line", evidence=(ev("main.tf", 10, 12),)),  # on the line
        finding("TM-B-002", "other_rule", evidence=(ev("main.tf", 10, 12),)),
        finding(resource="inside", evidence=(ev("main.tf", 14, 17),)),  # in the block
        # Only the primary evidence's block counts; others count by their own line.
        finding(resource="second", evidence=(ev("main.tf", 1, 3), ev("main.tf", 14, 17))),
        finding(resource="second_on", evidence=(ev("main.tf", 1, 3), ev("main.tf", 11))),
        finding(resource="unknown_file", evidence=(ev("gone.tf", 1, 3),)),
        finding("TM-K8S-001", "Deployment/shop/cart", evidence=(ev("k8s/cart.yaml", 2, 7),)),
        finding("TM-K8S-002", "Deployment/shop/cart", evidence=(ev("k8s/cart.yaml", 2, 7),)),
        finding(resource="live", evidence=(Evidence("aws", uri="arn:aws:s3:::b"),)),
    )
    out, notes = apply(cases, Config(), tmp_path, TODAY)
    assert kinds(out) == [
        ("above", "suppressed", "inline: public feed, SEC-1234"),
        ("on_line", "suppressed", "inline: two rules"),
        ("other_rule", None, None),
        ("inside", "suppressed", "inline: no reason given"),
        ("second", None, None),
        ("second_on", "suppressed", "inline: two rules"),
        ("unknown_file", None, None),
        ("Deployment/shop/cart", "suppressed", "inline: batch job, runs as root by design"),
        ("Deployment/shop/cart", None, None),
        ("live", None, None),
    ]
    assert notes == [Diagnostic("warning", "main.tf", "inline suppression without a reason", 16)]
    # Suppressing changes nothing else.
    for before, after in zip(cases, out, strict=True):
        assert dataclasses.replace(after, suppression=None) == before


def test_inline_without_rule_ids_warns(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('# tmscan:ignore everything\nresource "a" "b" {}\n')
    out, notes = apply((finding(evidence=(ev("main.tf", 2),)),), Config(), tmp_path, TODAY)
    assert out[0].suppression is None
    assert notes == [
        Diagnostic(
            "warning",
            "main.tf",
            "inline suppression names no rule: write tmscan:ignore[RULE-ID] reason",
            1,
        )
    ]


def test_each_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    reads: list[str] = []
    real = Path.read_text

    def counting(self: Path, *args: str, **kwargs: str) -> str:
        reads.append(self.name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    many = tuple(
        finding(fingerprint=f"{i:032x}", evidence=(ev("main.tf", i),)) for i in range(1, 9)
    )
    apply(many, Config(), tmp_path, TODAY)
    assert reads == ["main.tf"]


def test_baseline_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert load_baseline(missing) == (
        frozenset(),
        [Diagnostic("error", missing.as_posix(), "cannot read: No such file or directory")],
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "findings": [\n')
    fingerprints, problems = load_baseline(bad)
    assert fingerprints == frozenset() and [(p.level, p.line) for p in problems] == [("error", 3)]
    bad.write_text('{"findings": []}')
    assert load_baseline(bad)[1] == [
        Diagnostic(
            "error", bad.as_posix(), "not a tmscan JSON report (no schema_version and findings)"
        )
    ]
    bad.write_text('{"schema_version": "1.0", "findings": [{"rule": "x"}, {"fingerprint": "ab"}]}')
    assert load_baseline(bad) == (
        frozenset({"ab"}),
        [Diagnostic("warning", bad.as_posix(), "1 finding(s) without a fingerprint ignored")],
    )


def test_end_to_end_on_the_shop(tmp_path: Path) -> None:
    """A real report as the baseline, a real inline comment in a real Terraform file, a
    configuration file with an expired entry."""
    original = scan(SHOP).findings
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    storage = root / "storage.tf"
    storage.write_text(
        storage.read_text().replace(
            'resource "aws_s3_bucket" "partner_feeds" {',
            "# tmscan:ignore[TM-PUB-001] partners fetch feeds anonymously (SEC-1234)\n"
            'resource "aws_s3_bucket" "partner_feeds" {',
        )
    )
    alb = root / "alb.tf"
    alb.write_text(
        alb.read_text().replace(
            'resource "aws_lb_listener" "admin_http" {',
            'resource "aws_lb_listener" "admin_http" { // tmscan:ignore[TM-TLS-001]',
        )
    )
    (root / ".tmscan.yaml").write_text(
        "suppress:\n"
        "  - rule: TM-RATE-001\n"
        "    resource: aws_api_gateway_stage.*\n"
        "    reason: rate limits live in the CDN\n"
        "    expires: 2025-01-31\n"
    )
    result = scan(root, options=ScanOptions(today=TODAY))
    # Comments and config change no fingerprint (and nothing else of the findings' identity).
    assert [f.fingerprint for f in result.findings] == [f.fingerprint for f in original]
    # The scan applied the inline suppressions itself; its report, as a baseline, leaves
    # out what it suppressed.
    inline_done = {f.fingerprint for f in result.findings if f.suppression is not None}
    assert {f.resource for f in result.findings if f.suppression is not None} == {
        "aws_s3_bucket.partner_feeds",
        "aws_lb_listener.admin_http",
    }
    report = tmp_path / "report.json"
    report.write_text(json_report.render(result))
    baseline, problems = load_baseline(report)
    assert problems == [] and baseline == {f.fingerprint for f in original} - inline_done

    config, problems = load(root)
    assert problems == []
    # A new scan against the baseline: everything is baselined except what is suppressed.
    controlled, notes = apply(result.findings, config, root, TODAY, baseline)
    # (The catalogue grows: findings of other rules are all simply baselined.)
    by_rule = {(f.rule, f.resource): f.suppression for f in controlled}
    inline = "inline: partners fetch feeds anonymously (SEC-1234)"
    assert by_rule[("TM-PUB-001", "aws_s3_bucket.partner_feeds")] == Suppression(
        "suppressed", inline
    )
    assert by_rule[("TM-TLS-001", "aws_lb_listener.admin_http")] == Suppression(
        "suppressed", "inline: no reason given"
    )
    assert by_rule[("TM-RATE-001", "aws_api_gateway_stage.v1")] == BASELINED
    assert by_rule[("TM-PUB-001", "aws_db_instance.reporting")] == BASELINED
    assert sum(s == BASELINED for s in by_rule.values()) == len(controlled) - 2
    assert notes == [
        Diagnostic(
            "warning",
            ".tmscan.yaml",
            "suppression for TM-RATE-001 on aws_api_gateway_stage.v1 expired on 2025-01-31; "
            "the finding is reported again",
            2,
        ),
        # (The scan itself already warned of the inline ignore without a reason.)
    ]
    assert Diagnostic("warning", "alb.tf", "inline suppression without a reason", 102) in (
        result.diagnostics
    )
    for before, after in zip(result.findings, controlled, strict=True):
        assert dataclasses.replace(after, suppression=None) == dataclasses.replace(
            before, suppression=None
        )
    # The report shows the suppressions; as a baseline it leaves out what it suppressed.
    second = tmp_path / "second.json"
    second.write_text(json_report.render(dataclasses.replace(result, findings=controlled)))
    shown = {
        f["resource"]: f.get("suppression") for f in json.loads(second.read_text())["findings"]
    }
    assert shown["aws_s3_bucket.partner_feeds"] == {
        "kind": "suppressed",
        "reason": "inline: partners fetch feeds anonymously (SEC-1234)",
    }
    assert shown["aws_db_instance.reporting"] == {
        "kind": "baseline",
        "reason": "in the baseline report",
    }
    kept = frozenset(f.fingerprint for f in controlled if f.suppression == BASELINED)
    assert len(kept) == len(controlled) - 2 and load_baseline(second) == (kept, [])
