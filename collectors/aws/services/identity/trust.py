"""Who may assume a role, as far as joins need it: Kubernetes workloads (IRSA, EKS Pod
Identity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_WEB_IDENTITY = ("sts:assumerolewithwebidentity", "sts:*", "*")
_POD_IDENTITY = "pods.eks.amazonaws.com"


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def workload_identity(doc: object) -> bool | None:
    """Does the trust policy let Kubernetes workloads assume the role: a federated (OIDC)
    principal allowed AssumeRoleWithWebIdentity (IRSA), or the EKS Pod Identity service?
    None when the document cannot be read."""
    if not isinstance(doc, Mapping):
        return None
    raw = doc.get("Statement")
    for st in _items(raw):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if not isinstance(principal, Mapping):
            continue
        actions = [str(a).lower() for a in _items(st.get("Action")) if isinstance(a, str)]
        # An identity provider named by a reference the files cannot resolve still is one.
        federated = principal.get("Federated") is not None
        if federated and any(a in _WEB_IDENTITY for a in actions):
            return True
        if _POD_IDENTITY in [str(s) for s in _items(principal.get("Service"))]:
            return True
    return False
