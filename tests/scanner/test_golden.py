"""The whole JSON report of the example systems, compared with reviewed golden files.

A change in output shows up as a diff of fixtures/golden/*.json in review. To accept
one: `python -m pytest tests/scanner/test_golden.py --update-golden`.
"""

from __future__ import annotations

import difflib

import pytest

from scanner.pipeline import scan
from scanner.reporters import json_report
from tests.conftest import REPO

GOLDEN = REPO / "fixtures" / "golden"


@pytest.mark.parametrize("system", ["shop", "shop-modules"])
def test_report_matches_golden(system: str, request: pytest.FixtureRequest) -> None:
    actual = json_report.render(scan(REPO / "fixtures" / system))
    golden = GOLDEN / f"{system}.report.json"
    if request.config.getoption("--update-golden"):
        golden.write_text(actual, "utf-8")
    expected = golden.read_text("utf-8") if golden.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                str(golden),
                "actual",
                n=2,
            )
        )
        pytest.fail(
            f"report differs from {golden.name} (--update-golden to accept):\n{diff[:6000]}"
        )
