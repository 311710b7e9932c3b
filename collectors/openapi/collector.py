"""The OpenAPI collector: each API description file into the model (one element per API)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from collectors.openapi.mapping import to_fragment
from collectors.openapi.parse import parse_spec
from scanner.model import Diagnostic, Fragment

log = logging.getLogger(__name__)


class OpenApiCollector:
    name = "openapi"

    def collect(self, root: Path, files: Sequence[Path]) -> Fragment:
        fragments: list[Fragment] = []
        diagnostics: list[Diagnostic] = []
        for path in files:
            label = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            try:
                spec, found = parse_spec(path, root)
            except Exception as e:  # one odd spec must not lose the others
                log.debug("cannot read %s", path, exc_info=True)
                diagnostics.append(
                    Diagnostic("error", label, f"could not be read ({type(e).__name__})")
                )
                continue
            diagnostics.extend(found)
            if spec is not None:
                fragments.append(to_fragment(spec))
        fragments.append(Fragment(diagnostics=tuple(diagnostics)))
        return Fragment.combine(fragments)
