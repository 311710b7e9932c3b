"""The Mermaid flowchart: exact structure, escaping, and a parse by the real Mermaid in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scanner.pipeline import ScanResult
from scanner.reporters import ReportOptions, render
from scanner.reporters.mermaid import text

from .conftest import MERMAID_JS


def mermaid(result: ScanResult, **kw: object) -> str:
    return render("mermaid", result, ReportOptions(**kw)).decode()  # type: ignore[arg-type]


def parse_in_browser(browser: object, sources: list[str]) -> list[str]:
    """Each source through mermaid.parse(); returns '' for accepted, else the error."""
    page = Path(MERMAID_JS).parent / "tmscan-parse.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8"><script src="mermaid.min.js"></script>', "utf-8"
    )
    browser.get(page.as_uri())  # type: ignore[attr-defined]
    script = """
        const [sources, done] = arguments;
        mermaid.initialize({startOnLoad: false});
        Promise.all(sources.map(s => mermaid.parse(s).then(() => '', e => String(e))))
            .then(done, e => done([String(e)]));
    """
    return browser.execute_async_script(script, sources)  # type: ignore[attr-defined,no-any-return]


def test_shop_structure(shop_result: ScanResult) -> None:
    out = mermaid(shop_result)
    assert out.startswith('---\ntitle: "Data-flow diagram: shop (tmscan)"\n---\nflowchart LR\n')
    subgraphs = re.findall(r"^( *)subgraph (c\d+)\[\"([^\"]+)\"\]$", out, re.M)
    assert [(len(pad) // 4, label) for pad, _, label in subgraphs] == [
        (1, "Internet"),
        (2, "account: AWS account (.)"),
        (3, "vpc: aws_vpc.main"),
        (4, "subnet: aws_vpc.main private subnets"),
        (4, "subnet: aws_vpc.main public subnets"),
    ]
    # The seeded weaknesses are flagged on their nodes, and the plaintext admin listener
    # is a red edge labelled as such.
    assert "shop-reporting<br/>aws_db_instance.reporting<br/>⚠ TM-PUB-001 high" in out
    edges = re.findall(r"^    (n\d+) (-->|-\.->|==>)\|\"([^\"]+)\"\| (n\d+)$", out, re.M)
    assert len(edges) == len(shop_result.graph.flows)  # no replicas or blocked flows here
    assert ("-->", "http/80 plaintext") in {(a, label) for _, a, label, _ in edges}
    assert ("-.->", "postgres/5432 unknown") in {(a, label) for _, a, label, _ in edges}
    assert out.count("subgraph ") == len(re.findall(r"^ +end$", out, re.M)) == 5


def test_collapse_namespace(k8s_result: ScanResult) -> None:
    out = mermaid(k8s_result, collapse=frozenset({"namespace"}))
    nodes = re.findall(r"(z\d+)\[\[\"([^\"]+)\"\]\]", out)
    assert nodes == [
        ("z0", "namespace: payments<br/>2 elements<br/>⚠ TM-MTLS-001 medium"),
        (
            "z1",
            "namespace: shop<br/>13 elements<br/>⚠ TM-MTLS-001 medium<br/>⚠ TM-TLS-001 medium"
            "<br/>⚠ TM-RES-001 low<br/>+2 more rules",
        ),
    ]
    assert "z1 ==>" not in out and 'z1 -->|"https/8443"| z0' in out


def test_labels_are_escaped() -> None:
    assert text('a "b" <c> #d `e`\nf') == '"a #quot;b#quot; #lt;c#gt; #35;d #96;e#96;<br/>f"'


def test_real_mermaid_parses_every_output(
    browser: object, shop_result: ScanResult, k8s_result: ScanResult
) -> None:
    sources = [
        mermaid(shop_result),
        mermaid(k8s_result),
        mermaid(k8s_result, collapse=frozenset({"namespace"})),
        mermaid(shop_result, collapse=frozenset({"vpc"})),
    ]
    assert parse_in_browser(browser, sources) == ["", "", "", ""]
    # The check can fail: a broken diagram is rejected.
    broken = sources[0].replace("subgraph c0", "subgraph c0[[", 1)
    assert parse_in_browser(browser, [broken])[0] != ""
    assert json.dumps(sources)  # plain text, no bytes
