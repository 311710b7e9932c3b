"""Resolve `$ref`s: JSON pointers in the same file and relative files, each file read once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from collectors.openapi.loader import YamlMap, load_bytes
from scanner.model import Diagnostic

MAX_FILE_BYTES = 64 * 1024 * 1024  # a referenced file larger than this is not read
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Target:
    """What a `$ref` (or a plain value) stands for, and where that is written."""

    value: Any
    doc: str  # the file it is written in, relative to the scan root
    line: int | None  # the line of its definition (the key naming it)


def _shown(ref: str) -> str:
    """A `$ref` as it may appear in a message: no credentials, not too long."""
    if _URL.match(ref):
        parts = urlsplit(ref)
        if parts.username or parts.password:
            ref = ref.replace(parts.netloc, "***@" + (parts.hostname or ""), 1)
    return ref if len(ref) <= 200 else ref[:200] + "..."


class Resolver:
    """The documents of one parse and the `$ref`s between them, each resolved once."""

    def __init__(self, root: Path, diagnostics: list[Diagnostic]) -> None:
        self._root = os.path.abspath(root)
        self._diagnostics = diagnostics
        self._paths: dict[str, str] = {}  # relative name -> absolute path
        self._docs: dict[str, tuple[str, Any] | None] = {}  # absolute path -> (name, data)
        self._refs: dict[tuple[str, str], Target | None] = {}

    def relative(self, path: Path | str) -> str:
        """A path as reports show it: POSIX, relative to the scan root."""
        absolute = os.path.normpath(os.path.abspath(path))
        return Path(os.path.relpath(absolute, self._root)).as_posix()

    def add(self, path: Path, data: Any) -> str:
        """Register the entry document already read; its relative name."""
        absolute = os.path.normpath(os.path.abspath(path))
        name = self.relative(absolute)
        self._paths[name] = absolute
        self._docs[absolute] = (name, data)
        return name

    def _warn(self, doc: str, line: int | None, message: str) -> None:
        self._diagnostics.append(Diagnostic("warning", doc, message, line))

    def _document(self, absolute: str, doc: str, line: int | None, ref: str) -> str | None:
        """Read and load a referenced file (once); its name, or None after a warning."""
        if absolute not in self._docs:
            name = self.relative(absolute)
            entry: tuple[str, Any] | None = None
            try:
                if not os.path.isfile(absolute):
                    raise FileNotFoundError("no such file")
                if os.path.getsize(absolute) > MAX_FILE_BYTES:
                    raise OSError("file too large")
                with open(absolute, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                reason = error.strerror or str(error)
                self._warn(
                    doc, line, f"unresolved $ref {_shown(ref)}: cannot read {name}: {reason}"
                )
            else:
                loaded, problems = load_bytes(data, name, is_json=absolute.endswith(".json"))
                self._diagnostics.extend(problems)
                if any(p.level == "error" for p in problems):
                    self._warn(doc, line, f"unresolved $ref {_shown(ref)}: cannot parse {name}")
                else:
                    entry = (name, loaded)
                    self._paths[name] = absolute
            self._docs[absolute] = entry
        found = self._docs[absolute]
        return found[0] if found is not None else None

    def _lookup(self, doc: str, ref: str, line: int | None) -> Target | None:
        """Where `ref`, written in `doc` at `line`, points (not following further refs)."""
        if _URL.match(ref):
            if ref.lower().startswith(("http:", "https:")):
                self._warn(doc, line, f"remote $ref not fetched: {_shown(ref)}")
            else:
                self._warn(doc, line, f"unsupported $ref: {_shown(ref)}")
            return None
        file_part, _, fragment = ref.partition("#")
        target_doc: str | None = doc
        if file_part:
            base = os.path.dirname(self._paths.get(doc, os.path.join(self._root, doc)))
            absolute = os.path.normpath(os.path.join(base, unquote(file_part)))
            target_doc = self._document(absolute, doc, line, ref)
        if target_doc is None:
            return None
        loaded = self._docs[self._paths[target_doc]]
        assert loaded is not None
        current = loaded[1]
        where = current.line if isinstance(current, YamlMap) else 1
        pointer = unquote(fragment)
        if pointer and not pointer.startswith("/"):
            self._warn(doc, line, f"unresolved $ref {_shown(ref)}: not a JSON pointer")
            return None
        for escaped in pointer.split("/")[1:] if pointer else []:
            token = escaped.replace("~1", "/").replace("~0", "~")
            if isinstance(current, YamlMap) and token in current:
                where = current.key_lines.get(token, where)
                current = current[token]
            elif (
                isinstance(current, list)
                and token.isascii()
                and token.isdigit()
                and int(token) < len(current)
            ):
                current = current[int(token)]
                where = current.line if isinstance(current, YamlMap) else where
            else:
                message = f"unresolved $ref {_shown(ref)}: no such location in {target_doc}"
                self._warn(doc, line, message)
                return None
        return Target(current, target_doc, where)

    def deref(self, value: Any, doc: str, line: int | None) -> Target | None:
        """`value` (written in `doc` at `line`), its `$ref` chain followed; None if broken."""
        seen: set[tuple[str, str]] = set()
        target = Target(value, doc, line)
        while isinstance(target.value, YamlMap) and "$ref" in target.value:
            mapping = target.value
            ref = mapping["$ref"]
            ref_line = mapping.key_line("$ref")
            if not isinstance(ref, str):
                self._warn(mapping.doc, ref_line, "$ref is not a string")
                return None
            key = (mapping.doc, ref)
            if key in seen:
                self._warn(mapping.doc, ref_line, f"cyclic $ref {_shown(ref)}")
                return None
            seen.add(key)
            if key not in self._refs:
                self._refs[key] = self._lookup(mapping.doc, ref, ref_line)
            found = self._refs[key]
            if found is None:
                return None
            target = found
        return target

    def get(self, value: Any, doc: str, line: int | None) -> Any:
        """The value `value` stands for after its `$ref`s (None when one is broken)."""
        target = self.deref(value, doc, line)
        return target.value if target is not None else None
