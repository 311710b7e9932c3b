"""Whether a Terraform policy document grants any principal access without a narrowing
condition: the shared analysis, told which principals the files leave unresolved."""

from __future__ import annotations

from typing import Any

from collectors.aws.policy_public import public_grant
from collectors.terraform.evaluate import HOLE, Unknown


def _specific(item: Any) -> bool:
    """A principal that is known not to be "*": a string, or text with a hole in it
    (`arn:aws:iam::${account}:root` names one account whatever the account is)."""
    if isinstance(item, str):
        return True
    partial = item.partial if isinstance(item, Unknown) else None
    return isinstance(partial, str) and partial.strip() not in ("", HOLE)


def policy_is_public(document: Any) -> bool | None:
    """Does a resource policy Allow any principal without a narrowing condition? (see
    `public_grant`; a principal with an unresolved part is not known to be "*")."""
    return public_grant(document, _specific)
