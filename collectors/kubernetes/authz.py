"""Istio AuthorizationPolicy: does the mesh let a caller's requests through, and how is
the caller identified?

Policies apply to a workload from its namespace (by `selector`, or all of it without
one) and from the mesh root namespace. A DENY rule matching every request of a flow
blocks it; once any ALLOW policy applies, only flows some ALLOW rule admits get through.
A rule's `from` names callers by mTLS identity (`principals`, `namespaces`) or JWT
(`requestPrincipals`); `to` narrows ports, methods and paths; `when` conditions are not
evaluated (a flow they could admit is unknown, never denied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.kubernetes.manifests import K8sObject, clean
from collectors.kubernetes.workloads import pod_labels, pod_spec
from scanner.model import any_of

ROOT_NAMESPACE = "istio-system"


@dataclass(frozen=True)
class Verdict:
    allowed: bool | None  # do the mesh's policies let this caller through?
    authz: bool | None  # True: an ALLOW rule names who may call
    authn: str | None  # "mtls" (peer identity), "jwt" (request principal), or None


def _glob(pattern: str, value: str) -> bool:
    """Istio's string match: exact, `prefix*`, `*suffix` or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


def _principal(w: K8sObject) -> str:
    account = pod_spec(w).get("serviceAccountName") or "default"
    return f"cluster.local/ns/{w.namespace}/sa/{account}"


class AuthorizationPolicies:
    def __init__(
        self, objs: Iterable[K8sObject], meshed: Callable[[K8sObject], bool | None]
    ) -> None:
        self.meshed = meshed  # peer identities exist only for callers with a sidecar
        self.policies = [
            (o, clean(o.body.get("spec") or {}))
            for o in objs
            if o.kind == "AuthorizationPolicy" and o.namespace
        ]

    def _applies(self, policy: K8sObject, spec: Mapping[str, Any], dst: K8sObject) -> bool:
        if spec.get("targetRef") or spec.get("targetRefs"):
            return False  # bound to a gateway or waypoint, not to the workload's sidecar
        if policy.namespace not in (dst.namespace, ROOT_NAMESPACE):
            return False
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        labels = pod_labels(dst)
        return all(labels.get(str(k)) == str(v) for k, v in selector.items())

    def _source(self, source: Mapping[str, Any], src: K8sObject | None) -> bool | None:
        """Does one `from.source` match the caller's connection? (None: cannot tell.)
        Request principals are matched per request (a JWT), so they do not decide it."""
        if any(
            source.get(k)
            for k in ("ipBlocks", "remoteIpBlocks", "notIpBlocks", "notRemoteIpBlocks")
        ):
            return None  # pod and client addresses are not in the manifests
        peer_keys = ("principals", "notPrincipals", "namespaces", "notNamespaces")
        if not any(k in source for k in peer_keys):
            return True
        if src is None or src.namespace is None:
            return None  # a caller we cannot see, or whose namespace is not stated
        meshed = self.meshed(src)
        if meshed is not True:
            # without a sidecar the caller has no peer identity: positive lists cannot
            # match it; negative ones are not decided here
            positive = "principals" in source or "namespaces" in source
            return False if meshed is False and positive else None
        checks: list[bool] = []
        principal, namespace = _principal(src), src.namespace
        if "principals" in source:
            checks.append(any(_glob(str(p), principal) for p in source["principals"]))
        if "notPrincipals" in source:
            checks.append(not any(_glob(str(p), principal) for p in source["notPrincipals"]))
        if "namespaces" in source:
            checks.append(any(_glob(str(n), namespace) for n in source["namespaces"]))
        if "notNamespaces" in source:
            checks.append(not any(_glob(str(n), namespace) for n in source["notNamespaces"]))
        return all(checks)

    @staticmethod
    def _ports(rule: Mapping[str, Any], port: int | None) -> tuple[bool | None, bool]:
        """(does the rule's `to` cover the port, does it cover every request on it)"""
        ops = [(t or {}).get("operation") or {} for t in rule.get("to") or []]
        if not ops:
            return True, True
        verdicts: list[bool | None] = []
        whole = False
        narrowing = ("methods", "notMethods", "paths", "notPaths", "hosts", "notHosts")
        for op in ops:
            ports = [str(p) for p in op.get("ports") or []]
            excluded = [str(p) for p in op.get("notPorts") or []]
            hit: bool | None = True
            if ports or excluded:
                hit = (
                    None
                    if port is None
                    else (not ports or str(port) in ports) and str(port) not in excluded
                )
            verdicts.append(hit)
            whole = whole or (hit is True and not any(op.get(k) for k in narrowing))
        if True in verdicts:
            return True, whole
        return (None if None in verdicts else False), False

    def verdict(self, src: K8sObject | None, dst: K8sObject, port: int | None) -> Verdict:
        allows: list[bool | None] = []
        authn: set[str] = set()
        named = False
        any_allow = False
        maybe_denied = False
        for policy, spec in self.policies:
            action = str(spec.get("action", "ALLOW")).upper()
            if action not in ("ALLOW", "DENY") or not self._applies(policy, spec, dst):
                continue  # CUSTOM and AUDIT delegate or only log
            any_allow = any_allow or action == "ALLOW"
            for rule in (r for r in spec.get("rules") or [] if isinstance(r, dict)):
                sources = [(f or {}).get("source") or {} for f in rule.get("from") or []]
                who = any_of(self._source(s, src) for s in sources) if sources else True
                covers, whole = self._ports(rule, port)
                conditional = bool(rule.get("when"))
                per_request = any(
                    k in s for s in sources for k in ("requestPrincipals", "notRequestPrincipals")
                )
                if action == "DENY":
                    if who is False or covers is False:
                        continue
                    if who and covers and whole and not conditional and not per_request:
                        return Verdict(False, None, None)
                    maybe_denied = maybe_denied or (who is None or covers is None)
                    continue
                if who is False or covers is False:
                    allows.append(False)
                    continue
                allows.append(None if conditional or None in (who, covers) else True)
                if any(k in s for s in sources for k in ("principals", "namespaces")):
                    named = True
                    authn.add("mtls")  # peer identities come from mTLS certificates
                if any("requestPrincipals" in s for s in sources):
                    authn.add("jwt")
        if not any_allow:
            return Verdict(None, None, None)  # the mesh adds no restriction
        allowed = any_of(allows)
        if allowed is False:
            return Verdict(False, None, None)
        if maybe_denied:
            allowed = None  # a DENY rule might match this caller
        return Verdict(allowed, True if named else None, "+".join(sorted(authn)) or None)
