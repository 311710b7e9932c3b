"""The CLI end to end: exit codes, the JSON contract, determinism, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scanner import __version__
from scanner.cli import main
from tests.conftest import SHOP


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def schema() -> dict[str, object]:
    text = resources.files("scanner").joinpath("data/report.schema.json").read_text("utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_json_report_validates_and_is_byte_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run("scan", str(SHOP), "--format", "json", "--output", str(a))[0] == 1
    assert run("scan", str(SHOP), "--format", "json", "--output", str(b))[0] == 1
    assert a.read_bytes() == b.read_bytes()
    report = json.loads(a.read_text())
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(report, schema(), cls=jsonschema.Draft202012Validator)
    assert report["schema_version"] == "1.0"
    assert report["tool"] == {"name": "tmscan", "version": __version__}
    assert str(tmp_path) not in a.read_text() and str(SHOP) not in a.read_text()
    finding = next(f for f in report["findings"] if f["rule"] == "TM-TLS-001")
    assert finding["resource"] == "aws_lb_listener.admin_http"
    assert finding["location"] == {"file": "alb.tf", "line": 102}
    assert finding["stride"] == ["I", "T"] and finding["controls"] == ["tls"]
    assert len(finding["fingerprint"]) == 32


def test_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    before = json.loads(run("scan", str(repo), "--format", "json")[1])
    alb = repo / "alb.tf"
    alb.write_text("# moved down\n\n" + alb.read_text())
    after = json.loads(run("scan", str(repo), "--format", "json")[1])
    fp = {f["resource"]: (f["fingerprint"], f["location"]["line"]) for f in before["findings"]}
    fp2 = {f["resource"]: (f["fingerprint"], f["location"]["line"]) for f in after["findings"]}
    assert fp2["aws_lb_listener.admin_http"] == (fp["aws_lb_listener.admin_http"][0], 104)


def test_schema_rejects_a_broken_report() -> None:
    _, out = run("scan", str(SHOP), "--format", "json")
    report = json.loads(out)
    report["findings"][0]["stride"] = ["X"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema(), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("low", 1), ("medium", 1), ("high", 1), ("critical", 0), ("none", 0)],
)
def test_exit_code_follows_fail_on(fail_on: str, code: int) -> None:
    assert run("scan", str(SHOP), "--fail-on", fail_on)[0] == code


def test_unconfirmed_findings_do_not_fail_the_run(tmp_path: Path) -> None:
    (tmp_path / "s3.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  acl    = "public-read"\n}\n'
    )
    code, out = run("scan", str(tmp_path), "--format", "json")
    assert code == 0
    assert [(f["rule"], f["confidence"]) for f in json.loads(out)["findings"]] == [
        ("TM-PUB-001", "low")
    ]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("scan", str(tmp_path / "missing"))[0] == 2
    assert run("scan", str(SHOP), "--format", "yaml")[0] == 2
    assert run("scan", str(SHOP), "--fail-on", "severe")[0] == 2
    assert run("bogus")[0] == 2


def test_malformed_file_beside_good_ones(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    (repo / "broken.tf").write_text(
        'resource "aws_s3_bucket" "half" {\n  bucket = "half"\n  acl =\n}\n'
    )
    code, out = run("scan", str(repo), "--format", "json")
    report = json.loads(out)
    assert code == 1  # the good files' findings still decide the exit code
    errors = [d for d in report["diagnostics"] if d["level"] == "error"]
    assert [(d["source"], d["line"]) for d in errors] == [("broken.tf", 3)]
    assert errors[0]["message"].startswith("HCL syntax error")
    resources_seen = {e["resource"] for e in report["model"]["elements"]}
    assert "aws_db_instance.orders" in resources_seen
    assert "aws_s3_bucket.half" not in resources_seen
    assert {(f["rule"], f["resource"]) for f in report["findings"]} == {
        ("TM-PUB-001", "aws_db_instance.reporting"),
        ("TM-PUB-001", "aws_s3_bucket.partner_feeds"),
        ("TM-TLS-001", "aws_lb_listener.admin_http"),
        ("TM-RATE-001", "aws_api_gateway_stage.v1"),
        ("TM-API-001", "specs/orders-api.yaml"),
        ("TM-API-006", "POST /orders"),
        ("TM-ENC-001", "aws_db_instance.reporting"),
        ("TM-NET-001", "aws_instance.bastion"),
        ("TM-LOG-003", "aws_lb.web"),
        ("TM-LOG-003", "aws_alb.admin"),
        ("TM-LOG-002", "aws_vpc.main"),
    }


def test_console_report_lists_findings_with_locations() -> None:
    code, out = run("scan", str(SHOP))
    assert code == 1
    for needle in (
        "TM-PUB-001",
        "aws_db_instance.reporting  (database.tf:52)",
        "aws_lb_listener.admin_http  (alb.tf:102)",
        "aws_api_gateway_stage.v1  (api.tf:55)",
        "path      internet -> aws_db_instance.reporting",
        "Information disclosure",
    ):
        assert needle in out, needle


def test_version_and_help() -> None:
    assert run("--version")[1].strip() == f"tmscan, version {__version__}"
    code, out = run("scan", "--help")
    assert code == 0 and "--fail-on" in out and "Exit codes" in out


def test_console_script_is_installed() -> None:
    exe = shutil.which("tmscan")
    assert exe is not None
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and __version__ in done.stdout
    mod = subprocess.run(
        [sys.executable, "-m", "scanner", "--version"], capture_output=True, text=True, check=False
    )
    assert mod.returncode == 0


def test_var_file_is_applied_after_tfvars(tmp_path: Path) -> None:
    modular = SHOP.parent / "shop-modules"
    varfile = tmp_path / "private.tfvars"
    varfile.write_text("reporting_db_public = false\n")
    code, out = run("scan", str(modular), "--format", "json", "--var-file", str(varfile))
    found = {(f["rule"], f["resource"]) for f in json.loads(out)["findings"]}
    assert code == 1
    assert ("TM-PUB-001", "module.data.module.reporting.aws_db_instance.this") not in found
    assert ("TM-TLS-001", "module.edge.aws_lb_listener.admin_http") in found


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TMSCAN_CACHE_DIR", str(cache))
    assert run("scan", str(SHOP), "--no-cache", "--format", "json")[0] == 1
    assert not cache.exists()
    assert run("scan", str(SHOP), "--format", "json")[0] == 1
    assert len(list(cache.rglob("*.bin"))) == len(list(SHOP.glob("*.tf")))


def test_nothing_readable_is_a_fatal_error(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_vpc" "a" {\n')
    code, out = run("scan", str(tmp_path), "--format", "json")
    assert code == 2
    assert "nothing could be read" in out
