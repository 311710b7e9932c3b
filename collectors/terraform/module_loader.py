"""Parsed module directories: those found by discovery, others read on demand, and hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from collectors.terraform.parse import Parsed, content_digest, parse_files, relative
from scanner.model import Diagnostic


def read_json(path: Path, rel: str, diagnostics: list[Diagnostic]) -> dict[str, Any] | None:
    """A JSON document (Terraform JSON syntax, a plan or state), or None with a diagnostic."""
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


class ModuleLoader:
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
                Parsed(f, relative(self.root, f), doc)
                for f in json_files
                if (doc := read_json(f, relative(self.root, f), self.diagnostics)) is not None
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
