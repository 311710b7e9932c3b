"""One self-contained HTML report: the SVG diagram, a filterable findings table, details."""

from __future__ import annotations

import html

from scanner import __version__
from scanner.model import Confidence, Finding, Severity
from scanner.pipeline import ScanResult
from scanner.reporters import ReportError, ReportOptions
from scanner.reporters.common import STRIDE_NAMES, display_names, open_findings
from scanner.reporters.dot import render as render_dot
from scanner.reporters.dot import run_dot

# Nothing may load from anywhere: the page is one file that works offline and leaks nothing.
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f1f1f}
header{padding:12px 20px;background:#263238;color:#fff}header h1{font-size:18px;margin:0}
header p{margin:4px 0 0;color:#cfd8dc}main{padding:12px 20px}
.diagram{overflow:auto;border:1px solid #ddd;max-height:70vh;margin-bottom:16px}
.diagram svg{width:100%;height:auto}td:nth-child(-n+2){white-space:nowrap}
.filters{display:flex;gap:16px;align-items:center;margin:8px 0}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 6px;
border-bottom:1px solid #eee;vertical-align:top}tbody tr{cursor:pointer}
tbody tr:hover,tbody tr.selected{background:#e3f2fd}
.sev{font-weight:600;text-transform:uppercase;font-size:12px}.critical{color:#fff;
background:#b71c1c;padding:0 4px}.high{color:#c62828}.medium{color:#ef6c00}
.low{color:#00838f}.info{color:#757575}.unconfirmed{font-style:italic;color:#757575}
#pane{border:1px solid #ddd;padding:8px 12px;position:sticky;top:8px;align-self:start}
code{background:#f5f5f5;padding:0 3px}.missing{color:#757575;padding:12px}
"""
_JS = """
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var sev = document.getElementById('f-severity');
  var stride = document.getElementById('f-stride');
  var zone = document.getElementById('f-boundary');
  var count = document.getElementById('count');
  var pane = document.getElementById('pane');
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = Number(row.dataset.severity) >= Number(sev.value) &&
        (stride.value === '' || row.dataset.stride.indexOf(stride.value) >= 0) &&
        (zone.value === '' || row.dataset.zones.split(' ').indexOf(zone.value) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + ' of ' + rows.length + ' findings';
  }
  function select(row) {
    rows.forEach(function (r) { r.classList.remove('selected'); });
    row.classList.add('selected');
    pane.innerHTML = document.getElementById('detail-' + row.dataset.n).innerHTML;
  }
  [sev, stride, zone].forEach(function (el) { el.addEventListener('change', apply); });
  rows.forEach(function (row) { row.addEventListener('click', function () { select(row); }); });
  apply();
}());
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _svg(result: ScanResult, options: ReportOptions) -> str:
    try:
        svg = run_dot(render_dot(result, options), "svg").decode("utf-8")
    except ReportError as e:
        return f'<p class="missing">Diagram not drawn: {_e(e)}</p>'
    return svg[svg.index("<svg") :]  # drop the XML prolog and doctype


def _zones(result: ScanResult, f: Finding) -> list[str]:
    g = result.graph
    element = g.get(f.element)
    start = element.boundary if element is not None else f.element
    return g.ancestors(start)


def _detail(result: ScanResult, f: Finding, n: int) -> str:
    g = result.graph

    names = display_names(g.elements)

    def name(element_id: str) -> str:
        return names.get(element_id, element_id)

    items = [
        ("Rule", f"{f.rule} {f.title}"),
        (
            "Severity",
            f.severity.label + (" (unconfirmed)" if f.confidence == Confidence.LOW else ""),
        ),
        ("Resource", f.resource),
        ("Where", ", ".join(ev.short() for ev in f.evidence)),
        ("Path", " \u2192 ".join(name(p) for p in f.path)),
        ("STRIDE", ", ".join(STRIDE_NAMES[s] for s in f.stride)),
        ("Controls", ", ".join(f.controls)),
        ("Threat", f.message),
        ("Fix", f.remediation),
        ("References", ", ".join(f.references)),
        ("Fingerprint", f.fingerprint),
    ]
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v)
    return f'<template id="detail-{n}"><h3>{_e(f.rule)}</h3><dl>{body}</dl></template>'


def _diagnostics(result: ScanResult) -> str:
    """What could not be read or understood: the report's coverage."""
    if not result.diagnostics:
        return '<section id="coverage"><h2>Coverage</h2><p>Every input was read.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(d.level)}</td><td><code>{_e(d.source)}"
        f"{'' if d.line is None else ':' + str(d.line)}</code></td><td>{_e(d.message)}</td></tr>"
        for d in result.diagnostics
    )
    return (
        f'<section id="coverage"><details><summary>Coverage: {len(result.diagnostics)} '
        "diagnostic(s)</summary><table><thead><tr><th>level</th><th>where</th><th>message"
        f"</th></tr></thead><tbody>{rows}</tbody></table></details></section>"
    )


def render(result: ScanResult, options: ReportOptions) -> str:
    g = result.graph
    findings = open_findings(result.findings)
    zone_ids = {b.id: f"b{i}" for i, b in enumerate(g.boundaries)}
    rows, details = [], []
    for n, f in enumerate(findings, 1):
        zones = " ".join(zone_ids[z] for z in _zones(result, f) if z in zone_ids)
        where = f.evidence[0].short() if f.evidence else ""
        unconfirmed = f.confidence == Confidence.LOW
        rows.append(
            f'<tr data-n="{n}" data-severity="{int(f.severity)}" '
            f'data-stride="{_e("".join(f.stride))}" data-zones="{_e(zones)}">'
            f'<td class="sev {f.severity.label}">{f.severity.label}</td>'
            f"<td>{_e(f.rule)}</td><td>{_e(f.title)}"
            + (' <span class="unconfirmed">unconfirmed</span>' if unconfirmed else "")
            + f"</td><td><code>{_e(f.resource)}</code></td><td>{_e(where)}</td></tr>"
        )
        details.append(_detail(result, f, n))
    used = sorted({z for f in findings for z in _zones(result, f)})
    zone_options = "".join(
        f'<option value="{zone_ids[z]}">{_e(g.boundary(z).type)}: {_e(g.boundary(z).name)}</option>'
        for z in used
        if z in zone_ids
    )
    severity_options = "".join(
        f'<option value="{int(s)}">{s.label}{"" if s == Severity.CRITICAL else " and above"}'
        "</option>"
        for s in sorted(Severity)
    )
    stride_options = "".join(
        f'<option value="{k}">{k} \u2014 {_e(v)}</option>' for k, v in STRIDE_NAMES.items()
    )
    title = f"tmscan: {result.root}"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{_e(title)}</h1>
<p>tmscan {_e(__version__)} \u00b7 {len(result.inputs)} source file(s) \u00b7 {len(g.elements)}
elements \u00b7 {len(g.flows)} flows \u00b7 {len(g.boundaries)} trust boundaries \u00b7
{len(findings)} findings \u00b7 {len(result.diagnostics)} diagnostics</p></header>
<main>
<section class="diagram" aria-label="Data-flow diagram">{_svg(result, options)}</section>
<div class="filters">
<label>Severity <select id="f-severity">{severity_options}</select></label>
<label>STRIDE <select id="f-stride"><option value="">all</option>{stride_options}</select></label>
<label>Boundary <select id="f-boundary"><option value="">all</option>{zone_options}</select>
</label>
<span id="count"></span>
</div>
<div class="grid">
<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>title</th><th>resource</th>
<th>where</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<aside id="pane"><p>Select a finding to see its path, evidence and fix.</p></aside>
</div>
{chr(10).join(details)}
{_diagnostics(result)}
</main>
<script>{_JS}</script>
</body>
</html>
"""
