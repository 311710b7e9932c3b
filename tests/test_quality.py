"""Lint, format and strict typing are part of the suite, so one command checks everything."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PACKAGES = ["scanner", "collectors", "rules"]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_check() -> None:
    done = _run("ruff", "check", *PACKAGES, "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    done = _run("ruff", "format", "--check", *PACKAGES, "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = _run(sys.executable, "-m", "mypy", "--strict", *PACKAGES)
    assert done.returncode == 0, done.stdout + done.stderr
