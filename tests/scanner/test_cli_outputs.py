"""The CLI's output options: several formats, --output-dir, --collapse, and failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.reporters import FORMATS
from scanner.reporters import dot as dot_module
from tests.conftest import REPO, SHOP


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_format_into_one_directory_twice_gives_identical_bytes(tmp_path: Path) -> None:
    names = ",".join(FORMATS)
    for run in ("a", "b"):
        code, out, err = invoke(
            "scan", str(SHOP), "--format", names, "--output-dir", str(tmp_path / run)
        )
        assert code == 1, err
        assert out.startswith("tmscan shop: 14 files read")  # console goes to the terminal
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert written == sorted(f.filename for f in FORMATS.values() if f.name != "console")
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert str(tmp_path) not in (tmp_path / "a" / name).read_bytes().decode("utf-8", "replace")
    assert json.loads((tmp_path / "a" / "tmscan.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "a" / "threat-model.md").read_text().startswith("# Threat model: shop\n")


def test_one_format_to_stdout_or_to_a_file(tmp_path: Path) -> None:
    code, out, _ = invoke("scan", str(SHOP), "--format", "mermaid")
    assert code == 1 and out.startswith("---\ntitle: ")
    target = tmp_path / "dfd.dot"
    code, out, _ = invoke("scan", str(SHOP), "--format", "dot", "--output", str(target))
    assert code == 1 and out == "" and target.read_text().startswith("digraph dfd {")
    code, out, _ = invoke(
        "scan", str(SHOP), "--format", "console", "--output", str(tmp_path / "c.txt")
    )
    assert (tmp_path / "c.txt").read_text().startswith("tmscan shop: 14 files read")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "json,sarif"), "2 formats need --output-dir"),
        (("--format", "pdf"), "unknown format pdf"),
        (("--format", "json", "--output", "x", "--output-dir", "y"), "exclude each other"),
    ],
)
def test_unusable_arguments_exit_2(args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke("scan", str(SHOP), *args)
    assert code == 2 and message in err


def test_collapse_reaches_the_diagram_and_unknown_values_are_named() -> None:
    k8s = str(REPO / "fixtures" / "k8s-shop")
    code, out, err = invoke("scan", k8s, "--format", "mermaid", "--collapse", "namespace,nope")
    assert code == 1
    assert '[["namespace: shop<br/>13 elements' in out
    assert "tmscan: --collapse nope: no boundary has this type or id" in err


def test_a_report_that_cannot_be_made_is_named_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    code, _, err = invoke("scan", str(SHOP), "--format", "png,json", "--output-dir", str(tmp_path))
    assert code == 2
    assert "tmscan: png: --format png needs Graphviz's `dot` program" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmscan.json"]


def test_outputs_are_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Two fresh processes with different hash seeds and no cache write the same bytes."""
    import os
    import subprocess
    import sys

    names = ",".join(f for f in FORMATS if f != "console")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "scanner",
                "scan",
                str(REPO / "fixtures" / "k8s-shop"),
                "--format",
                names,
                "--output-dir",
                str(tmp_path / seed),
                "--no-cache",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
    for name in sorted(p.name for p in (tmp_path / "1").iterdir()):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
