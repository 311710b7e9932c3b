"""Where module sources are on disk: local paths, and what `terraform init` fetched."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from collectors.terraform.parse import Parsed


@dataclass
class Resolver:
    """Finds module source directories: local paths, and what `terraform init` fetched."""

    load_dir: Callable[[str], list[Parsed]]  # dir (relative to scan root) -> parsed .tf
    read_text: Callable[[str], str | None]  # file (relative to scan root) -> text
    manifests: dict[str, dict[str, str]] = field(default_factory=dict)  # root -> key -> dir

    def source_dir(self, caller_dir: str, root_dir: str, key: str, source: str) -> str | None:
        """Where a module call's source is on disk, or None when it is not."""
        if source.startswith(("./", "../")) or source in (".", ".."):
            return _normpath(PurePosixPath(caller_dir) / source)
        if root_dir not in self.manifests:
            self.manifests[root_dir] = self._manifest(root_dir)
        found = self.manifests[root_dir].get(key)
        return _normpath(PurePosixPath(root_dir) / found) if found else None

    def _manifest(self, root_dir: str) -> dict[str, str]:
        """`.terraform/modules/modules.json`: module key -> directory (from the root)."""
        text = self.read_text(
            _normpath(PurePosixPath(root_dir) / ".terraform/modules/modules.json")
        )
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        modules = data.get("Modules", []) if isinstance(data, dict) else []
        return {
            str(m["Key"]): m["Dir"]
            for m in modules
            if isinstance(m, dict) and m.get("Key") and isinstance(m.get("Dir"), str)
        }


def _normpath(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."
