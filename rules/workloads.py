"""Workload rules: privileged containers, secrets in plain env, missing resource limits."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.graph import DFDGraph
from scanner.model import Confidence, Element, Severity


def _workloads(graph: DFDGraph) -> Iterable[Element]:
    return (e for e in graph.elements if e.id.startswith("k8s:") and e.fact("image"))


class PrivilegedWorkload(Rule):
    """A workload that runs privileged, shares the node's namespaces or mounts its files.

    Flags one finding per workload (not one per setting) when a container is privileged,
    the pod uses hostNetwork, hostPID or hostIPC, or it mounts a hostPath volume. Each
    of these lets a compromised container reach the node, and from there every pod and
    credential on it.

    Why it matters: container escape is one setting away; an exposed workload with any of
    these is a path to the whole node (CWE-250).

    Remediation: drop `privileged`, the host namespaces and hostPath mounts; if a node
    agent really needs them, run it in its own namespace under a restricted policy.
    """

    meta = RuleMeta(
        id="TM-PRIV-001",
        name="privileged-workload",
        title="Workload runs privileged or with host access",
        stride=("E",),
        controls=("privileged-workload",),
        severity=Severity.HIGH,
        remediation=(
            "Remove privileged: true, hostNetwork/hostPID/hostIPC and hostPath volumes; "
            "enforce the restricted Pod Security Standard on the namespace."
        ),
        references=("CWE-250", "Kubernetes Pod Security Standards (baseline)"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for w in _workloads(graph):
            what = [
                label
                for fact, label in (
                    ("privileged", "a privileged container"),
                    ("host_namespaces", "host namespaces"),
                    ("host_path", "a hostPath volume"),
                )
                if w.fact(fact) is True
            ]
            if what:
                yield Verdict(
                    element=w.id,
                    resource=w.resource,
                    message=f"{w.resource} runs with {', '.join(what)}.",
                    evidence=w.evidence[:1],
                )


class PlaintextSecretInEnv(Rule):
    """A credential written as a literal value in a workload's environment.

    Flags a workload when an env var whose name says it holds a credential (PASSWORD,
    SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIAL) has a literal `value`, or takes it
    from a ConfigMap (`configMapKeyRef`, or `envFrom` of a ConfigMap with such a key).
    The evidence points at each place (the env entry, the ConfigMap's data); the value
    is never reported. A `secretKeyRef` is not flagged, nor are names such as TOKEN_TTL
    or *_FILE.

    Why it matters: the manifest (and everyone who can read it, its repository and the
    API object) holds the secret in clear text (CWE-798, CWE-312).

    Remediation: move the value into a Secret (or an external secret store) and use
    `valueFrom.secretKeyRef`; rotate the exposed credential.
    """

    meta = RuleMeta(
        id="TM-SEC-001",
        name="plaintext-secret-in-env",
        title="Credential in plain text in a workload's environment",
        stride=("I",),
        controls=("secrets",),
        severity=Severity.HIGH,
        remediation="Reference a Secret with valueFrom.secretKeyRef and rotate the credential.",
        references=("CWE-798", "CWE-312", "OWASP ASVS 5.0 13.3.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for w in _workloads(graph):
            if w.fact("plaintext_secret_env") is True:
                where = tuple(e for e in w.evidence if e.fact == "plaintext_secret_env")
                yield Verdict(
                    element=w.id,
                    resource=w.resource,
                    message=(
                        f"{w.resource} takes a credential in plain text from "
                        f"{len(where) or 1} place(s): a literal env value or a ConfigMap."
                    ),
                    evidence=where or w.evidence[:1],
                )


class SecretValuesInManifest(Rule):
    """A Secret manifest that carries its values.

    Flags each Secret object among the scanned files whose `data` or `stringData` holds
    a value that is not a placeholder (`change-me`, `<password>`, `${VAR}`, SOPS
    `ENC[...]`, empty). Base64 in `data` is an encoding, not encryption. The finding
    points at the object; the value is never reported.

    Why it matters: everyone who can read the repository, its history and its CI logs
    holds the credential (CWE-312, CWE-540).

    Remediation: keep Secrets out of the repository (External Secrets, Sealed Secrets,
    SOPS, or a secret store CSI driver) and rotate the committed credential.
    """

    meta = RuleMeta(
        id="TM-SEC-002",
        name="secret-values-in-manifest",
        title="Secret manifest carries its values",
        stride=("I",),
        controls=("secrets",),
        severity=Severity.HIGH,
        remediation=(
            "Move the value to External Secrets, Sealed Secrets or SOPS, delete it from "
            "the repository and rotate it."
        ),
        references=("CWE-312", "CWE-540", "OWASP ASVS 5.0 13.3.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for zone in graph.boundaries:
            if zone.type != "cluster":
                continue
            for ev in zone.evidence:
                if ev.fact == "plaintext_secret" and ev.address:
                    yield Verdict(
                        element=zone.id,
                        resource=ev.address,
                        message=f"{ev.address} holds its values in the manifest.",
                        evidence=(ev,),
                    )


class WorkloadWithoutLimits(Rule):
    """A workload whose containers have no memory limit, in a namespace with no
    LimitRange among the scanned manifests to supply a default.

    Why it matters: one container can take the node's memory and evict its neighbours, a
    denial of service that needs no attacker beyond a leak or a large request (CWE-770).

    Remediation: set resources.limits.memory (and requests) on every container, or give
    the namespace a LimitRange with defaults.
    """

    meta = RuleMeta(
        id="TM-RES-001",
        name="workload-without-limits",
        title="Workload has no memory limit",
        stride=("D",),
        controls=("resource-limits",),
        severity=Severity.LOW,
        remediation="Set resources.limits.memory on each container, or a namespace LimitRange.",
        references=("CWE-770", "OWASP API4:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for w in _workloads(graph):
            if w.fact("memory_limits") is not False:
                continue
            zone = graph.boundary(w.boundary) if w.boundary else None
            if zone is not None and zone.props.get("limit_range") is True:
                continue  # a LimitRange supplies the default
            # Defaults may come from a LimitRange outside the scanned files.
            known = zone is not None and zone.type == "namespace"
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=f"{w.resource} has a container without a memory limit.",
                evidence=w.evidence[:1],
                confidence=Confidence.MEDIUM if known else Confidence.LOW,
            )


class OverprivilegedServiceAccount(Rule):
    """A workload whose service account holds cluster-admin or wildcard RBAC.

    Flags a workload when a RoleBinding or ClusterRoleBinding among the scanned
    manifests gives its service account `cluster-admin` or a rule with `*` verbs on `*`
    resources. Through a ClusterRoleBinding the grant spans every namespace (high);
    through a RoleBinding it is one namespace (medium). Bindings outside the scanned
    files are not known, so a workload with none found is not flagged.

    Why it matters: anyone who compromises the pod takes its mounted token and with it
    the cluster: read every secret, exec into any pod, create privileged pods (CWE-269).

    Remediation: give the workload its own service account bound to a Role that lists
    only the resources and verbs it uses; set automountServiceAccountToken: false when it
    needs none.
    """

    meta = RuleMeta(
        id="TM-RBAC-001",
        name="overprivileged-service-account",
        title="Workload's service account has cluster-admin or wildcard RBAC",
        stride=("E",),
        controls=("least-privilege",),
        severity=Severity.HIGH,
        remediation=(
            "Bind the workload's own service account to a narrowly scoped Role; disable "
            "token automounting where the API is not used."
        ),
        references=("CWE-269", "CWE-250", "Kubernetes RBAC good practices"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for w in _workloads(graph):
            if w.fact("rbac_wildcard") is not True:
                continue
            wide = w.fact("rbac_cluster_wide") is True
            yield Verdict(
                element=w.id,
                resource=w.resource,
                message=(
                    f"{w.resource} runs as a service account with wildcard or cluster-admin "
                    f"RBAC {'across the cluster' if wide else 'in its namespace'}."
                ),
                evidence=w.evidence[:1],
                severity=Severity.HIGH if wide else Severity.MEDIUM,
            )
