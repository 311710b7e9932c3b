"""The Markdown threat model: its sections, tables, threats and open questions, exactly."""

from __future__ import annotations

import dataclasses
import re

from selenium.webdriver.remote.webdriver import WebDriver

from scanner.model import Diagnostic, Suppression
from scanner.pipeline import ScanResult
from scanner.reporters import render
from scanner.reporters.markdown import cell, code

from .test_mermaid import mermaid, parse_in_browser


def markdown(result: ScanResult) -> str:
    return render("markdown", result).decode()


def test_sections_in_order(shop_result: ScanResult) -> None:
    doc = markdown(shop_result)
    assert re.findall(r"^##? .*$", doc, re.M) == [
        "# Threat model: shop",
        "## Scope and sources",
        "## System overview",
        "## Data-flow diagram",
        "## Trust boundaries and elements",
        "## Data flows",
        "## Threats by STRIDE",
        "## Open questions",
        "## Joins between sources",
        "## Coverage",
    ]
    assert doc == markdown(shop_result)
    joins = doc.split("## Joins between sources")[1].split("## Coverage")[0]
    assert joins.strip().splitlines()[2:] == [
        "| api | specs/catalog-api.yaml is served by aws\\_api\\_gateway\\_rest\\_api.catalog: its "
        "body is read from specs/catalog-api.yaml | `specs/catalog-api.yaml:1`, `api.tf:67` | no |",
        "| api | specs/orders-api.yaml is served by aws\\_api\\_gateway\\_rest\\_api.orders: it serves "
        "api.shop.example.com/v1 | `specs/orders-api.yaml:1`, `api.tf:5` | no |",
    ]


def test_diagram_is_the_mermaid_report_and_parses(
    browser: WebDriver, shop_result: ScanResult
) -> None:
    doc = markdown(shop_result)
    block = re.search(r"```mermaid\n(.*?)```", doc, re.S)
    assert block is not None and block.group(1) == mermaid(shop_result)
    assert parse_in_browser(browser, [block.group(1)]) == [""]


def test_overview_and_flows(shop_result: ScanResult) -> None:
    doc = markdown(shop_result)
    assert (
        "10 processes, 6 datastores and 0 external entities in 1 account, 2 subnets, 1 vpc; "
        "22 data flows." in doc
    )
    assert (
        "Datastores with a path from the internet: shop-orders, shop-prod-assets, "
        "shop-prod-invoices, shop-prod-partner-feeds, shop-reporting." in doc
    )
    rows = re.findall(
        r"^\| (?!from|---).*\|$", doc.split("## Data flows")[1].split("## Threats")[0], re.M
    )
    assert len(rows) == 22
    assert (
        "| Internet | shop-prod-admin | http/80 | called | **no** | unknown | unknown | "
        "⇄ Internet → subnet aws\\_vpc.main public subnets | `alb.tf:102` |" in rows
    )
    # A flow inside one zone has no crossing mark.
    assert (
        "| aws\\_instance.app\\_a | shop-orders | postgres/5432 | called | unknown | unknown | "
        "unknown |  | `compute.tf:5` |" in rows
    )


def test_threats_grouped_by_stride(shop_result: ScanResult) -> None:
    threats = markdown(shop_result).split("## Threats by STRIDE")[1].split("## Open questions")[0]
    assert re.findall(r"^###+ .*$|^- Also .*$", threats, re.M) == [
        "### S — Spoofing",
        "#### 1. TM-API-001 API operation callable without authentication (high)",
        "### T — Tampering",
        "#### 2. TM-API-006 Write operation accepts unbounded input (low)",
        "- Also 5. TM-TLS-001 Internet-facing listener accepts plaintext HTTP on "
        "`aws_lb_listener.admin_http` (under Information disclosure)",
        "### I — Information disclosure",
        "#### 3. TM-PUB-001 Datastore reachable from the internet (high)",
        "#### 4. TM-PUB-001 Datastore reachable from the internet (high)",
        "#### 5. TM-TLS-001 Internet-facing listener accepts plaintext HTTP (medium)",
        "### D — Denial of service",
        "#### 6. TM-RATE-001 Internet-facing API has no throttling or rate limit (medium)",
        "- Also 2. TM-API-006 Write operation accepts unbounded input on `POST /orders` "
        "(under Tampering)",
    ]
    assert "- **Resource:** `aws_db_instance.reporting` at `database.tf:52`" in threats
    assert "- **Path:** Internet → shop-reporting" in threats
    assert (
        "- **Evidence:** `security_groups.tf:146` ingress tcp/5432-5432 from 0.0.0.0/0" in threats
    )


