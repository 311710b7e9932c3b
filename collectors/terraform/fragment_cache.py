"""Cache of evaluated root modules: an unchanged root is not evaluated again.

Parse results are cached per file; this caches the step after, per root module: the
Fragment (and diagnostics) that evaluating it produced. An entry is keyed by the code
of tmscan itself, the root's files, and its variable values, and it lists every other
file evaluation read (module directories, the modules.json manifest) with their
content hashes; it is used only if all of them are unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import Diagnostic, Fragment

log = logging.getLogger(__name__)


@functools.cache
def code_fingerprint() -> str:
    """A hash of tmscan's own collectors, model and catalogue: new code, new entries."""
    top = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for part in ("collectors", "scanner/model.py", "scanner/data/catalogue.yaml"):
        base = top / part
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base]
        for f in files:
            try:
                h.update(f.relative_to(top).as_posix().encode() + b"\0" + f.read_bytes())
            except OSError:
                h.update(b"?")
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    fragment: Fragment
    diagnostics: tuple[Diagnostic, ...]
    # (file or "dir/" relative to the scan root, content or listing hash; None: absent)
    deps: tuple[tuple[str, str | None], ...]


def root_key(directory: str, files: Iterable[tuple[str, str]], variables: Mapping[str, Any]) -> str:
    payload = json.dumps(
        [code_fingerprint(), directory, sorted(files), variables],
        sort_keys=True,
        default=repr,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class FragmentCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def get(self, key: str, digest_of: Callable[[str], str | None]) -> Entry | None:
        if self.directory is None:
            return None
        try:
            entry = pickle.loads((self.directory / f"{key}.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        if not isinstance(entry, Entry):
            return None
        if any(digest_of(rel) != digest for rel, digest in entry.deps):
            return None  # a module it read has changed
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if self.directory is None:
            return
        target = self.directory / f"{key}.pickle"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(target)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as e:
            # Never fail a scan over the cache.
            log.debug("cannot write fragment cache %s: %s", target, e)
