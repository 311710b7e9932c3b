"""Access rules on AWS: open management ports, public cluster endpoints, open functions."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict, forwards
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Flow, Severity

# Ports whose service gives control of the host, or its data, to whoever connects.
ADMIN_PORTS = {
    22: "SSH",
    23: "Telnet",
    445: "SMB",
    2375: "Docker API",
    2376: "Docker API",
    2379: "etcd",
    2380: "etcd",
    3389: "RDP",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM",
    6443: "Kubernetes API",
    10250: "kubelet",
    10255: "kubelet",
}
DATA_PORTS = {
    1433: "SQL Server",
    1521: "Oracle",
    3306: "MySQL",
    5432: "PostgreSQL",
    5601: "Kibana",
    5984: "CouchDB",
    6379: "Redis",
    9042: "Cassandra",
    9092: "Kafka",
    9200: "Elasticsearch",
    9300: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}
_WORLD = ("0.0.0.0/0", "::/0")


def _internet_flows(graph: DFDGraph, target: str, paths: dict[str, list[str]]) -> list[Flow]:
    """Flows into `target` straight from the internet, or from a forwarder it reaches."""
    return [
        f
        for f in graph.flows_into(target)
        if f.source == INTERNET_ID
        or (f.source in paths and (src := graph.get(f.source)) is not None and forwards(src))
    ]


class ManagementPortOpenToInternet(Rule):
    """A host whose administrative or database port the internet can connect to.

    Flags each compute element (instance, Auto Scaling or node group, container service)
    that the internet reaches directly, or through a network load balancer, on a port
    whose service controls the host or serves data: SSH, RDP, WinRM, VNC, Telnet, SMB,
    the Docker daemon, etcd, the kubelet, the Kubernetes API, or a self-run database,
    cache or search engine. Each leg must be stated by the sources (a public IP in a
    public subnet, a security group and network ACL admitting 0.0.0.0/0 or ::/0). One
    finding per host, listing its ports. Managed datastores are not flagged here
    (TM-PUB-001 covers a datastore the internet reaches). SSH is medium (key-only
    authentication by default on AWS images), the others high. A rule that opens a port
    range or every port is reported as unconfirmed: which ports the range holds is not in
    the model.

    Why it matters: these ports are scanned continuously; one weak or leaked credential,
    or one unauthenticated service (Docker, kubelet, Redis, Elasticsearch), gives the
    host and everything its role can reach (CWE-284, CWE-668).

    Remediation: remove the 0.0.0.0/0 rule; reach hosts through Session Manager, a VPN or
    a bastion restricted to known addresses, and keep self-run databases in private
    subnets.
    """

    meta = RuleMeta(
        id="TM-NET-001",
        name="management-port-open-to-internet",
        title="Administrative or database port reachable from the internet",
        stride=("E", "I"),
        controls=("public-exposure",),
        severity=Severity.HIGH,
        remediation=(
            "Remove the ingress rule for 0.0.0.0/0 (and ::/0) on the port; use Session "
            "Manager or a VPN, or admit only known administrator addresses."
        ),
        references=("CWE-284", "CWE-668", "OWASP ASVS 5.0 V13", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        paths = graph.internet_paths(through=forwards)
        for host in graph.by_kind("process"):
            tech = technology(host.type)
            if tech.entry_point or tech.stores_data:
                continue  # load balancers and gateways are meant to be reached
            hits: list[tuple[Flow, str]] = []
            ranges: list[Flow] = []
            for flow in _internet_flows(graph, host.id, paths):
                if flow.port is None:
                    ranges.append(flow)
                elif (label := ADMIN_PORTS.get(flow.port) or DATA_PORTS.get(flow.port)) is not None:
                    hits.append((flow, f"{flow.port} ({label})"))
            if not hits and not ranges:
                continue
            flows = [f for f, _ in hits] or ranges
            first = flows[0]
            via = paths.get(first.source, [INTERNET_ID])
            if hits:
                ports = ", ".join(dict.fromkeys(label for _, label in hits))
                message = f"{host.resource} accepts connections from the internet on {ports}."
                only_ssh = all(f.port == 22 for f, _ in hits)
                severity = Severity.MEDIUM if only_ssh else Severity.HIGH
                confidence = Confidence.HIGH
            else:
                message = (
                    f"{host.resource} accepts connections from the internet on a port range "
                    f"or every port ({first.derivation}). Unconfirmed: whether the range "
                    "holds administrative or database ports is not known."
                )
                severity, confidence = Severity.HIGH, Confidence.LOW
            yield Verdict(
                element=host.id,
                resource=host.resource,
                message=message,
                evidence=tuple(dict.fromkeys(ev for f in flows for ev in f.evidence)),
                flow=first.id,
                path=(*via, host.id),
                severity=severity,
                confidence=confidence,
            )


class ClusterEndpointOpenToInternet(Rule):
    """An EKS cluster whose API endpoint is public to any address.

    Flags each EKS cluster with a public endpoint whose allowed CIDRs include 0.0.0.0/0
    or ::/0, stated or by default (`public_access_cidrs` not set means 0.0.0.0/0, and
    the endpoint is public unless `endpoint_public_access = false`). A public endpoint
    whose allowed CIDRs the files do not determine is reported as unconfirmed; one
    restricted to named CIDRs, or private only, is not flagged. The API server still
    authenticates every request: the finding is the attack surface, not open access.

    Why it matters: the control plane of every workload in the cluster is reachable by
    anyone: credential stuffing with leaked kubeconfigs or tokens, and any pre-auth API
    server vulnerability, come straight from the internet (CWE-668).

    Remediation: set `endpoint_private_access = true` and either
    `endpoint_public_access = false` (reach it through a VPN or bastion) or
    `public_access_cidrs` to the administrators' and CI's addresses.
    """

    meta = RuleMeta(
        id="TM-NET-002",
        name="cluster-endpoint-open-to-internet",
        title="EKS API endpoint public to 0.0.0.0/0",
        stride=("E", "S"),
        controls=("public-exposure",),
        severity=Severity.MEDIUM,
        remediation=(
            "Enable the private endpoint; turn the public one off or restrict "
            "public_access_cidrs to known addresses."
        ),
        references=("CWE-668", "OWASP ASVS 5.0 V13", "CIS Amazon EKS Benchmark 5.4.2"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in graph.by_type("kubernetes-api"):
            if api.fact("endpoint_public_access") is not True:
                continue
            cidrs = api.fact("public_access_cidrs")
            entry = next((f for f in graph.flows_into(api.id) if f.source == INTERNET_ID), None)
            if isinstance(cidrs, str):
                if not any(c.strip() in _WORLD for c in cidrs.split(",")):
                    continue  # restricted to named addresses
                message = f"{api.resource} serves its Kubernetes API to any address ({cidrs})."
                confidence = Confidence.HIGH
            else:
                message = (
                    f"{api.resource} has a public API endpoint. Unconfirmed: the addresses "
                    "it admits (public_access_cidrs) are not known."
                )
                confidence = Confidence.LOW
            yield Verdict(
                element=api.id,
                resource=api.resource,
                message=message,
                evidence=entry.evidence if entry else api.evidence[:1],
                flow=entry.id if entry else None,
                path=(INTERNET_ID, api.id) if entry else (),
                confidence=confidence,
            )


class FunctionUrlWithoutAuth(Rule):
    """A Lambda function URL that anyone on the internet can invoke unsigned.

    Flags each function URL with `authorization_type = "NONE"`. High when the function
    can reach datastores (it has flows to them, from configuration or its role), medium
    otherwise. The function's own code may still authenticate callers (a webhook that
    verifies a signature): the finding says what the platform does not enforce. A URL
    with AWS_IAM, or whose authorization type the sources do not determine, is not
    flagged.

    Why it matters: every request reaches the code with no identity checked, at the
    caller's chosen rate; whatever the function can read or change is one bug away from
    the internet (CWE-306, OWASP API2:2023).

    Remediation: use `authorization_type = "AWS_IAM"` and sign requests (or put the
    function behind API Gateway with an authorizer); if it must be open, verify a
    request signature in code and set reserved concurrency.
    """

    meta = RuleMeta(
        id="TM-AUTH-001",
        name="function-url-without-auth",
        title="Lambda function URL with authorization NONE",
        stride=("S",),
        controls=("authn",),
        severity=Severity.MEDIUM,
        remediation=(
            'Set authorization_type = "AWS_IAM" on the function URL, or front the function '
            "with API Gateway and an authorizer."
        ),
        references=("CWE-306", "OWASP ASVS 5.0 V6", "OWASP API2:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for fn in graph.by_type("function"):
            entry = next((f for f in graph.flows_into(fn.id) if f.source == INTERNET_ID), None)
            for url in fn.parts:
                if url.kind != "function-url" or url.fact("authorization_type") != "NONE":
                    continue
                stores = sorted(
                    {
                        graph.element(f.target).resource
                        for f in graph.flows_from(fn.id)
                        if technology(graph.element(f.target).type).stores_data
                    }
                )
                message = f"{url.resource} lets anyone invoke {fn.resource} without signing."
                if stores:
                    message += f" The function can reach {', '.join(stores[:3])}."
                yield Verdict(
                    element=fn.id,
                    resource=url.resource,
                    message=message,
                    evidence=url.evidence or fn.evidence[:1],
                    flow=entry.id if entry else None,
                    path=(INTERNET_ID, fn.id) if entry else (),
                    severity=Severity.HIGH if stores else Severity.MEDIUM,
                    part=url.name,
                )
