"""Parse .tf files with python-hcl2, once each, in parallel, cached by content hash."""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.parser import parser as hcl_parser
from hcl2.transformer import DictTransformer
from lark.exceptions import UnexpectedInput

log = logging.getLogger(__name__)

# Cache format version: bump when the parse output or python-hcl2's output changes.
# marshal is several times faster to load than JSON, but its format is private to one
# Python version: the version is part of the cache key.
_CACHE_VERSION = (
    f"3-hcl2-{getattr(hcl2, '__version__', 'x')}-py{sys.version_info[0]}.{sys.version_info[1]}"
)
# Below this much HCL, starting worker processes costs more than it saves.
_PARALLEL_MIN_BYTES = 256 * 1024


@dataclass(frozen=True)
class Parsed:
    """One file's parse result: the hcl2 document, or an error with its line."""

    path: Path
    rel: str  # path relative to the scan root, '/'-separated
    document: dict[str, Any] | None
    error: str | None = None
    error_line: int | None = None
    digest: str = field(default="", compare=False)  # content hash, with the parser version


def relative(root: Path, path: Path) -> str:
    """`path` relative to the scan root, '/'-separated (`..` when outside it)."""
    base, full = str(root), str(path)
    if full.startswith(base + os.sep):
        return full[len(base) + 1 :].replace(os.sep, "/")
    return Path(os.path.relpath(path, root)).as_posix()


def cache_dir() -> Path | None:
    """Where parse results are cached; TMSCAN_CACHE_DIR='' turns caching off."""
    configured = os.environ.get("TMSCAN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "tmscan" / "hcl"


class _Transformer(DictTransformer):
    """python-hcl2's transformer, keeping the quotes of strings in lists inside expressions.

    python-hcl2 7.3 renders `concat(["0.0.0.0/0"], var.x)` as `concat([0.0.0.0/0], var.x)`:
    a list's string items lose their quotes when the list is written back inline. Every
    item that is not an expression (`${...}`) was a quoted string, so quote it again.
    """

    def to_tf_inline(self, value: Any) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(self._inline_item(v) for v in value) + "]"
        if value is None:
            return "null"
        text: str = super().to_tf_inline(value)
        return text

    def _inline_item(self, value: Any) -> str:
        if isinstance(value, str) and not self.is_string_dollar(value):
            return json.dumps(value)
        return self.to_tf_inline(value)


def loads(text: str) -> dict[str, Any]:
    """Parse HCL text into python-hcl2's dict form, with block line numbers."""
    tree = hcl_parser().parse(text + "\n")
    doc: dict[str, Any] = _Transformer(with_meta=True).transform(tree)
    return doc


def _parse_text(text: str) -> tuple[dict[str, Any] | None, str | None, int | None]:
    try:
        doc = loads(text)
    except UnexpectedInput as e:
        # Name the token's kind, never its text: it may be a secret.
        line, column = getattr(e, "line", None), getattr(e, "column", None)
        token = getattr(e, "token", None)
        what = f"unexpected {token.type}" if token is not None else "unexpected character"
        where = f" at column {column}" if isinstance(column, int) else ""
        return None, f"HCL syntax error: {what}{where}", line if isinstance(line, int) else None
    except Exception as e:  # python-hcl2 raises assorted errors on odd input
        return None, f"HCL parse error: {_reason(e)}", _error_line(e)
    return doc, None, None


def _reason(e: Exception) -> str:
    """A short reason without input values: python-hcl2's own messages name attributes."""
    inner = getattr(e, "orig_exc", None)
    text = str(inner) if inner is not None else ""
    if text.endswith("already defined"):
        return f"attribute {text.split()[0]!r} is defined twice in one block"
    return type(inner or e).__name__


def _error_line(e: Exception) -> int | None:
    """The line of the tree node a transformer error happened on, when lark says."""
    node = getattr(e, "obj", None)
    meta = getattr(node, "meta", None)
    line = getattr(meta, "line", None)
    return line if isinstance(line, int) else None


def _parse_one(args: tuple[str, bytes]) -> tuple[dict[str, Any] | None, str | None, int | None]:
    _, data = args
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, f"not UTF-8 text ({e.reason} at byte {e.start})", None
    return _parse_text(text)


def content_digest(data: bytes) -> str:
    """The key of a file's parse result: its bytes and the parser's version."""
    return hashlib.sha256(_CACHE_VERSION.encode() + b"\0" + data).hexdigest()


def _cache_get(cdir: Path | None, digest: str) -> Any:
    if cdir is None:
        return None
    try:
        return marshal.loads((cdir / digest[:2] / f"{digest}.bin").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _cache_put(cdir: Path | None, digest: str, value: Any) -> None:
    if cdir is None:
        return
    target = cdir / digest[:2] / f"{digest}.bin"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(value))
        tmp.replace(target)
    except OSError as e:  # a read-only home must not break a scan
        log.debug("cannot write parse cache %s: %s", target, e)


def parse_files(
    root: Path, files: Iterable[Path], workers: int | None = None, use_cache: bool = True
) -> list[Parsed]:
    """Parse every file once; order of the result follows the input order."""
    paths = list(files)
    cdir = cache_dir() if use_cache else None
    results: list[Parsed | None] = [None] * len(paths)
    todo: list[tuple[int, str, bytes]] = []
    for i, path in enumerate(paths):
        rel = relative(root, path)
        try:
            data = path.read_bytes()
        except OSError as e:
            results[i] = Parsed(path, rel, None, f"cannot read file: {e.strerror or e}")
            continue
        digest = content_digest(data)
        cached = _cache_get(cdir, digest)
        if isinstance(cached, list) and len(cached) == 3:
            results[i] = Parsed(path, rel, cached[0], cached[1], cached[2], digest)
        else:
            todo.append((i, digest, data))

    outputs = _run(todo, workers)
    for (i, digest, _), (doc, err, line) in zip(todo, outputs, strict=True):
        _cache_put(cdir, digest, [doc, err, line])
        path = paths[i]
        results[i] = Parsed(path, relative(root, path), doc, err, line, digest)
    return [r for r in results if r is not None]


def _run(
    todo: Sequence[tuple[int, str, bytes]], workers: int | None
) -> list[tuple[dict[str, Any] | None, str | None, int | None]]:
    jobs = [(digest, data) for _, digest, data in todo]
    total = sum(len(data) for _, data in jobs)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1 or len(jobs) < 2 or total < _PARALLEL_MIN_BYTES:
        return [_parse_one(job) for job in jobs]
    # Largest files first so one big file does not finish last on an idle pool.
    order = sorted(range(len(jobs)), key=lambda k: -len(jobs[k][1]))
    with ProcessPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        done = list(pool.map(_parse_one, [jobs[k] for k in order], chunksize=4))
    out: list[tuple[dict[str, Any] | None, str | None, int | None]] = [(None, None, None)] * len(
        jobs
    )
    for k, res in zip(order, done, strict=True):
        out[k] = res
    return out
