"""A warm rescan reuses evaluated root modules, and never a stale one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from collectors.terraform import modules
from scanner.pipeline import scan
from scanner.reporters import json_report
from tests.conftest import REPO

MODULAR = REPO / "fixtures" / "shop-modules"
# The reporting database is on the internet only through var.publicly_accessible.
PUBLIC_REPORTING = ("TM-PUB-001", "module.data.module.reporting.aws_db_instance.this")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cdir = tmp_path / "cache"
    monkeypatch.setenv("TMSCAN_CACHE_DIR", str(cdir))
    return cdir


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "shop-modules"
    shutil.copytree(MODULAR, target)
    return target


def test_warm_scan_reuses_the_evaluated_root(
    cache: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = json_report.render(scan(repo))
    assert len(list((cache / "roots").glob("*.pickle"))) == 1

    def no_evaluation(self: object) -> object:
        raise AssertionError("an unchanged root was evaluated again")

    monkeypatch.setattr(modules.ModuleInstance, "blocks", no_evaluation)
    assert json_report.render(scan(repo)) == cold


def test_a_changed_module_file_is_evaluated_again(cache: Path, repo: Path) -> None:
    assert PUBLIC_REPORTING in {(f.rule, f.resource) for f in scan(repo).findings}
    db = repo / "modules" / "data" / "modules" / "db-instance" / "main.tf"
    db.write_text(db.read_text().replace("var.publicly_accessible", "false"))
    assert PUBLIC_REPORTING not in {(f.rule, f.resource) for f in scan(repo).findings}


def test_a_module_that_appears_later_is_read(cache: Path, tmp_path: Path) -> None:
    root = tmp_path / "stack"
    root.mkdir()
    (root / "main.tf").write_text('module "db" {\n  source = "./db"\n}\n')
    first = scan(root)
    assert [d.message for d in first.diagnostics if d.level == "warning"] == [
        "module 'db' (./db) has no .tf files at db; not scanned"
    ]
    (root / "db").mkdir()
    (root / "db" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    second = scan(root)
    assert [e.resource for e in second.graph.elements] == ["internet", "module.db.aws_s3_bucket.b"]
    assert second.inputs == ("db/main.tf", "main.tf")


def test_no_cache_leaves_no_root_entries(cache: Path, repo: Path) -> None:
    from scanner.pipeline import ScanOptions

    scan(repo, options=ScanOptions(use_cache=False))
    assert not cache.exists()
