"""Kustomize overlays are rendered; Helm charts without helm get a diagnostic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.pipeline import ScanOptions, scan

BASE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:2.1.0
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is on the project's machines")
def test_a_kustomize_overlay_is_rendered_and_points_at_its_base(tmp_path: Path) -> None:
    repo = _write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "base/deployment.yaml": BASE,
            "overlays/prod/kustomization.yaml": (
                "namespace: prod\nnamePrefix: prod-\nresources:\n  - ../../base\n"
            ),
        },
    )
    result = scan(repo, options=ScanOptions(use_cache=False))
    workloads = [e for e in result.graph.elements if e.id != "internet"]
    assert [(e.id, e.boundary) for e in workloads] == [
        ("k8s:Deployment/prod/prod-api", "k8s:ns/prod")
    ]
    where = workloads[0].evidence[0]
    assert (where.file, where.line) == ("base/deployment.yaml", 1)
    assert result.inputs == ("base/deployment.yaml", "overlays/prod/kustomization.yaml")
    assert result.diagnostics == ()


def test_a_helm_chart_without_helm_is_a_diagnostic_not_parse_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    repo = _write(
        tmp_path,
        {
            "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
            "charts/api/templates/deployment.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                "  name: {{ .Release.Name }}\n{{- if .Values.extra }}\n  labels: {}\n{{- end }}\n"
            ),
            "plain/deployment.yaml": BASE,
        },
    )
    result = scan(repo, options=ScanOptions(use_cache=False))
    assert [(d.level, d.source, d.message) for d in result.diagnostics] == [
        (
            "warning",
            "charts/api",
            "Helm chart not rendered: helm is not on PATH; run "
            "`helm template charts/api > rendered.yaml` and scan that file",
        )
    ]
    assert [e.id for e in result.graph.elements] == ["internet", "k8s:Deployment/?/api"]


def test_a_kustomization_that_fails_to_render_is_a_diagnostic(tmp_path: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is on the project's machines")
    repo = _write(tmp_path, {"app/kustomization.yaml": "resources:\n  - missing.yaml\n"})
    result = scan(repo, options=ScanOptions(use_cache=False))
    assert [(d.level, d.source) for d in result.diagnostics] == [("warning", "app")]
    assert result.diagnostics[0].message.startswith("kubectl kustomize app failed: ")
