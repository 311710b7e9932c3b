"""Compute rules on AWS: instance metadata v1 on exposed hosts, privileged ECS containers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import Element, Evidence, Severity

_LAUNCH = re.compile(r"(^|\.)aws_launch_(template|configuration)\.")


def _passes_requests(e: Element) -> bool:
    """Entry points and forwarders hand internet requests on to what is behind them."""
    tech = technology(e.type)
    return tech.entry_point or tech.forwards


def _launch_evidence(host: Element) -> Evidence | None:
    """The launch template (or configuration) that sets the host's metadata options."""
    return next((ev for ev in host.evidence if _LAUNCH.search(ev.address or "")), None)


class InstanceMetadataV1OnExposedHost(Rule):
    """An exposed EC2 host that still answers instance metadata v1 requests.

    Flags each instance group whose launch template states `http_tokens = "optional"`
    (IMDSv1 allowed) when the host is exposed: high when it receives requests from the
    internet (directly, or through a load balancer, CDN or gateway: the path that turns
    a server-side request forgery into a credential leak), medium when it only has a
    public IP. Hosts with no exposure are not flagged; neither are hosts whose metadata
    options the sources do not state, since the AMI and the account-level IMDS defaults
    then decide (current Amazon Linux images and many accounts require IMDSv2).

    Why it matters: IMDSv1 answers a plain GET, so any SSRF or open proxy on the host
    hands out the temporary credentials of its instance role, as in the 2019 Capital One
    breach (CWE-918, CWE-522).

    Remediation: set `metadata_options { http_tokens = "required" }` (with
    `http_put_response_hop_limit = 1` unless containers on the host need the metadata)
    on the launch template.
    """

    meta = RuleMeta(
        id="TM-IAM-001",
        name="instance-metadata-v1-on-exposed-host",
        title="Instance metadata v1 allowed on internet-facing compute",
        stride=("E", "I"),
        controls=("least-privilege",),
        severity=Severity.HIGH,
        remediation=(
            'Require IMDSv2: metadata_options { http_tokens = "required" } on the launch '
            "template (hop limit 1 unless containers need the metadata)."
        ),
        references=("CWE-918", "CWE-522", "OWASP ASVS 5.0 13.2.4", "OWASP API7:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for host in graph.by_type("vm"):
            if host.fact("imds_v2_required") is not False:
                continue
            path = graph.internet_path(host.id, through=_passes_requests)
            if path is not None:
                hops = " -> ".join(graph.element(n).resource for n in path[1:])
                exposure, severity = f"receives requests from the internet ({hops})", None
            elif host.fact("public_ip") is True:
                exposure, severity = "has a public IP", Severity.MEDIUM
            else:
                continue
            launch = _launch_evidence(host)
            resource = launch.address if launch and launch.address else host.resource
            yield Verdict(
                element=host.id,
                resource=resource,
                message=(
                    f"{host.resource} {exposure} and its instances answer metadata v1 "
                    f"requests ({resource} does not require tokens): a request forgery "
                    "returns its role's credentials."
                ),
                evidence=(launch,) if launch else host.evidence[:1],
                path=tuple(path or ()),
                severity=severity,
            )


class PrivilegedEcsContainer(Rule):
    """An ECS task definition with a container that runs privileged.

    Flags each task definition used by a service when one of its containers sets
    `privileged = true`; one finding per task definition, listing the containers, even
    when several services run it. Containers that do not set it are unprivileged (the
    ECS default), and a definition the files do not let the scan read is not judged.
    Kubernetes workloads are covered by TM-PRIV-001.

    Why it matters: a privileged container has every capability and the host's devices;
    whoever runs code in it owns the container instance, every other task on it, and the
    instance role (CWE-250).

    Remediation: remove `privileged` from the container definition; grant only the
    `linuxParameters.capabilities` the process needs.
    """

    meta = RuleMeta(
        id="TM-PRIV-002",
        name="privileged-ecs-container",
        title="ECS task definition runs a privileged container",
        stride=("E",),
        controls=("privileged-workload",),
        severity=Severity.HIGH,
        remediation=(
            "Remove privileged = true from the container definition; add only the Linux "
            "capabilities it needs."
        ),
        references=("CWE-250", "CWE-269"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        seen: set[str] = set()
        for service in graph.by_type("container"):
            by_definition: dict[str, list[str]] = {}
            evidence: dict[str, tuple[Evidence, ...]] = {}
            for part in service.parts:
                if part.kind == "container" and part.fact("privileged") is True:
                    by_definition.setdefault(part.resource, []).append(part.name)
                    evidence.setdefault(part.resource, part.evidence)
            for definition, names in sorted(by_definition.items()):
                if definition in seen:
                    continue
                seen.add(definition)
                exposed = graph.internet_path(service.id, through=_passes_requests) is not None
                yield Verdict(
                    element=service.id,
                    resource=definition,
                    message=(
                        f"{definition} runs container {', '.join(names)} privileged "
                        f"(used by {service.resource}"
                        f"{', which the internet can reach' if exposed else ''})."
                    ),
                    evidence=evidence[definition] or service.evidence[:1],
                )


class AdministratorRoleOnCompute(Rule):
    """Compute that runs with an IAM role allowed every action on every resource.

    Flags each EC2 instance, Lambda function, ECS task or node group whose role is
    granted `Action: "*"` on `Resource: "*"` by an Allow without a condition (an inline
    or customer managed policy, or AWS's AdministratorAccess): critical when the
    compute receives requests from the internet (directly or through a load balancer,
    CDN or gateway) or has a public IP, medium otherwise. Policies the scan cannot read
    (in another root, AWS managed policies other than AdministratorAccess) grant nothing
    here, and a role with any Deny statement, which may carve the grant back, is not
    judged.

    Why it matters: whoever runs code on the host (an RCE, a server-side request
    forgery to the metadata service, a compromised dependency) holds the whole account:
    IAM, data, logs and the means to hide (CWE-250, CWE-269).

    Remediation: replace the wildcard statement with the actions and resources the
    workload uses (IAM Access Analyzer can generate a policy from CloudTrail activity);
    keep administrator access for humans behind MFA, not for workloads.
    """

    meta = RuleMeta(
        id="TM-IAM-002",
        name="administrator-role-on-compute",
        title="Compute runs with an administrator (wildcard) IAM role",
        stride=("E", "T", "I"),
        controls=("least-privilege",),
        severity=Severity.CRITICAL,
        remediation=(
            'Replace Action "*" / Resource "*" with the actions and resources the '
            "workload uses (IAM Access Analyzer can generate them from CloudTrail)."
        ),
        references=("CWE-250", "CWE-269", "OWASP ASVS 5.0 8.2.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for el in graph.elements:
            if el.kind != "process" or el.fact("iam_admin") is not True:
                continue
            role = next((p for p in el.parts if p.kind == "iam-role"), None)
            if role is None:
                continue
            path = graph.internet_path(el.id, through=_passes_requests)
            if path is not None:
                exposure, severity = "receives requests from the internet", None
            elif el.fact("public_ip") is True:
                exposure, severity = "has a public IP", None
            else:
                exposure, severity = "is not reachable from the internet", Severity.MEDIUM
            yield Verdict(
                element=el.id,
                resource=role.resource,
                part=role.name,
                message=(
                    f"{el.resource} runs as {role.resource}, which may do anything to "
                    f"anything in the account; it {exposure}."
                ),
                evidence=role.evidence[1:] or role.evidence,
                path=tuple(path or ()),
                severity=severity,
            )
