"""The Kubernetes manifests collector: YAML/JSON files of Kubernetes objects to a Fragment."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

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
        for path in files:
            rel = relative(root, path)
            try:
                found += list(objects(path.read_text("utf-8"), rel))
            except (OSError, UnicodeDecodeError) as e:
                diagnostics.append(Diagnostic("error", rel, f"cannot read file: {e}"))
                continue
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = mark.line + 1 if mark is not None else None
                # The kind of problem only: the text around it may be a secret.
                diagnostics.append(Diagnostic("error", rel, "YAML syntax error", line))
                continue
            inputs.append(rel)
        fragment = to_fragment(found)
        return Fragment(
            elements=fragment.elements,
            flows=fragment.flows,
            boundaries=fragment.boundaries,
            diagnostics=tuple(diagnostics),
            inputs=tuple(inputs),
        )
