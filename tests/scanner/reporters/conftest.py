"""Scan results of the example systems, shared by the reporter tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rules.api import (
    BasicAuthentication,
    CredentialsInUrl,
    OperationWithoutAuthentication,
    WriteWithoutScopes,
)
from rules.api_limits import ApiWithoutRateLimitEvidence, PlaintextApiServer, UnboundedWriteInput
from rules.edge import EntryPointWithoutWaf
from rules.engine import Rule
from rules.exposure import DatastoreReachableFromInternet
from rules.rate_limit import ApiWithoutRateLimit
from rules.segmentation import NamespaceWithoutDefaultDeny, ServiceFlowWithoutMtls
from rules.transport import PlaintextInternetListener
from rules.workloads import (
    OverprivilegedServiceAccount,
    PlaintextSecretInEnv,
    PrivilegedWorkload,
    SecretValuesInManifest,
    WorkloadWithoutLimits,
)
from scanner.pipeline import ScanOptions, ScanResult, scan

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


# The reporter tests test reporters, not the catalogue: they run a pinned set of rules,
# so a new rule does not rewrite their exact expectations (its own tests cover it).
REPORTER_RULES: tuple[type[Rule], ...] = (
    DatastoreReachableFromInternet,
    PlaintextInternetListener,
    ApiWithoutRateLimit,
    PrivilegedWorkload,
    PlaintextSecretInEnv,
    SecretValuesInManifest,
    WorkloadWithoutLimits,
    NamespaceWithoutDefaultDeny,
    ServiceFlowWithoutMtls,
    OverprivilegedServiceAccount,
    OperationWithoutAuthentication,
    WriteWithoutScopes,
    CredentialsInUrl,
    PlaintextApiServer,
    ApiWithoutRateLimitEvidence,
    UnboundedWriteInput,
    EntryPointWithoutWaf,
    BasicAuthentication,
)


def pinned(path: Path) -> ScanResult:
    return scan(path, rules=[r() for r in REPORTER_RULES], options=ScanOptions(use_cache=False))


@pytest.fixture(scope="session")
def shop_result() -> ScanResult:
    """The README's example system: Terraform on AWS (5 boundaries, 17 elements, 6 findings; two OpenAPI descriptions attached)."""
    return pinned(FIXTURES / "shop")


@pytest.fixture(scope="session")
def k8s_result() -> ScanResult:
    """Kubernetes manifests: cluster and namespaces, mesh, findings on namespaces and flows."""
    return pinned(FIXTURES / "k8s-shop")


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
