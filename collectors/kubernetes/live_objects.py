"""Live cluster objects into the manifests' model: pure transforms on API responses.

The live collector lists objects through the API; these functions turn each list
response into the same `K8sObject`s that manifests give (so one mapping serves both),
with nothing of what the cluster adds that a report must not carry (managed fields,
status, last-applied annotations, secret values), and then move the evidence of the
resulting fragment from "file and line" to "API path and cluster".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from collectors.kubernetes.manifests import K8sObject
from scanner.model import Diagnostic, Element, Evidence, Flow, Fragment, TrustBoundary

SOURCE = "k8s-live"
_DROPPED_NOTES = ("kubectl.kubernetes.io/last-applied-configuration",)


@dataclass(frozen=True)
class Kind:
    """A kind tmscan reads, as the cluster serves it (found by API discovery)."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{base}{scope}/{self.plural}"


# What the manifests mapping understands: (group, kind). Versions come from discovery.
WANTED: tuple[tuple[str, str], ...] = (
    ("", "Namespace"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "ServiceAccount"),
    ("", "LimitRange"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "Pod"),  # after the controllers: their pods are read through them
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("gateway.networking.k8s.io", "Gateway"),
    ("gateway.networking.k8s.io", "HTTPRoute"),
    ("gateway.networking.k8s.io", "GRPCRoute"),
    ("gateway.networking.k8s.io", "TLSRoute"),
    ("gateway.networking.k8s.io", "TCPRoute"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "VirtualService"),
    ("networking.istio.io", "DestinationRule"),
    ("networking.istio.io", "ServiceEntry"),
    ("security.istio.io", "PeerAuthentication"),
    ("security.istio.io", "AuthorizationPolicy"),
)
# Read as metadata only (none today: Secrets are not read at all, since nothing the
# mapping does with a live Secret needs more than its name, and `list secrets` would
# grant every value in the cluster).
METADATA_ONLY: frozenset[str] = frozenset()
# A pod or job whose controller is read instead: (kind, owner kind). A ReplicaSet's pods
# count when the ReplicaSet is named after a Deployment that was read (`<deploy>-<hash>`).
_READ_THROUGH_OWNER = {
    ("Pod", "StatefulSet"),
    ("Pod", "DaemonSet"),
    ("Pod", "Job"),
    ("Pod", "ReplicaSet"),
    ("Job", "CronJob"),
}


def kinds_served(
    groups: Mapping[str, Sequence[str]], resources: Mapping[str, Iterable[Any]]
) -> list[Kind]:
    """The wanted kinds the cluster serves. `groups`: group -> its versions, preferred
    first (core "" -> ["v1"]); `resources`: "group/version" -> that APIResourceList's
    `resources`. A kind is read at the first version that serves it (TLSRoute lives in
    v1alpha2 while the group prefers v1)."""
    out: list[Kind] = []
    for group, kind in WANTED:
        for version in groups.get(group, ()):
            listed = resources.get(f"{group}/{version}" if group else version, ())
            found = next(
                (
                    r
                    for r in listed
                    if isinstance(r, Mapping)
                    and r.get("kind") == kind
                    and "/" not in str(r.get("name", "/"))  # not a subresource
                ),
                None,
            )
            if found is not None:
                out.append(
                    Kind(group, version, str(found["name"]), kind, bool(found.get("namespaced")))
                )
                break
    return out


def _stripped(item: Mapping[str, Any], kind: Kind) -> dict[str, Any]:
    """The object as a manifest would show it: no status, managed fields, last-applied
    copy (which holds the whole spec, secret data included), or secret values."""
    body = {k: v for k, v in item.items() if k not in ("status", "data", "stringData")}
    if kind.kind not in METADATA_ONLY and "data" in item:
        body["data"] = item["data"]
    meta = dict(body.get("metadata") or {})
    meta.pop("managedFields", None)
    notes = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _DROPPED_NOTES}
    if notes or "annotations" in meta:
        meta["annotations"] = notes
    body["metadata"] = meta
    body["apiVersion"] = kind.api_version
    body["kind"] = kind.kind
    return body


def read_through_owner(item: Mapping[str, Any], kind: str, deployments: set[str]) -> bool:
    """Is this pod or job read through its controller instead (a StatefulSet's pod, a
    Deployment's ReplicaSet's pod, a CronJob's job)? Anything else (a bare pod, a static
    pod owned by its Node, an operator's pod) stays, so no workload goes unseen.
    `deployments`: "namespace/name" of the Deployments read."""
    meta = item.get("metadata") or {}
    for owner in meta.get("ownerReferences") or []:
        if not isinstance(owner, Mapping) or not owner.get("controller"):
            continue
        owner_kind, name = str(owner.get("kind")), str(owner.get("name", ""))
        if (kind, owner_kind) not in _READ_THROUGH_OWNER:
            return False
        if owner_kind == "ReplicaSet":
            deployment = name.rsplit("-", 1)[0]
            return f"{meta.get('namespace')}/{deployment}" in deployments
        return True
    return False


def to_objects(
    items: Iterable[Mapping[str, Any]], kind: Kind, deployments: set[str] | None = None
) -> list[K8sObject]:
    """One list response's items as K8sObjects located by their API path."""
    out: list[K8sObject] = []
    for item in items:
        meta = item.get("metadata") if isinstance(item.get("metadata"), Mapping) else None
        if meta is None or not isinstance(meta.get("name"), str):
            continue
        if read_through_owner(item, kind.kind, deployments or set()):
            continue
        namespace = meta.get("namespace") if kind.namespaced else None
        path = f"{kind.path(namespace)}/{meta['name']}"
        out.append(
            K8sObject(
                kind=kind.kind,
                name=str(meta["name"]),
                namespace=str(namespace) if namespace else None,
                body=_stripped(item, kind),
                file=path,
                line=0,
            )
        )
    return out


def _live(ev: Evidence, cluster: str, paths: frozenset[str]) -> Evidence:
    if ev.file is None or ev.file not in paths:
        return ev
    return Evidence(
        SOURCE, uri=ev.file, cluster=cluster, address=ev.address, fact=ev.fact, detail=ev.detail
    )


def relocate(fragment: Fragment, cluster: str, objs: Iterable[K8sObject]) -> Fragment:
    """Evidence of live objects points at their API path and cluster, not a file."""
    paths = frozenset(o.file for o in objs)

    def evs(items: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        return tuple(_live(ev, cluster, paths) for ev in items)

    def element(e: Element) -> Element:
        parts = tuple(replace(p, evidence=evs(p.evidence)) for p in e.parts)
        return replace(e, evidence=evs(e.evidence), parts=parts)

    def flow(f: Flow) -> Flow:
        return replace(f, evidence=evs(f.evidence))

    def boundary(b: TrustBoundary) -> TrustBoundary:
        return replace(b, evidence=evs(b.evidence))

    def diagnostic(d: Diagnostic) -> Diagnostic:
        return replace(d, line=None) if d.source in paths else d

    return Fragment(
        elements=tuple(element(e) for e in fragment.elements),
        flows=tuple(flow(f) for f in fragment.flows),
        boundaries=tuple(boundary(b) for b in fragment.boundaries),
        diagnostics=tuple(diagnostic(d) for d in fragment.diagnostics),
        inputs=fragment.inputs,
    )
