"""The Terraform collector: .tf files under a root to one Fragment per module directory."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.aws.mapping import to_fragment
from collectors.terraform.blocks import module_scope, resource_blocks
from collectors.terraform.inventory import SUPPORTED, build_inventory
from collectors.terraform.parse import Parsed, parse_files
from collectors.terraform.values import Scope
from scanner.model import Diagnostic, Fragment

log = logging.getLogger(__name__)


def _dir_of(rel: str) -> str:
    parent = PurePosixPath(rel).parent.as_posix()
    return parent if parent else "."


def _is_auto_tfvars(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name == "terraform.tfvars" or name.endswith(".auto.tfvars")


class TerraformCollector:
    """Reads HCL Terraform: every module directory becomes one scope of AWS records."""

    name = "terraform"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers

    def collect(self, root: Path, files: Sequence[Path]) -> Fragment:
        hcl = [f for f in files if f.suffix in (".tf", ".tfvars")]
        hcl_set = set(hcl)
        other = [f for f in files if f not in hcl_set]
        parsed = parse_files(root, hcl, self.workers)
        diagnostics = [
            Diagnostic(
                "warning",
                f.relative_to(root).as_posix(),
                "JSON Terraform (.tf.json, plan or state) is not read yet; skipped",
            )
            for f in other
        ]
        by_dir: dict[str, list[Parsed]] = defaultdict(list)
        for p in parsed:
            if p.error is not None:
                diagnostics.append(Diagnostic("error", p.rel, p.error, p.error_line))
                continue
            by_dir[_dir_of(p.rel)].append(p)

        fragments = [Fragment(diagnostics=tuple(diagnostics))]
        for directory in sorted(by_dir):
            fragments.append(self._module(directory, by_dir[directory]))
        return Fragment.combine(fragments)

    def _module(self, directory: str, parsed: list[Parsed]) -> Fragment:
        tf = [p for p in parsed if p.rel.endswith(".tf")]
        tfvars = [p for p in parsed if p.rel.endswith(".tfvars")]
        diagnostics: list[Diagnostic] = []
        scope = _scope(tf, tfvars, diagnostics)
        blocks = resource_blocks(tf, scope)
        skipped = Counter(b.type for b in blocks if b.type not in SUPPORTED)
        if skipped:
            kinds = ", ".join(f"{t} ({n})" for t, n in sorted(skipped.items()))
            diagnostics.append(
                Diagnostic(
                    "info",
                    directory,
                    f"{sum(skipped.values())} resources of types not modelled yet: {kinds}",
                )
            )
        inventory = build_inventory(blocks, scope=directory)
        fragment = to_fragment(
            inventory, prefix=f"tf:{directory}//", scope_name=f"AWS account ({directory})"
        )
        return Fragment(
            elements=fragment.elements,
            flows=fragment.flows,
            boundaries=fragment.boundaries,
            diagnostics=tuple(diagnostics),
            inputs=tuple(p.rel for p in parsed),
        )


def _scope(tf: list[Parsed], tfvars: list[Parsed], diagnostics: list[Diagnostic]) -> Scope:
    """Apply terraform.tfvars and *.auto.tfvars, as `terraform plan` does by default."""
    auto = sorted((p for p in tfvars if _is_auto_tfvars(p.rel)), key=lambda p: p.rel)
    for p in tfvars:
        if not _is_auto_tfvars(p.rel):
            diagnostics.append(
                Diagnostic("info", p.rel, "variable file is not loaded automatically; not applied")
            )
    overrides: dict[str, Any] = {}
    # terraform.tfvars first, then *.auto.tfvars in lexical order (later wins).
    for p in sorted(auto, key=lambda p: (not p.rel.endswith("terraform.tfvars"), p.rel)):
        doc: Mapping[str, Any] = p.document or {}
        overrides.update({k: v for k, v in doc.items() if not k.startswith("__")})
    return module_scope(tf, overrides)
