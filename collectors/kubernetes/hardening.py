"""A workload's hardening facts with their evidence: containers, scratch, mesh, admission."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.kubernetes.manifests import LINE, K8sObject, clean
from collectors.kubernetes.netpol import Policies, policy_types, selects
from collectors.kubernetes.security import Mesh
from collectors.kubernetes.workloads import containers, pod_labels, pod_spec, pod_template
from scanner.model import Evidence, Fact, Part, facts

# Sidecar annotations that take inbound ports out of the proxy: nothing enforces mTLS there.
_BYPASS = ("traffic.sidecar.istio.io/excludeInboundPorts", "config.linkerd.io/skip-inbound-ports")
_LEVELS = {0: "mesh-wide", 1: "namespace", 2: "workload", 3: "port-level"}
# How far an ingress rule admits, narrowest first.
_WIDTH = ("namespace", "all-namespaces", "all-sources")
_WORLD = ("0.0.0.0/0", "::/0")


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _ev(obj: K8sObject, line: Any, fact: str | None, detail: str | None = None) -> Evidence:
    return Evidence(
        "kubernetes",
        file=obj.file,
        line=line if isinstance(line, int) else obj.line,
        address=obj.address,
        fact=fact,
        detail=detail,
    )


@dataclass
class Hardening:
    """Facts for a workload element, the evidence of each, and one part per container."""

    props: dict[str, Fact | None] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    parts: tuple[Part, ...] = ()

    def add(self, obj: K8sObject, fact: str, value: Fact, line: Any, detail: str) -> None:
        self.props[fact] = value
        self.evidence.append(_ev(obj, line, fact, detail))


def container_parts(obj: K8sObject) -> tuple[Part, ...]:
    """One `container` part per init and app container, with its effective settings:
    `run_as_user` and `run_as_non_root` (the container's, else the pod's; absent when
    neither states it: the image decides), `privileged`, `allow_privilege_escalation`
    (unset is true: Kubernetes sets no_new_privs only when it is false),
    `added_capabilities` (upper case, without CAP_), `init`."""
    spec = pod_spec(obj)
    pod_ctx = _dict(spec.get("securityContext"))
    inits = spec.get("initContainers")
    listed: list[tuple[Mapping[str, Any], bool]] = [
        (c, True) for c in (inits if isinstance(inits, list) else []) if isinstance(c, dict)
    ]
    listed += [(c, False) for c in containers(obj)]
    out = []
    for c, init in listed:
        ctx = _dict(c.get("securityContext"))
        at = c.get(LINE, obj.line)
        props: dict[str, Fact | None] = {"init": True if init else None}
        evs = [_ev(obj, at, None, f"container {c.get('name')}")]
        for key, fact, kind in (
            ("runAsUser", "run_as_user", int),
            ("runAsNonRoot", "run_as_non_root", bool),
        ):
            for holder, where in ((ctx, "container"), (pod_ctx, "pod")):
                if type(holder.get(key)) is kind:
                    props[fact] = holder[key]
                    detail = f"{key}: {str(holder[key]).lower()} in the {where} securityContext"
                    evs.append(_ev(obj, holder.get(LINE), fact, detail))
                    break
        props["privileged"] = ctx.get("privileged") is True
        if props["privileged"]:
            evs.append(_ev(obj, ctx.get(LINE), "privileged", "privileged: true"))
        escalation = ctx.get("allowPrivilegeEscalation")
        props["allow_privilege_escalation"] = escalation if isinstance(escalation, bool) else True
        evs.append(
            _ev(
                obj,
                ctx.get(LINE),
                "allow_privilege_escalation",
                f"allowPrivilegeEscalation: {str(escalation).lower()}",
            )
            if isinstance(escalation, bool)
            else _ev(
                obj, at, "allow_privilege_escalation", "allowPrivilegeEscalation unset, so allowed"
            )
        )
        caps = _dict(ctx.get("capabilities"))
        added = caps.get("add")
        names = sorted(
            {str(n).upper().removeprefix("CAP_") for n in added if isinstance(n, str)}
            if isinstance(added, list)
            else set()
        )
        if names:
            props["added_capabilities"] = ",".join(names)
            evs.append(_ev(obj, caps.get(LINE), "added_capabilities", f"adds {', '.join(names)}"))
        name = str(c.get("name") or "?")
        out.append(Part("container", name, obj.address, facts(props), tuple(evs)))
    return tuple(out)


def user_namespace(obj: K8sObject, out: Hardening) -> None:
    """`user_namespace`: the pod sets `hostUsers: false`, so its UIDs (root included)
    map to unprivileged ones on the node; absent otherwise."""
    spec = pod_spec(obj)
    if spec.get("hostUsers") is False:
        out.add(obj, "user_namespace", True, spec.get(LINE), "hostUsers: false")


def scratch(obj: K8sObject, out: Hardening) -> None:
    """`scratch_unbounded`: a disk-backed emptyDir without sizeLimit, while no container
    sets an ephemeral-storage limit (which would bound the pod's total); False when the
    pod's emptyDirs are bounded; absent when it has none on disk."""
    volumes = [v for v in pod_spec(obj).get("volumes") or [] if isinstance(v, dict)]
    disk = [
        v for v in volumes if "emptyDir" in v and _dict(v["emptyDir"]).get("medium") != "Memory"
    ]
    if not disk:
        return
    limited = any(
        _dict(_dict(c.get("resources")).get("limits")).get("ephemeral-storage")
        for c in containers(obj)
    )
    open_ = [v for v in disk if not _dict(v["emptyDir"]).get("sizeLimit")]
    out.props["scratch_unbounded"] = bool(open_) and not limited
    if out.props["scratch_unbounded"]:
        for v in open_:
            detail = f"emptyDir {v.get('name')} has no sizeLimit"
            out.evidence.append(_ev(obj, v.get(LINE), "scratch_unbounded", detail))


def mesh_overrides(obj: K8sObject, mesh: Mesh, hosts: Iterable[K8sObject], out: Hardening) -> None:
    """For a workload that may be meshed: `mtls_mode` (the PeerAuthentication mode that
    applies to it) and, when a workload policy decides, `mtls_mode_inherited` (what it
    overrides) and `mtls_port_modes` (`8080:DISABLE,...`); `mtls_disabled_by` (the
    DestinationRules that turn client TLS off toward its Services); `mesh_bypass_ports`
    (inbound ports the sidecar annotations take out of the proxy)."""
    if mesh.meshed(obj) is False:
        return
    if not mesh.linkerd(obj):
        found = mesh.deciding(obj, None)
        if found is not None:
            level, mode, pa = found
            spec = _dict(pa.body.get("spec"))
            where = _dict(spec.get("mtls")).get(LINE, pa.line)
            out.add(pa, "mtls_mode", mode, where, f"{_LEVELS[level]} PeerAuthentication")
            parent = mesh.deciding(obj, None, below=2) if level == 2 else None
            if parent is not None:
                line = _dict(_dict(parent[2].body.get("spec")).get("mtls")).get(LINE)
                detail = f"{_LEVELS[parent[0]]} PeerAuthentication"
                out.add(parent[2], "mtls_mode_inherited", parent[1], line, detail)
        own = mesh.workload_policy(obj)
        if own is not None:
            raw = _dict(_dict(own.body.get("spec")).get("portLevelMtls"))
            modes = sorted(
                (int(k), str(_dict(v).get("mode", "")).upper())
                for k, v in clean(raw).items()
                if str(k).isdigit() and _dict(v).get("mode")
            )
            if modes:
                value = ",".join(f"{port}:{mode}" for port, mode in modes)
                out.add(own, "mtls_port_modes", value, raw.get(LINE), "portLevelMtls")
        rules = mesh.plaintext_rules(hosts)
        if rules:
            out.props["mtls_disabled_by"] = ",".join(r.address for r in rules)
            for r in rules:
                policy = _dict(_dict(r.body.get("spec")).get("trafficPolicy"))
                line = _dict(policy.get("tls")).get(LINE, policy.get(LINE))
                detail = "DestinationRule sets TLS mode DISABLE"
                out.evidence.append(_ev(r, line, "mtls_disabled_by", detail))
    notes = _dict(_dict(pod_template(obj).get("metadata")).get("annotations"))
    bypass = [(k, str(notes[k]).strip()) for k in _BYPASS if str(notes.get(k) or "").strip()]
    if bypass:
        value = ",".join(v for _, v in bypass)
        out.add(obj, "mesh_bypass_ports", value, notes.get(LINE), ", ".join(k for k, _ in bypass))


def broad_ingress(obj: K8sObject, policies: Policies) -> tuple[str, K8sObject, int] | None:
    """The widest peer an ingress rule of a NetworkPolicy that isolates the workload
    admits on one of its container ports: `namespace` (podSelector {}), `all-namespaces`
    (namespaceSelector {}), `all-sources` (no `from`, or an ipBlock of 0.0.0.0/0), with
    the policy and the rule's line. None when no rule is that broad, or the workload is
    not isolated (then nothing restricts it at all: a default-deny question)."""
    numbers, names = _ports(obj)
    best: tuple[str, K8sObject, int] | None = None
    for policy, spec in policies.policies:
        if policy.namespace is None or policy.namespace != obj.namespace:
            continue
        if "Ingress" not in policy_types(spec):
            continue
        if selects(spec.get("podSelector"), pod_labels(obj)) is not True:
            continue
        for rule in _dict(policy.body.get("spec")).get("ingress") or []:
            if not isinstance(rule, dict) or not _opens(clean(rule.get("ports")), numbers, names):
                continue
            scope = _scope(clean(rule.get("from")))
            if scope and (best is None or _WIDTH.index(scope) > _WIDTH.index(best[0])):
                best = (scope, policy, int(rule.get(LINE, policy.line)))
    return best


def admitted(obj: K8sObject, policies: Policies, others: Iterable[K8sObject]) -> list[str]:
    """The other workloads whose traffic to obj the NetworkPolicies admit (both ends,
    on one of its container ports); unknown answers do not count."""
    numbers, _ = _ports(obj)
    ports: list[int | None] = list(numbers) or [None]
    return sorted(
        w.address
        for w in others
        if w is not obj and any(policies.allows(w, obj, p) is True for p in ports)
    )


def _ports(obj: K8sObject) -> tuple[list[int], set[str]]:
    found = [p for c in containers(obj) for p in c.get("ports") or [] if isinstance(p, dict)]
    numbers = sorted({p["containerPort"] for p in found if isinstance(p.get("containerPort"), int)})
    return numbers, {str(p["name"]) for p in found if p.get("name")}


def _opens(rule_ports: Any, numbers: list[int], names: set[str]) -> bool:
    """Does an ingress rule's port list open one of these container ports?"""
    if not rule_ports:
        return True
    for p in rule_ports if isinstance(rule_ports, list) else []:
        if not isinstance(p, dict) or str(p.get("protocol", "TCP")).upper() != "TCP":
            continue
        port = p.get("port")
        if port is None or (isinstance(port, str) and port in names):
            return True
        if isinstance(port, int):
            last = p.get("endPort")
            end = last if isinstance(last, int) else port
            if any(port <= n <= end for n in numbers):
                return True
    return False


def _scope(peers: Any) -> str | None:
    """How far an ingress rule's `from` list reaches (None: to selected peers only)."""
    if not peers:
        return "all-sources"  # no `from`: every source, in the cluster and outside
    found: list[str] = []
    for peer in peers if isinstance(peers, list) else []:
        if not isinstance(peer, dict):
            continue
        if "ipBlock" in peer:
            if _dict(peer["ipBlock"]).get("cidr") in _WORLD:
                found.append("all-sources")
        elif "namespaceSelector" in peer:
            if not _restricts(peer["namespaceSelector"]) and not _restricts(
                peer.get("podSelector")
            ):
                found.append("all-namespaces")
        elif not _restricts(peer.get("podSelector")):
            found.append("namespace")
    return max(found, key=_WIDTH.index) if found else None


def _restricts(selector: Any) -> bool:
    """A selector that narrows (labels or expressions); {} and an absent one do not."""
    sel = _dict(selector)
    return bool(sel.get("matchLabels") or sel.get("matchExpressions"))
