"""Scan results of the example systems, shared by the reporter tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scanner.pipeline import ScanOptions, ScanResult, scan

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@pytest.fixture(scope="session")
def shop_result() -> ScanResult:
    """The README's example system: Terraform on AWS (5 boundaries, 17 elements, 6 findings; two OpenAPI descriptions attached)."""
    return scan(FIXTURES / "shop", options=ScanOptions(use_cache=False))


@pytest.fixture(scope="session")
def k8s_result() -> ScanResult:
    """Kubernetes manifests: cluster and namespaces, mesh, findings on namespaces and flows."""
    return scan(FIXTURES / "k8s-shop", options=ScanOptions(use_cache=False))


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MERMAID_JS = FIXTURES.parent / ".ci" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Debian's headless Chromium through its chromedriver (installed by .ci/setup), with
    the browser console log readable; no network but loopback and file://."""
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for needed in (CHROMIUM, CHROMEDRIVER):
        assert needed.exists(), (
            f"{needed} is missing: run .ci/setup (Debian chromium, chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--allow-file-access-from-files",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
