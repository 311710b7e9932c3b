"""AWS service family 'network': elements and flows (to be filled in)."""

from __future__ import annotations

from collectors.aws.context import Context
from scanner.model import Flow


def elements(ctx: Context) -> list[Flow]:
    """Add this family's elements to the scope; return the flows they make."""
    del ctx
    return []