def test_open_questions_list_unknown_facts(shop_result: ScanResult) -> None:
    questions = markdown(shop_result).split("## Open questions")[1].split("## Joins")[0]
    assert re.findall(r"^- .*$", questions, re.M) == [
        "- Is Internet → shop-reporting (postgres/5432) encrypted in transit?",
        "- Is Internet → aws\\_instance.bastion (tcp/22) encrypted in transit?",
        "- Is Internet → shop-prod-partner-feeds (https/443) encrypted in transit?",
        "- Is shop-prod-admin → aws\\_instance.app\\_b (tcp/8081) encrypted in transit?",
        "- Does shop-prod-admin authenticate Internet → shop-prod-admin (http/80)?",
        "- Does shop-webhooks authenticate Internet → shop-webhooks (https/443)?",
        "- Does shop-prod-web authenticate Internet → shop-prod-web (http/80)?",
        "- Does shop-prod-web authenticate Internet → shop-prod-web (https/443)?",
    ]


def test_unconfirmed_zone_findings_and_namespaces(k8s_result: ScanResult) -> None:
    doc = markdown(k8s_result)
    assert "### Unconfirmed" in doc
    unconfirmed = doc.split("### Unconfirmed")[1].split("## Open questions")[0]
    assert re.findall(r"^#### \d+\. (TM-\S+)", unconfirmed, re.M) == ["TM-PUB-001", "TM-SEG-001"]
    questions = doc.split("**Unconfirmed findings** (2)")[1]
    assert questions.startswith("\n\n- TM-PUB-001 on redis: Deployment/shop/redis (cache) is ")
    assert (
        "    - **namespace: payments** (trust 3)\n"
        "      - fraud — process, container, `Deployment/payments/fraud` — "
        "`payments/fraud.yaml:1`\n" in doc
    )


def test_unreadable_sources_and_suppressions_are_listed(shop_result: ScanResult) -> None:
    first = next(f for f in shop_result.findings if f.rule == "TM-PUB-001")
    result = dataclasses.replace(
        shop_result,
        findings=tuple(
            dataclasses.replace(f, suppression=Suppression("baseline", "accepted risk"))
            if f is first
            else f
            for f in shop_result.findings
        ),
        diagnostics=(Diagnostic("error", "broken.tf", "cannot parse: unexpected '}'", 7),),
    )
    doc = markdown(result)
    assert (
        "Could not be read (details under [Coverage](#coverage)):\n\n- `broken.tf`: cannot parse: unexpected '}'"
        in doc
    )
    assert "| error | `broken.tf:7` | cannot parse: unexpected '}' |" in doc
    assert (
        "### Suppressed or in the baseline\n\n- TM-PUB-001 on `aws_db_instance.reporting`: accepted risk"
        in doc
    )
    # The suppressed one is no longer detailed among the threats.
    assert re.findall(r"^#### \d+\. (TM-\S+)", doc, re.M) == [
        "TM-API-001",
        "TM-API-006",
        "TM-PUB-001",
        "TM-TLS-001",
        "TM-RATE-001",
    ]


def test_cell_escapes_table_breakers() -> None:
    assert cell("a|b\nc`d\\") == "a\\|b c\\`d\\\\"


def test_hostile_names_stay_inert() -> None:
    """Names come from identifiers, tags, metadata and file names: none of them may
    become HTML, a link or a broken table in the document."""
    assert cell("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert cell("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert cell("a|b *c* _d_ & e") == "a\\|b \\*c\\* \\_d\\_ &amp; e"
    assert code("a`b") == "``a`b``"
    assert code("`a") == "`` `a ``"
    assert code("x|y") == "`x|y`" and code("x|y", table=True) == "`x\\|y`"
