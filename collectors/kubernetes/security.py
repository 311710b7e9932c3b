"""What manifests say about a workload's privileges, a namespace's isolation and mTLS."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.kubernetes.manifests import LINE, K8sObject, clean
from collectors.kubernetes.netpol import policy_types
from collectors.kubernetes.workloads import (
    containers,
    pod_labels,
    pod_metadata,
    pod_spec,
    secret_name,
    service_ports,
    target_port,
)
from scanner.model import all_of


def _all(values: Iterable[bool | None]) -> bool | None:
    """True if every value is True, False if any is False, else unknown (also for none)."""
    found = list(values)
    return all_of(found) if found else None


def workload_facts(obj: K8sObject) -> dict[str, bool | None]:
    """Privilege and hygiene facts of a pod template (tri-state; absent = unknown)."""
    spec = pod_spec(obj)
    pod_ctx = spec.get("securityContext") or {}
    cs = containers(obj)
    ctxs = [c.get("securityContext") or {} for c in cs]
    privileged = any(x.get("privileged") is True for x in ctxs)
    host = any(spec.get(k) is True for k in ("hostNetwork", "hostPID", "hostIPC"))
    host_path = any(isinstance(v, dict) and "hostPath" in v for v in spec.get("volumes") or [])
    caps = any((x.get("capabilities") or {}).get("add") for x in ctxs if isinstance(x, dict))

    def non_root(ctx: Mapping[str, Any]) -> bool | None:
        if ctx.get("runAsUser") == 0:
            return False
        if ctx.get("runAsNonRoot") is True or isinstance(ctx.get("runAsUser"), int):
            return True
        return None

    pod_non_root = non_root(pod_ctx)
    runs_as_non_root = _all(non_root(x) if non_root(x) is not None else pod_non_root for x in ctxs)
    escalation = _all(
        (x.get("allowPrivilegeEscalation") is False)
        if "allowPrivilegeEscalation" in x
        else (False if x.get("privileged") is True else None)
        for x in ctxs
    )
    limits = _all(bool(((c.get("resources") or {}).get("limits") or {}).get("memory")) for c in cs)
    automount = spec.get("automountServiceAccountToken")
    return {
        "privileged": privileged,  # Kubernetes' default is unprivileged
        "host_namespaces": host,
        "host_path": host_path,
        "added_capabilities": bool(caps),
        "runs_as_non_root": runs_as_non_root,
        "no_privilege_escalation": escalation,
        "memory_limits": limits if cs else None,
        # Default: the token is mounted unless the pod or its ServiceAccount says no.
        "automount_token": automount if isinstance(automount, bool) else None,
    }


_POINTER = re.compile(
    r"^(\$\([^)]*\)|\$\{[^}]*\}|arn:aws[a-z-]*:|(projects|secretsmanager|vault)[:/])", re.I
)


def holds_secret(value: str) -> bool:
    """Is a credential-named variable's value the credential itself, rather than a
    pointer to one (`$(DB_PASSWORD)` from a secretKeyRef, an ARN, a URL that carries no
    password, a placeholder)?"""
    text = value.strip()
    if not text or _POINTER.match(text) or _PLACEHOLDER.match(text):
        return False
    if "://" in text:
        return bool(re.search(r"://[^/@\s:]+:[^/@\s]+@", text))  # user:password@ only
    return True


def plaintext_secrets(
    obj: K8sObject, config_maps: Mapping[tuple[str | None, str], K8sObject]
) -> tuple[list[tuple[str, int, str]], bool]:
    """Where a workload gets a credential in plain text: (file, line, address) of each
    literal env value in a credential-named variable, and of each ConfigMap it reads a
    credential-named key from (configMapKeyRef or envFrom). Values are never kept. The
    flag says a ConfigMap it reads is not in the files (so the answer is incomplete)."""
    found: list[tuple[str, int, str]] = []
    missing = False

    def data_of(name: object) -> dict[str, Any] | None:
        cm = config_maps.get((obj.namespace, str(name)))
        return clean(cm.body.get("data") or {}) if cm is not None else None

    for c in containers(obj):
        for e in c.get("env") or []:
            if not isinstance(e, dict) or not secret_name(str(e.get("name", ""))):
                continue
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef") or {}
            literal = isinstance(e.get("value"), str) and holds_secret(e["value"])
            if ref.get("name") and ref.get("key"):
                data = data_of(ref["name"])
                missing = missing or data is None
                value = data.get(str(ref["key"])) if data else None
                literal = isinstance(value, str) and holds_secret(value)
            if literal:
                found.append((obj.file, int(e.get(LINE, obj.line)), obj.address))
        for source in c.get("envFrom") or []:
            name = ((source or {}).get("configMapRef") or {}).get("name")
            if not name:
                continue
            data = data_of(name)
            missing = missing or data is None
            if data and any(
                secret_name(str(k)) and isinstance(v, str) and holds_secret(v)
                for k, v in data.items()
            ):
                cm = config_maps[(obj.namespace, str(name))]
                line = int((cm.body.get("data") or {}).get(LINE, cm.line))
                found.append((cm.file, line, cm.address))
    return list(dict.fromkeys(found)), missing


_PLACEHOLDER = re.compile(
    r"^(|\s+|<[^>]*>|\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|ENC\[.*\]|"
    r"change[-_ ]?me|changeit|replace[-_ ]?me|todo|tbd|x+|\*+|dummy|example|placeholder|secret)$",
    re.I | re.S,
)


def _credential_key(name: str) -> bool:
    lowered = name.lower()
    return secret_name(name.replace("-", "_").replace(".", "_")) or lowered.endswith(
        (".key", ".pem", "privatekey", ".dockerconfigjson", ".dockercfg", "credentials", "passwd")
    )


def holds_values(secret: K8sObject) -> bool:
    """Does a Secret manifest carry a real credential (base64 `data` is only an
    encoding)? Only credential keys count (password, token, tls.key, ...); placeholders
    (`change-me`, `<password>`, `${VAR}`, SOPS `ENC[...]`, empty) do not. The values are
    looked at here and never kept."""
    values: list[str] = []
    for key in ("stringData", "data"):
        block = clean(secret.body.get(key) or {})
        if not isinstance(block, dict):
            continue
        for name, value in block.items():
            if not _credential_key(str(name)):
                continue  # username, host, port, database: configuration, not a secret
            text = str(value)
            if key == "data":
                with contextlib.suppress(binascii.Error, ValueError):
                    text = base64.b64decode(text, validate=True).decode("utf-8", "replace")
            values.append(text.strip())
    return any(not _PLACEHOLDER.match(v) for v in values)


def _admits_anyone(rule: dict[str, Any]) -> bool:
    """An ingress rule that lets every source in: no `from`, or a peer that is empty, a
    bare `namespaceSelector: {}` (every pod of every namespace) or 0.0.0.0/0."""
    peers = rule.get("from")
    if not peers:
        return True
    for peer in peers if isinstance(peers, list) else []:
        if not isinstance(peer, dict) or not peer:
            return True
        if peer.get("namespaceSelector") == {} and not peer.get("podSelector"):
            return True
        if (peer.get("ipBlock") or {}).get("cidr") in ("0.0.0.0/0", "::/0"):
            return True
    return False


def default_deny(objs: Iterable[K8sObject]) -> dict[str, bool]:
    """Namespaces whose NetworkPolicies deny ingress by default: a policy that selects
    every pod (empty podSelector) for Ingress and admits nobody, or only named sources
    (an "allow from the ingress controller" policy isolates every pod just the same)."""
    out: dict[str, bool] = {}
    for o in objs:
        if o.kind != "NetworkPolicy" or not o.namespace:
            continue
        spec = clean(o.body.get("spec") or {})
        types = policy_types(spec)
        rules = spec.get("ingress") or []
        isolates = not spec.get("podSelector") and "Ingress" in types
        if isolates and not any(_admits_anyone(r) for r in rules if isinstance(r, dict)):
            out[o.namespace] = True
        else:
            out.setdefault(o.namespace, False)
    return out


class Mesh:
    """Istio and Linkerd: which pods are meshed, and whether mTLS is enforced to them."""

    def __init__(self, objs: list[K8sObject], root_visible: bool = True) -> None:
        # False when the scan may not have seen the mesh root (istio-system) policy: a
        # live scan limited to some namespaces. An unset mode is then unknown, not
        # Istio's PERMISSIVE default.
        self.root_visible = root_visible or any(o.namespace == "istio-system" for o in objs)
        self.injected_ns: dict[str, bool] = {}
        self.linkerd_ns: set[str] = set()
        self.peer_auth: list[K8sObject] = []
        self.plaintext_hosts: list[_Plaintext] = []
        for o in objs:
            labels = clean((o.body.get("metadata") or {}).get("labels") or {})
            notes = clean((o.body.get("metadata") or {}).get("annotations") or {})
            if o.kind == "Namespace":
                istio = labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels
                linkerd = notes.get("linkerd.io/inject") == "enabled"
                self.injected_ns[o.name] = istio or linkerd
                if linkerd and not istio:
                    self.linkerd_ns.add(o.name)
            elif o.kind == "PeerAuthentication":
                self.peer_auth.append(o)
            elif o.kind == "DestinationRule":
                self.plaintext_hosts += _tls_disabled(o)

    @staticmethod
    def _notes(w: K8sObject) -> dict[str, str]:
        """The pod template's annotations, with its labels on top (Istio reads the
        `sidecar.istio.io/inject` label first)."""
        raw = {**pod_metadata(w, "annotations"), **pod_metadata(w, "labels")}
        return {k: v.lower() for k, v in raw.items()}

    def meshed(self, w: K8sObject) -> bool | None:
        """Does the pod get a sidecar? Pod label or annotation, else its namespace's
        injection label; unknown when the files do not hold its Namespace."""
        notes = self._notes(w)
        inject = notes.get("sidecar.istio.io/inject") or notes.get("linkerd.io/inject")
        if inject in ("false", "disabled"):
            return False
        if inject in ("true", "enabled"):
            return True
        return self.injected_ns.get(w.namespace) if w.namespace else None

    def linkerd(self, w: K8sObject) -> bool:
        """Meshed by Linkerd (which encrypts meshed-to-meshed TCP on its own)."""
        notes = self._notes(w)
        if "sidecar.istio.io/inject" in notes:
            return False
        return notes.get("linkerd.io/inject") == "enabled" or (
            w.namespace in self.linkerd_ns and "linkerd.io/inject" not in notes
        )

    def mode(self, w: K8sObject, port: int | None) -> str | None:
        """The effective PeerAuthentication mode for a workload (and port): a workload
        policy (port-level first) beats the namespace's, which beats the mesh root's
        (`istio-system`, without selector). UNSET inherits from the next level."""
        found = self.deciding(w, port)
        return found[1] if found else None

    def deciding(
        self, w: K8sObject, port: int | None, below: int = 4
    ) -> tuple[int, str, K8sObject] | None:
        """(level, mode, policy) that decides `mode`: level 3 port-level, 2 workload, 1
        namespace, 0 mesh root. `below` keeps only levels under it (what a workload
        policy overrides: `below=2`)."""
        best: tuple[int, str, K8sObject] | None = None
        labels = pod_labels(w)
        for pa in self.peer_auth:
            spec = clean(pa.body.get("spec") or {})
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            if pa.namespace != w.namespace and (pa.namespace != "istio-system" or selector):
                continue  # root policies with a selector apply only in istio-system
            if selector and any(labels.get(str(k)) != str(v) for k, v in selector.items()):
                continue
            candidates = [(2 if selector else (1 if pa.namespace == w.namespace else 0), spec)]
            ports = {str(k): v for k, v in (spec.get("portLevelMtls") or {}).items()}
            if selector and port is not None and isinstance(ports.get(str(port)), dict):
                candidates.append((3, ports[str(port)]))  # only honoured with a selector
            for rank, holder in candidates:
                mtls = holder.get("mtls") if holder is spec else holder
                mode = str((mtls or {}).get("mode", "")).upper()
                if mode and mode != "UNSET" and rank < below and (best is None or rank > best[0]):
                    best = (rank, mode, pa)
        return best

    def mtls(
        self,
        src: K8sObject | None,
        dst: K8sObject,
        port: int | None,
        hosts: Iterable[K8sObject] = (),
    ) -> bool | None:
        """Is mTLS enforced on traffic into `dst`? Istio: STRICT on a meshed dst is (an
        unmeshed caller is refused, not served in plaintext), unless a DestinationRule
        for one of `hosts` (the Services in front of dst) sets TLS mode DISABLE;
        PERMISSIVE (the default) or an unmeshed dst is not.
        Linkerd: meshed-to-meshed traffic is mTLS unless a skip-ports annotation takes
        the port out of the proxy. Unknown when nothing says whether a mesh is there."""
        dst_meshed = self.meshed(dst)
        src_meshed = self.meshed(src) if src is not None else False
        if dst_meshed is None:
            return None
        if dst_meshed is False:
            return False
        mode = None if self.linkerd(dst) else self.mode(dst, port)
        if not self.linkerd(dst) and mode is None and not self.root_visible:
            return None  # the mesh-wide default may be STRICT where the scan did not look
        if mode == "STRICT":
            # Enforced at the receiving sidecar: a plaintext (unmeshed) caller is refused.
            return not self._plaintext_rule(dst, port, hosts)
        if src_meshed is False:
            return False
        if src is not None and self.linkerd(src) and self.linkerd(dst):
            skipped = _ports(self._notes(dst).get("config.linkerd.io/skip-inbound-ports"))
            skipped |= _ports(self._notes(src).get("config.linkerd.io/skip-outbound-ports"))
            return port not in skipped
        return False  # PERMISSIVE (Istio's default): plaintext is still accepted

    def workload_policy(self, w: K8sObject) -> K8sObject | None:
        """The PeerAuthentication whose selector picks this workload (its namespace)."""
        labels = pod_labels(w)
        for pa in self.peer_auth:
            spec = clean(pa.body.get("spec") or {})
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            if (
                selector
                and pa.namespace == w.namespace
                and all(labels.get(str(k)) == str(v) for k, v in selector.items())
            ):
                return pa
        return None

    def plaintext_rules(self, hosts: Iterable[K8sObject]) -> list[K8sObject]:
        """The DestinationRules that turn client TLS off toward some port of these
        Services (the ones in front of a workload)."""
        found = [
            rule.rule
            for svc in hosts
            for rule in self.plaintext_hosts
            if _names(rule.host, rule.rule.namespace, svc)
            and rule.covers({p.get("port") for p in service_ports(svc)})
        ]
        return list({rule.address: rule for rule in found}.values())

    def _plaintext_rule(self, dst: K8sObject, port: int | None, hosts: Iterable[K8sObject]) -> bool:
        """A DestinationRule turns client TLS off toward one of dst's Services (port)."""
        for svc in hosts:
            # DestinationRule ports are the Service's; the flow's port is the pod's.
            svc_ports = {p.get("port") for p in service_ports(svc) if target_port(p, dst) == port}
            for rule in self.plaintext_hosts:
                if _names(rule.host, rule.rule.namespace, svc) and rule.covers(svc_ports):
                    return True
        return False


