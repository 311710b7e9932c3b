"""Rules on internet-facing workloads: API tokens worth stealing, scratch that fills nodes."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from rules.k8s_scope import internet_facing, k8s_workloads
from scanner.graph import DFDGraph
from scanner.model import Confidence, Severity

_GRANTS = (
    ("rbac_secrets", "read Secrets"),
    ("rbac_exec", "exec into pods"),
    ("rbac_escalate", "bind, escalate or impersonate"),
)


class ExposedWorkloadWithApiToken(Rule):
    """An internet-facing workload that carries a Kubernetes API token with power.

    Flags a workload that the internet reaches through an entry point (an Ingress,
    Gateway or load-balancer Service sends to it) when its service account token is
    mounted and the RoleBindings or ClusterRoleBindings among the scanned manifests let
    that account read Secrets, exec into pods, or bind, escalate or impersonate. The
    token is mounted unless the pod or its ServiceAccount sets
    `automountServiceAccountToken: false`; when neither says and the ServiceAccount is
    not among the scanned manifests, the finding is unconfirmed (low). Not flagged:
    workloads the internet does not reach directly, accounts with no binding in the
    files (unknown is not a grant), and cluster-admin or wildcard grants, which
    TM-RBAC-001 reports for every workload. High when a ClusterRoleBinding gives the
    grant (every namespace), otherwise medium.

    Why it matters: the first bug in an internet-facing service hands the attacker its
    token at /var/run/secrets/kubernetes.io/serviceaccount, and with it the namespace's
    credentials or a shell in its other pods (CWE-250, CWE-522).

    Remediation: set `automountServiceAccountToken: false` on the pod when it does not
    call the API; otherwise move the API work to a workload the internet cannot reach,
    or narrow the Role to the named resources and verbs it uses.
    """

    meta = RuleMeta(
        id="TM-K8S-004",
        name="exposed-workload-with-api-token",
        title="Internet-facing workload carries a powerful API token",
        stride=("E", "I"),
        controls=("least-privilege",),
        severity=Severity.HIGH,
        remediation=(
            "Set automountServiceAccountToken: false on the pod, or move the API access to "
            "a workload the internet cannot reach and narrow its Role."
        ),
        references=(
            "CWE-250",
            "CWE-522",
            "OWASP ASVS 5.0 13.2.2",
            "Kubernetes RBAC good practices",
        ),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        facing = internet_facing(graph)
        for w in k8s_workloads(graph):
            path = facing.get(w.id)
            token = w.fact("automount_token")
            grants = [text for fact, text in _GRANTS if w.fact(fact) is True]
            if not path or not grants or token is False or w.fact("rbac_wildcard") is True:
                continue
            wide = w.fact("rbac_cluster_wide") is True
            hops = " -> ".join(graph.element(n).resource for n in path)
            message = (
                f"{w.resource} faces the internet ({hops}) and its service account token "
                f"may {', '.join(grants)} {'in every namespace' if wide else 'in its namespace'}."
            )
            if token is None:
                message += (
                    " Unconfirmed: neither the pod nor a ServiceAccount among the scanned "
                    "manifests says whether the token is mounted (it is by default)."
                )
            where = w.evidence_for("automount_token")
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=message,
                evidence=tuple(dict.fromkeys((*w.evidence[:1], *((where,) if where else ())))),
                path=tuple(path),
                severity=Severity.HIGH if wide else Severity.MEDIUM,
                confidence=Confidence.HIGH if token is True else Confidence.LOW,
            )


class UnboundedScratchStorage(Rule):
    """An internet-facing workload whose scratch volume can fill its node's disk.

    Flags a workload that the internet reaches through an entry point when its pod
    mounts a disk-backed emptyDir without `sizeLimit` and no container sets an
    ephemeral-storage limit (which would bound the pod's total), in a namespace with no
    LimitRange among the scanned manifests (one may supply a default; hence medium
    confidence, low when the namespace is not stated). The emptyDir is where a service
    writes request-driven data (uploads, caches, temporary files), and only
    internet-facing workloads let outsiders drive it. Not flagged: memory-backed
    emptyDirs (they count against the memory limit, TM-RES-001's), a missing
    ephemeral-storage limit alone (nearly every pod lacks one), missing CPU limits
    (they throttle, and CPU requests already protect neighbours), and workloads the
    internet does not reach directly.

    Why it matters: the kubelet evicts pods under disk pressure, so one workload that
    lets clients fill its emptyDir takes down its neighbours on the node (CWE-400,
    CWE-770).

    Remediation: set `emptyDir.sizeLimit` (and `resources.limits.ephemeral-storage` on
    the containers), or give the namespace a LimitRange with an ephemeral-storage default.
    """

    meta = RuleMeta(
        id="TM-K8S-005",
        name="unbounded-scratch-storage",
        title="Internet-facing workload has unbounded scratch storage",
        stride=("D",),
        controls=("resource-limits",),
        severity=Severity.LOW,
        remediation=(
            "Set sizeLimit on the emptyDir volume and resources.limits.ephemeral-storage on "
            "the containers, or a namespace LimitRange default."
        ),
        references=("CWE-400", "CWE-770", "OWASP API4:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        facing = internet_facing(graph)
        for w in k8s_workloads(graph):
            path = facing.get(w.id)
            if not path or w.fact("scratch_unbounded") is not True:
                continue
            zone = graph.boundary(w.boundary) if w.boundary else None
            if zone is not None and zone.props.get("limit_range") is True:
                continue
            where = tuple(ev for ev in w.evidence if ev.fact == "scratch_unbounded")
            volumes = "; ".join(ev.detail or "" for ev in where)
            hops = " -> ".join(graph.element(n).resource for n in path)
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=(
                    f"{w.resource} faces the internet ({hops}) and its scratch storage has "
                    f"no bound: {volumes}, and no container sets an ephemeral-storage limit."
                ),
                evidence=where or w.evidence[:1],
                confidence=(
                    Confidence.MEDIUM
                    if zone is not None and zone.type == "namespace"
                    else Confidence.LOW
                ),
            )
