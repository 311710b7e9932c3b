"""Container hardening rules: root users, privilege escalation, dangerous capabilities."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from rules.k8s_scope import exposure, internet_facing, k8s_workloads, raised
from scanner.graph import DFDGraph
from scanner.model import Confidence, Element, Evidence, Part, Severity

# Capabilities the Pod Security Standards (baseline) allow a container to add.
BASELINE_CAPABILITIES = frozenset(
    [
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ]
)
# Capabilities with known ways out of the container to the node (mounts, kernel modules,
# ptrace, open_by_handle_at, raw devices, eBPF, security-module policy).
ESCAPE_CAPABILITIES = frozenset(
    [
        "ALL",
        "SYS_ADMIN",
        "SYS_MODULE",
        "SYS_PTRACE",
        "DAC_READ_SEARCH",
        "SYS_RAWIO",
        "BPF",
        "SYS_BOOT",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
    ]
)
# With these, Kubernetes keeps privilege escalation on whatever the container says.
FORCE_ESCALATION = frozenset({"ALL", "SYS_ADMIN"})


def containers(w: Element) -> list[Part]:
    """The container parts that are not privileged (privileged ones: TM-PRIV-001)."""
    return [p for p in w.parts if p.kind == "container" and p.fact("privileged") is not True]


def evidence(part: Part, fact: str) -> Evidence:
    return next((ev for ev in part.evidence if ev.fact == fact), part.evidence[0])


def label(part: Part) -> str:
    return f"init container {part.name}" if part.fact("init") is True else part.name


def user(part: Part) -> bool | None:
    """Root (True), non-root (False) as the manifest states it; None: the image decides."""
    uid, non_root = part.fact("run_as_user"), part.fact("run_as_non_root")
    if uid == 0:
        return None if non_root is True else True  # both: the kubelet refuses to start it
    if non_root is True or (isinstance(uid, int) and uid > 0):
        return False
    return None


def risky(part: Part) -> list[str]:
    """Added capabilities beyond the baseline set."""
    added = str(part.fact("added_capabilities") or "")
    return [c for c in added.split(",") if c and c not in BASELINE_CAPABILITIES]


def graded(caps: Iterable[str]) -> Severity:
    return Severity.HIGH if set(caps) & ESCAPE_CAPABILITIES else Severity.MEDIUM


class ContainerRunsAsRoot(Rule):
    """A container that the manifest runs as root (UID 0).

    Flags a workload once, listing its containers (init containers too), when a
    container's effective `runAsUser` (its own securityContext, else the pod's) is 0 and
    `runAsNonRoot` is not true (with both, the kubelet refuses to start it). A container
    that sets `runAsNonRoot: false` and no user is reported unconfirmed (low): the check
    is switched off and the image's USER, which manifests do not show, decides. A
    container that states neither runs as its image's USER, which is unknown, not root:
    it is not flagged (peers flag every such container, the main source of their noise),
    nor is a pod with `hostUsers: false`, whose root maps to an unprivileged user on the
    node (the Pod Security Standards relax the check for it). Privileged containers are
    TM-PRIV-001's. Medium, high when the workload faces the internet (an Ingress,
    Gateway or load-balancer Service sends to it).

    Why it matters: root in the container owns every file of the image and each mounted
    volume, keeps the runtime's default capabilities, and is one kernel or runtime bug
    away from root on the node (CWE-250).

    Remediation: build the image with a non-root USER and set `runAsNonRoot: true` and a
    non-zero `runAsUser` in the pod's securityContext.
    """

    meta = RuleMeta(
        id="TM-K8S-001",
        name="container-runs-as-root",
        title="Container runs as root",
        stride=("E",),
        controls=("privileged-workload",),
        severity=Severity.MEDIUM,
        remediation=(
            "Set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or "
            "container), using an image whose USER is not root."
        ),
        references=("CWE-250", "Kubernetes Pod Security Standards (restricted)"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        facing = internet_facing(graph)
        for w in k8s_workloads(graph):
            if w.fact("user_namespace") is True:
                continue  # root in a user namespace is an unprivileged user on the node
            root = [p for p in containers(w) if user(p) is True]
            unchecked = [
                p
                for p in containers(w)
                if p.fact("run_as_non_root") is False and p.fact("run_as_user") is None
            ]
            found = root or unchecked
            if not found:
                continue
            fact = "run_as_user" if root else "run_as_non_root"
            what = ", ".join(f"{label(p)} ({evidence(p, fact).detail})" for p in found)
            path = facing.get(w.id)
            if root:
                message = f"{w.resource} runs as root: {what}."
            else:
                message = (
                    f"{w.resource} switches the non-root check off: {what}; unconfirmed: "
                    "the image's USER, which the manifests do not show, decides."
                )
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=message + exposure(graph, path),
                evidence=tuple(evidence(p, fact) for p in found),
                confidence=Confidence.HIGH if root else Confidence.LOW,
                severity=raised(self.meta.severity, path),
            )


class EscalationIntoCapabilities(Rule):
    """A non-root container that can escalate into capabilities beyond the baseline.

    Flags a workload once when a container stated to run as non-root (`runAsNonRoot:
    true` or a non-zero `runAsUser`) adds capabilities outside the Pod Security Standards
    baseline set (NET_ADMIN, NET_RAW, SYS_PTRACE, ...) and does not set
    `allowPrivilegeEscalation: false` (unset allows it: Kubernetes sets no_new_privs
    only when it is false). A non-root process holds added capabilities only through
    setuid or file-capability binaries, which escalation permits. Not flagged: a root
    container (escalation gives root nothing new; TM-K8S-001 and TM-K8S-003 report it),
    a container whose user the manifest does not state (TM-K8S-003), SYS_ADMIN and ALL
    (Kubernetes keeps escalation on with them; TM-K8S-003), privileged containers
    (TM-PRIV-001), and non-root containers that add nothing: flagging every container
    without `allowPrivilegeEscalation: false` is the noise peers make, and an image
    without setuid binaries gains nothing from it. High for escape-grade capabilities,
    otherwise medium (high when the workload faces the internet).

    Why it matters: running as non-root looks like containment, but any setuid or
    file-capability binary in the image hands the process the added capabilities
    (CWE-269, CWE-250).

    Remediation: set `allowPrivilegeEscalation: false`; a non-root process then cannot
    use the added capabilities, so drop them, or keep only what a binary needs.
    """

    meta = RuleMeta(
        id="TM-K8S-002",
        name="escalation-into-capabilities",
        title="Non-root container can escalate into added capabilities",
        stride=("E",),
        controls=("privileged-workload",),
        severity=Severity.MEDIUM,
        remediation=(
            "Set securityContext.allowPrivilegeEscalation: false and remove the added "
            "capabilities the container does not need."
        ),
        references=("CWE-269", "CWE-250", "Kubernetes Pod Security Standards (restricted)"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        facing = internet_facing(graph)
        for w in k8s_workloads(graph):
            found = [
                (p, caps)
                for p in containers(w)
                if user(p) is False
                and p.fact("allow_privilege_escalation") is True
                and (caps := risky(p))
                and not set(caps) & FORCE_ESCALATION
            ]
            if not found:
                continue
            what = "; ".join(
                f"{label(p)} adds {', '.join(caps)} "
                f"({evidence(p, 'allow_privilege_escalation').detail})"
                for p, caps in found
            )
            path = facing.get(w.id)
            worst = max(graded(caps) for _, caps in found)
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=(
                    f"{w.resource} runs as non-root but can escalate into added "
                    f"capabilities: {what}." + exposure(graph, path)
                ),
                evidence=tuple(
                    ev
                    for p, _ in found
                    for ev in (
                        evidence(p, "allow_privilege_escalation"),
                        evidence(p, "added_capabilities"),
                    )
                ),
                severity=raised(worst, path),
            )


class DangerousCapabilities(Rule):
    """A container whose process holds capabilities beyond the baseline.

    Flags a workload once, listing each container and capability, when a container adds
    capabilities outside the Pod Security Standards baseline set (NET_BIND_SERVICE,
    CHOWN, SETUID and the like are fine) and runs as root, or as a user the manifest does
    not state; SYS_ADMIN and ALL whatever the user (Kubernetes keeps privilege
    escalation on with them). Escape-grade capabilities (ALL, SYS_ADMIN, SYS_MODULE,
    SYS_PTRACE, DAC_READ_SEARCH, SYS_RAWIO, BPF, SYS_BOOT, MAC_ADMIN, MAC_OVERRIDE) are
    high; others (NET_ADMIN, NET_RAW, SYS_TIME, ...) medium, high when the workload
    faces the internet. A non-root container that allows escalation is TM-K8S-002's; one
    that disallows it cannot use the capabilities and is not flagged. When the user is
    not stated and escalation is off, the finding is unconfirmed: the capabilities are
    held only if the image's USER is root. Privileged containers are TM-PRIV-001's.

    Why it matters: these capabilities reach past the container: mounting file
    systems, loading kernel modules, tracing other processes, reconfiguring or spoofing
    the node's network (CWE-250).

    Remediation: drop the capability (`capabilities.drop: [ALL]` and add back only
    NET_BIND_SERVICE where needed); move node-level work into a dedicated, unexposed
    agent in its own namespace.
    """

    meta = RuleMeta(
        id="TM-K8S-003",
        name="dangerous-capabilities",
        title="Container adds dangerous Linux capabilities",
        stride=("E",),
        controls=("privileged-workload",),
        severity=Severity.HIGH,
        remediation=(
            "Remove the capabilities from securityContext.capabilities.add; drop ALL and "
            "add back only NET_BIND_SERVICE if a low port is needed."
        ),
        references=("CWE-250", "Kubernetes Pod Security Standards (baseline)"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        facing = internet_facing(graph)
        for w in k8s_workloads(graph):
            found = []
            for p in containers(w):
                caps = risky(p)
                held = user(p) is True or bool(set(caps) & FORCE_ESCALATION)
                if caps and (held or user(p) is None):
                    sure = held or p.fact("allow_privilege_escalation") is True
                    found.append((p, caps, sure))
            if not found:
                continue
            what = "; ".join(f"{label(p)} adds {', '.join(caps)}" for p, caps, _ in found)
            sure = any(s for _, _, s in found)
            path = facing.get(w.id)
            message = f"{w.resource} holds dangerous capabilities: {what}."
            if not sure:
                message += (
                    " Unconfirmed: escalation is off, so they are held only if the image's "
                    "USER, which the manifests do not show, is root."
                )
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=message + exposure(graph, path),
                evidence=tuple(evidence(p, "added_capabilities") for p, _, _ in found),
                severity=raised(max(graded(c) for _, c, _ in found), path),
                confidence=Confidence.HIGH if sure else Confidence.LOW,
            )
