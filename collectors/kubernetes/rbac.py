"""RBAC: what the service account a workload runs as may do in the cluster."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from collectors.kubernetes.manifests import K8sObject, clean
from collectors.kubernetes.workloads import pod_spec

_ESCALATE = {"escalate", "bind", "impersonate"}


def _rules(role: K8sObject | None) -> list[dict[str, Any]]:
    if role is None:
        return []
    rules = clean(role.body.get("rules") or [])
    return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []


def _grants(rule: dict[str, Any]) -> set[str]:
    """What one rule lets its holder do: wildcard, secrets, exec, escalate. The API group
    decides what a resource name means: `*` on `monitoring.coreos.com` is not secrets."""
    verbs = {str(v) for v in rule.get("verbs") or []}
    resources = {str(r) for r in rule.get("resources") or []}
    groups = {str(g) for g in rule.get("apiGroups") or []}
    core = bool(groups & {"", "*"})
    rbac = bool(groups & {"rbac.authorization.k8s.io", "*"})
    found: set[str] = set()
    if "*" in verbs and "*" in resources and (core or "*" in groups):
        found.add("wildcard")  # everything in the core group (or every group)
    if core and resources & {"secrets", "*"} and verbs & {"get", "list", "watch", "*"}:
        found.add("secrets")
    if core and resources & {"pods/exec", "*"} and verbs & {"create", "*"}:
        found.add("exec")
    identities = core and resources & {"users", "serviceaccounts", "groups", "*"}
    if verbs & (_ESCALATE | {"*"}) and (
        (rbac and resources & {"roles", "clusterroles", "*"}) or identities
    ):
        found.add("escalate")
    return found


class Rbac:
    """Role bindings indexed by the service accounts they name."""

    def __init__(self, objs: Iterable[K8sObject]) -> None:
        objs = list(objs)
        self.roles = {(o.namespace, o.name): o for o in objs if o.kind == "Role"}
        self.cluster_roles = {o.name: o for o in objs if o.kind == "ClusterRole"}
        self.bindings = [o for o in objs if o.kind in ("RoleBinding", "ClusterRoleBinding")]

    def grants(self, workload: K8sObject) -> dict[str, bool]:
        """Facts about the workload's service account: admin (cluster-admin or a wildcard
        rule), cluster_wide (through a ClusterRoleBinding), secrets, exec, escalate.
        Only bindings in the scanned manifests count: nothing found is not a fact."""
        account = str(pod_spec(workload).get("serviceAccountName") or "default")
        found: set[str] = set()
        for b in self.bindings:
            subjects = clean(b.body.get("subjects") or [])
            named = any(
                isinstance(s, dict)
                and s.get("kind") == "ServiceAccount"
                and s.get("name") == account
                and (s.get("namespace") or b.namespace) == workload.namespace
                for s in subjects
            )
            if not named:
                continue
            ref = clean(b.body.get("roleRef") or {})
            if ref.get("kind") == "ClusterRole":
                if ref.get("name") == "cluster-admin":
                    found |= {"wildcard", "secrets", "exec", "escalate"}
                role = self.cluster_roles.get(str(ref.get("name")))
            else:
                role = self.roles.get((b.namespace, str(ref.get("name"))))
            grants = set().union(*(_grants(r) for r in _rules(role))) if role else set()
            if ref.get("name") == "cluster-admin":
                grants |= {"wildcard"}
            found |= grants
            if b.kind == "ClusterRoleBinding" and grants:
                found.add("cluster_wide")
        return {f"rbac_{g}": True for g in sorted(found)}
