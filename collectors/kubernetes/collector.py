"""The Kubernetes manifests collector: YAML/JSON files of Kubernetes objects to a Fragment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml

from collectors.kubernetes import renderers
from collectors.kubernetes.manifests import K8sObject, objects
from collectors.kubernetes.mapping import to_fragment
from collectors.terraform.parse import relative
from scanner.model import Diagnostic, Fragment


class KubernetesCollector:
    """Reads plain manifests (multi-document files and `List` kinds)."""

    name = "kubernetes"

    def collect(self, root: Path, files: Sequence[Path]) -> Fragment:
        found: list[K8sObject] = []
        diagnostics: list[Diagnostic] = []
        inputs: list[str] = []
        routes = renderers.plan(root, files)
        raw: dict[Path, list[K8sObject]] = {}
        for path in sorted(set(files) - {f for f in files if f.name in renderers.KUSTOMIZATION}):
            rel = relative(root, path)
            try:
                raw[path] = list(objects(path.read_text("utf-8"), rel))
            except OSError as e:
                diagnostics.append(Diagnostic("error", rel, f"cannot read file: {e.strerror}"))
                continue
            except UnicodeDecodeError:
                diagnostics.append(Diagnostic("error", rel, "not UTF-8 text"))
                continue
            except yaml.YAMLError as e:
                if path in routes.rendered_files and _chart_file(path, routes.charts):
                    continue  # a Helm template is not YAML until rendered
                mark = getattr(e, "problem_mark", None)
                line = mark.line + 1 if mark is not None else None
                # The kind of problem only: the text around it may be a secret.
                diagnostics.append(Diagnostic("error", rel, "YAML syntax error", line))
                continue
            if path not in routes.rendered_files:
                found += raw[path]
                inputs.append(rel)
        for directory in routes.kustomize_roots:
            display = relative(root, directory)
            kfile = next(directory / n for n in renderers.KUSTOMIZATION if (directory / n).exists())
            result = renderers.kustomize(directory, display)
            if result.text is None:
                diagnostics.append(Diagnostic("warning", display, str(result.problem)))
                continue
            rendered = relative(root, kfile)
            sources = [o for p, objs in raw.items() if p in routes.rendered_files for o in objs]
            located = [_locate(o, sources) for o in objects(result.text, rendered)]
            found += located
            inputs += [rendered, *{o.file for o in located}]
        for chart in routes.charts:
            display = relative(root, chart)
            result = renderers.helm(chart, display)
            if result.text is None:
                diagnostics.append(Diagnostic("warning", display, str(result.problem)))
                continue
            found += list(objects(result.text, f"{display}/Chart.yaml"))
            inputs.append(f"{display}/Chart.yaml")
        # Manifests are a partial view of a cluster: the mesh-wide policy (istio-system)
        # counts only when it is among them.
        fragment = to_fragment(found, complete=False)
        return Fragment(
            elements=fragment.elements,
            flows=fragment.flows,
            boundaries=fragment.boundaries,
            diagnostics=tuple(diagnostics),
            inputs=tuple(sorted(set(inputs))),
        )


def _chart_file(path: Path, charts: list[Path]) -> bool:
    return any(chart in path.parents for chart in charts)


def _locate(obj: K8sObject, sources: list[K8sObject]) -> K8sObject:
    """A rendered object, pointed back at the manifest it came from (same kind; the
    name without the prefix or suffix kustomize added), else at the kustomization."""
    for src in sources:
        if src.kind == obj.kind and src.name in obj.name:
            return replace(obj, file=src.file, line=src.line)
    return obj
