"""The HTML report: self-contained, opens in headless Chromium without errors, filters work."""

from __future__ import annotations

import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from scanner.model import Severity
from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions, render
from scanner.reporters.diagram import build


def external_references(page: str) -> list[str]:
    """What the page would fetch: src/href values that are not in-page anchors or data:."""
    return re.findall(r"""(?:src|href)\s*=\s*["'](?!#|data:)([^"']+)""", page)


def visible_rules(browser: WebDriver) -> list[tuple[str, str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    return [
        (
            r.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text,
            r.find_elements(By.TAG_NAME, "td")[3].text,
        )
        for r in rows
        if r.is_displayed()
    ]


def test_page_is_self_contained(k8s_result: ScanResult) -> None:
    page = render("html", k8s_result).decode()
    assert external_references(page) == []
    assert "default-src 'none'" in page
    assert page.count("<svg") == 1 and "<?xml" not in page
    # One row and one detail per open finding.
    assert page.count("<tr data-n=") == len(k8s_result.findings) == 7
    assert page.count('<template id="detail-') == 7
    assert render("html", k8s_result) == render("html", k8s_result)


def test_opens_without_console_errors_and_filters(
    browser: WebDriver, k8s_result: ScanResult, tmp_path: Path
) -> None:
    page = tmp_path / "tmscan.html"
    page.write_bytes(render("html", k8s_result))
    browser.get(page.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert browser.find_element(By.ID, "count").text == "7 of 7 findings"
    # The diagram is drawn (an SVG with one group per node).
    view = build(k8s_result.graph, k8s_result.findings, "t", ReportOptions())
    drawn = browser.find_elements(By.CSS_SELECTOR, ".diagram svg g.node")
    assert len(drawn) == len(view.nodes) + 1  # every node, and the legend

    Select(browser.find_element(By.ID, "f-severity")).select_by_value(str(int(Severity.MEDIUM)))
    expected = [(f.rule, f.resource) for f in k8s_result.findings if f.severity >= Severity.MEDIUM]
    assert visible_rules(browser) == expected
    assert browser.find_element(By.ID, "count").text == f"{len(expected)} of 7 findings"

    Select(browser.find_element(By.ID, "f-stride")).select_by_value("I")
    expected = [
        (f.rule, f.resource)
        for f in k8s_result.findings
        if f.severity >= Severity.MEDIUM and "I" in f.stride
    ]
    assert visible_rules(browser) == expected and expected

    # Boundary filter: the payments namespace holds one finding, on the zone itself.
    Select(browser.find_element(By.ID, "f-severity")).select_by_value("0")
    Select(browser.find_element(By.ID, "f-stride")).select_by_value("")
    Select(browser.find_element(By.ID, "f-boundary")).select_by_visible_text("namespace: payments")
    assert visible_rules(browser) == [("TM-MTLS-001", "Namespace/payments")]

    # The details pane shows the selected finding, with its fingerprint.
    browser.find_element(By.CSS_SELECTOR, "#findings tbody tr:not([hidden])").click()
    mtls = next(f for f in k8s_result.findings if f.resource == "Namespace/payments")
    pane = browser.find_element(By.ID, "pane").text
    assert "TM-MTLS-001" in pane and mtls.fingerprint in pane and mtls.remediation in pane
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
