"""The Terraform collector: root modules under a path, evaluated, to one Fragment each."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.aws.mapping import to_fragment
from collectors.terraform.fragment_cache import Entry, FragmentCache, root_key
from collectors.terraform.inventory import SUPPORTED, build_inventory
from collectors.terraform.modules import ModuleInstance, Resolver, root_inputs
from collectors.terraform.parse import (
    Parsed,
    cache_dir,
    content_digest,
    loads,
    parse_files,
    relative,
)
from collectors.terraform.plan import is_plan_or_state, plan_blocks
from scanner.model import Diagnostic, Evidence, Fragment

log = logging.getLogger(__name__)


def _dir_of(rel: str) -> str:
    parent = PurePosixPath(rel).parent.as_posix()
    return parent if parent else "."


def _is_auto_tfvars(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name == "terraform.tfvars" or name.endswith(".auto.tfvars")


def _rel(root: Path, path: Path) -> str:
    return relative(root, path)


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
            rel = _rel(root, f)
            doc = _read_json(f, rel, diagnostics)
            if doc is None:
                continue
            if rel.endswith((".tf.json", ".tfvars.json")):
                by_dir[_dir_of(rel)].append(Parsed(f, rel, doc))  # JSON syntax: no lines
            elif is_plan_or_state(doc):
                plans[_dir_of(rel)].append((rel, doc))

        loader = _Loader(root, by_dir, self.workers, self.use_cache, diagnostics)
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
            variables, origins = self._tfvars(root, tfvars, diagnostics)
            for rel, plan_doc in plans.get(directory, []):
                # The plan knows every root variable's value: it wins over tfvars.
                planned = _plan_variables(plan_doc)
                variables.update(planned)
                origins.update({name: _origin(rel, name, None) for name in planned})
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
        loader: _Loader,
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

    def _tfvars(
        self, root: Path, tfvars: list[Parsed], diagnostics: list[Diagnostic]
    ) -> tuple[dict[str, Any], dict[str, Evidence]]:
        """terraform.tfvars, then *.auto.tfvars (lexical), then --var-file, later winning;
        with where each value was set."""
        auto = sorted(
            (p for p in tfvars if _is_auto_tfvars(p.rel)),
            key=lambda p: (not p.rel.endswith("terraform.tfvars"), p.rel),
        )
        for p in tfvars:
            if not _is_auto_tfvars(p.rel) and Path(root / p.rel) not in self.var_files:
                diagnostics.append(
                    Diagnostic("info", p.rel, "not loaded automatically; pass it with --var-file")
                )
        values: dict[str, Any] = {}
        origins: dict[str, Evidence] = {}
        sources = [(p.path, p.rel, p.document or {}) for p in auto]
        sources += [
            (f, _rel(root, f), _read_var_file(root, f, diagnostics)) for f in self.var_files
        ]
        for path, rel, doc in sources:
            assigned = {k: v for k, v in doc.items() if not k.startswith("__")}
            values.update(assigned)
            text = _text(path)
            origins.update({name: _origin(rel, name, _line_of(text, name)) for name in assigned})
        return values, origins


def _text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _line_of(text: str, name: str) -> int | None:
    """The line that assigns `name` in a variable file (python-hcl2 gives no lines there)."""
    m = re.search(rf"^[ \t]*\"?{re.escape(name)}\"?[ \t]*[=:]", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _origin(rel: str, name: str, line: int | None) -> Evidence:
    return Evidence(
        source="terraform",
        file=rel,
        line=line,
        address=f"var.{name}",
        fact=f"var.{name}",
        detail=f"variable {name} is set here",
    )


def _read_json(path: Path, rel: str, diagnostics: list[Diagnostic]) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        diagnostics.append(Diagnostic("error", rel, f"cannot read file: {e}"))
        return None
    except ValueError as e:
        diagnostics.append(
            Diagnostic(
                "error",
                rel,
                f"not valid JSON (line {e.lineno})" if hasattr(e, "lineno") else "not valid JSON",
            )
        )
        return None
    if not isinstance(doc, dict):
        diagnostics.append(Diagnostic("warning", rel, "not a Terraform JSON document; skipped"))
        return None
    return doc


def _plan_variables(doc: Mapping[str, Any]) -> dict[str, Any]:
    variables = doc.get("variables") or {}
    return {
        name: spec["value"]
        for name, spec in variables.items()
        if isinstance(spec, Mapping) and "value" in spec
    }


def _read_var_file(root: Path, path: Path, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    rel = _rel(root, path)
    try:
        doc = loads(path.read_text("utf-8"))
    except OSError as e:
        diagnostics.append(Diagnostic("error", rel, f"cannot read variable file: {e.strerror}"))
        return {}
    except Exception as e:
        diagnostics.append(Diagnostic("error", rel, f"variable file is not valid HCL: {e}"))
        return {}
    return {k: v for k, v in doc.items() if not k.startswith("__")}


class _Loader:
    """Parsed module directories: those found by discovery, and others read on demand."""

    def __init__(
        self,
        root: Path,
        by_dir: dict[str, list[Parsed]],
        workers: int | None,
        use_cache: bool,
        diagnostics: list[Diagnostic],
    ) -> None:
        self.root = root
        self.by_dir = by_dir
        self.workers = workers
        self.use_cache = use_cache
        self.diagnostics = diagnostics
        self.read: set[str] = {p.rel for docs in by_dir.values() for p in docs}
        self.reads: set[str] = set()  # other files read (module manifests)
        self.dirs_used: set[str] = set()  # module directories asked for
        self.digests: dict[str, str] = {}

    def load_dir(self, directory: str) -> list[Parsed]:
        self.dirs_used.add(directory)
        if directory not in self.by_dir:
            path = self.root / directory
            files = sorted(path.glob("*.tf")) if path.is_dir() else []
            # JSON-syntax module files (*.tf.json) are read as they are: no line numbers.
            json_files = sorted(path.glob("*.tf.json")) if path.is_dir() else []
            parsed = parse_files(self.root, files, self.workers, self.use_cache) if files else []
            for p in parsed:
                if p.error is not None:
                    self.diagnostics.append(Diagnostic("error", p.rel, p.error, p.error_line))
            self.by_dir[directory] = [p for p in parsed if p.error is None] + [
                Parsed(f, _rel(self.root, f), doc)
                for f in json_files
                if (doc := _read_json(f, _rel(self.root, f), self.diagnostics)) is not None
            ]
            self.read.update(p.rel for p in self.by_dir[directory])
        return [p for p in self.by_dir[directory] if p.rel.endswith((".tf", ".tf.json"))]

    def read_text(self, rel: str) -> str | None:
        self.reads.add(rel)
        try:
            return (self.root / rel).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def digest_of(self, rel: str) -> str | None:
        """The content hash of a file relative to the root (None: it cannot be read);
        for "dir/", a hash of the Terraform files it lists."""
        if rel.endswith("/"):
            path = self.root / rel
            if not path.is_dir():
                return None
            names = sorted(f.name for f in path.iterdir() if f.name.endswith((".tf", ".tf.json")))
            return content_digest("\0".join(names).encode())
        if rel not in self.digests:
            for docs in self.by_dir.values():
                self.digests.update((p.rel, p.digest) for p in docs if p.digest)
        if rel not in self.digests:
            try:
                self.digests[rel] = content_digest((self.root / rel).read_bytes())
            except OSError:
                return None
        return self.digests[rel]


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
