"""Attribute readers the Terraform compute builders share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.terraform import values as v


def template_ref(spec: Mapping[str, Any] | None, *keys: str) -> str | None:
    """What a specification block names, by the first of `keys` it states (id, name)."""
    if spec is None:
        return None
    return next((ref for k in keys if (ref := v.ref(spec.get(k))) is not None), None)