def _ports(value: str | None) -> set[int | None]:
    """Ports of a Linkerd skip annotation: `25,587` or ranges `4000-4010`."""
    out: set[int | None] = set()
    for item in (value or "").split(","):
        low, _, high = item.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            out.update(range(int(low), int(high or low) + 1))
    return out


@dataclass(frozen=True)
class _Plaintext:
    """Where a DestinationRule turns client TLS off: all ports but `kept` (ports whose
    own setting says otherwise) when `ports` is None, else exactly `ports`."""

    rule: K8sObject
    host: str
    ports: frozenset[int] | None
    kept: frozenset[int] = frozenset()

    def covers(self, service_ports: set[Any]) -> bool:
        if self.ports is None:
            return not service_ports or bool(service_ports - self.kept)
        return bool(self.ports & service_ports)


def _tls_disabled(dr: K8sObject) -> list[_Plaintext]:
    """The places a DestinationRule sends plaintext; a port-level setting overrides the
    rule's own TLS mode for its port."""
    spec = clean(dr.body.get("spec") or {})
    host = str(spec.get("host", ""))
    policy = spec.get("trafficPolicy") or {}
    modes: dict[int, str] = {}
    for setting in policy.get("portLevelSettings") or []:
        number = (setting.get("port") or {}).get("number")
        mode = str((setting.get("tls") or {}).get("mode", "")).upper()
        if isinstance(number, int) and mode:
            modes[number] = mode
    out = []
    if str((policy.get("tls") or {}).get("mode", "")).upper() == "DISABLE":
        kept = frozenset(n for n, mode in modes.items() if mode != "DISABLE")
        out.append(_Plaintext(dr, host, None, kept))
    disabled = frozenset(n for n, mode in modes.items() if mode == "DISABLE")
    if disabled:
        out.append(_Plaintext(dr, host, disabled))
    return out


def _names(host: str, namespace: str | None, svc: K8sObject) -> bool:
    """Does a DestinationRule host (short names resolve in the rule's namespace) name a
    Service? A `*.suffix` wildcard matches by the Service's cluster DNS name."""
    if host.startswith("*"):
        return f"{svc.name}.{svc.namespace}.svc.cluster.local".endswith(host[1:])
    parts = host.split(".")
    if len(parts) == 1:
        return (namespace, parts[0]) == (svc.namespace, svc.name)
    return parts[0] == svc.name and parts[1] == svc.namespace
