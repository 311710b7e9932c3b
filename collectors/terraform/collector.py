"""The Terraform collector: root modules under a path, evaluated, to one Fragment each."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.aws.mapping import to_fragment
from collectors.terraform.fragment_cache import Entry, FragmentCache, root_key
from collectors.terraform.inventory import SUPPORTED, build_inventory
from collectors.terraform.module_inputs import root_inputs
from collectors.terraform.module_loader import ModuleLoader, read_json
from collectors.terraform.module_sources import Resolver
from collectors.terraform.modules import ModuleInstance
from collectors.terraform.parse import Parsed, cache_dir, parse_files, relative
from collectors.terraform.plan import is_plan_or_state, plan_blocks
from collectors.terraform.variable_files import origin, plan_variables, read_tfvars
from scanner.model import Diagnostic, Evidence, Fragment

log = logging.getLogger(__name__)


def _dir_of(rel: str) -> str:
    parent = PurePosixPath(rel).parent.as_posix()
    return parent if parent else "."


class TerraformCollector:
    """Reads HCL Terraform: every root module becomes one scope of AWS records.

    A directory is a root unless another scanned directory calls it as a local module;
    modules are read through their callers, with the callers' inputs.
    """

    name = "terraform"

    def __init__(
        self,
        workers: int | None = None,
        var_files: Sequence[Path] = (),
        use_cache: bool = True,
    ) -> None:
        self.workers = workers
        self.var_files = tuple(var_files)
        self.use_cache = use_cache

    def collect(self, root: Path, files: Sequence[Path]) -> Fragment:
        hcl = [f for f in files if f.suffix in (".tf", ".tfvars")]
        hcl_set = set(hcl)
        diagnostics: list[Diagnostic] = []
        by_dir: dict[str, list[Parsed]] = defaultdict(list)
        for p in parse_files(root, hcl, self.workers, self.use_cache):
            if p.error is not None:
                diagnostics.append(Diagnostic("error", p.rel, p.error, p.error_line))
            else:
                by_dir[_dir_of(p.rel)].append(p)
        plans: dict[str, list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
        for f in files:
            if f in hcl_set:
                continue
            rel = relative(root, f)
            doc = read_json(f, rel, diagnostics)
            if doc is None:
                continue
            if rel.endswith((".tf.json", ".tfvars.json")):
                by_dir[_dir_of(rel)].append(Parsed(f, rel, doc))  # JSON syntax: no lines
            elif is_plan_or_state(doc):
                plans[_dir_of(rel)].append((rel, doc))

        loader = ModuleLoader(root, by_dir, self.workers, self.use_cache, diagnostics)
        cdir = cache_dir() if self.use_cache else None
        self._fragments = FragmentCache(cdir / "roots" if cdir else None)
        resolver = Resolver(loader.load_dir, loader.read_text)
        called = _called_dirs(by_dir, resolver)
        fragments = []
        roots = []
        for directory in sorted(by_dir):
            tf = [p for p in by_dir[directory] if p.rel.endswith((".tf", ".tf.json"))]
            if not tf or directory in called:
                continue
            roots.append(directory)
            tfvars = [p for p in by_dir[directory] if p.rel.endswith((".tfvars", ".tfvars.json"))]
            variables, origins = read_tfvars(root, tfvars, self.var_files, diagnostics)
            for rel, plan_doc in plans.get(directory, []):
                # The plan knows every root variable's value: it wins over tfvars.
                planned = plan_variables(plan_doc)
                variables.update(planned)
                origins.update({name: origin(rel, name, None) for name in planned})
                diagnostics.append(
                    Diagnostic("info", rel, f"plan variables applied to the module in {directory}")
                )
            fragments.append(self._cached_root(directory, tf, variables, origins, resolver, loader))
        for directory in sorted(set(plans) - set(roots)):
            for rel, plan_doc in plans[directory]:
                inventory = build_inventory(
                    plan_blocks(plan_doc, rel), scope=directory, diagnostics=diagnostics
                )
                fragments.append(
                    to_fragment(
                        inventory,
                        prefix=f"tf:{directory}//",
                        scope_name=f"AWS account ({directory})",
                    )
                )
                loader.read.add(rel)
        inputs = tuple(sorted(loader.read))
        return Fragment.combine(
            [*fragments, Fragment(diagnostics=tuple(diagnostics), inputs=inputs)]
        )

    def _cached_root(
        self,
        directory: str,
        tf: list[Parsed],
        variables: Mapping[str, Any],
        origins: Mapping[str, Evidence],
        resolver: Resolver,
        loader: ModuleLoader,
    ) -> Fragment:
        """Evaluate a root module, or reuse the result of an unchanged one."""
        files = [(p.rel, p.digest) for p in tf]
        files += [(f"{o.file}:{o.line}", name) for name, o in sorted(origins.items())]
        key = root_key(directory, files, dict(variables))
        entry = self._fragments.get(key, loader.digest_of)
        if entry is None:
            marks = len(loader.diagnostics)
            loader.reads.clear()
            loader.dirs_used.clear()
            fragment = self._root(directory, tf, variables, origins, resolver, loader.diagnostics)
            own = {p.rel for p in tf}
            used = {p.rel for d in loader.dirs_used for p in loader.by_dir.get(d, [])}
            # Directories by their listing, so a module that appears later is noticed;
            # files that do not exist (yet) by an absent hash.
            used |= {f"{d}/" for d in loader.dirs_used}
            deps = {rel: loader.digest_of(rel) for rel in used | loader.reads if rel not in own}
            entry = Entry(fragment, tuple(loader.diagnostics[marks:]), tuple(sorted(deps.items())))
            self._fragments.put(key, entry)
        else:
            loader.diagnostics.extend(entry.diagnostics)
            loader.read.update(
                rel for rel, digest in entry.deps if digest and rel.endswith((".tf", ".tf.json"))
            )
        return entry.fragment

    def _root(
        self,
        directory: str,
        tf: list[Parsed],
        variables: Mapping[str, Any],
        origins: Mapping[str, Evidence],
        resolver: Resolver,
        diagnostics: list[Diagnostic],
    ) -> Fragment:
        module = ModuleInstance(
            directory, tf, "", "", None, root_inputs(variables), resolver, diagnostics
        )
        blocks = list(module.blocks())
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
        inventory = build_inventory(
            blocks, scope=directory, origins=origins, diagnostics=diagnostics
        )
        return to_fragment(
            inventory, prefix=f"tf:{directory}//", scope_name=f"AWS account ({directory})"
        )


def _called_dirs(by_dir: dict[str, list[Parsed]], resolver: Resolver) -> set[str]:
    """Directories some scanned module calls as a local module (so they are not roots)."""
    called: set[str] = set()
    for directory, docs in by_dir.items():
        for parsed in docs:
            for item in _module_items(parsed.document):
                source = item.get("source")
                if isinstance(source, str) and source.startswith(("./", "../")):
                    target = resolver.source_dir(directory, directory, "", source)
                    if target is not None and target != directory:
                        called.add(target)
    return called


def _module_items(doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    section = (doc or {}).get("module")
    for item in section if isinstance(section, list) else []:
        if isinstance(item, Mapping):
            out.extend(body for body in item.values() if isinstance(body, Mapping))
    return out
