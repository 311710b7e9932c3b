"""EKS clusters (their API endpoints) and managed node groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws.services.compute.records import EksCluster, EksNodeGroup
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_fields import (
    flag,
    integer,
    keyed,
    mappings,
    text,
    texts,
)


def read_eks(api: Api) -> dict[str, Any]:
    """Cluster names; per name its description and its node groups' descriptions
    (None where a call failed)."""
    names = api.items("ListClusters", "clusters")
    clusters: dict[str, Any] = {}
    nodegroups: dict[str, dict[str, Any] | None] = {}
    for name in texts(names):
        found = api.call("DescribeCluster", name=name)
        clusters[name] = None if found is None else found.get("cluster")
        groups = api.items("ListNodegroups", "nodegroups", clusterName=name)
        if groups is None:
            nodegroups[name] = None
            continue
        described: dict[str, Any] = {}
        for group in texts(groups):
            ng = api.call("DescribeNodegroup", clusterName=name, nodegroupName=group)
            described[group] = None if ng is None else ng.get("nodegroup")
        nodegroups[name] = described
    return {"clusterNames": names, "clusters": clusters, "nodegroups": nodegroups}


def eks(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """EksCluster and EksNodeGroup records of one region."""
    described = keyed(raw.get("clusters"))
    arns: dict[str, str] = {}
    out: list[Record] = []
    for name in texts(raw.get("clusterNames")):
        body = keyed(described.get(name))
        arns[name] = text(body.get("arn")) or where.arn("eks", f"cluster/{name}")
        out.append(_cluster(name, arns[name], described.get(name), where))
    for cluster, groups in keyed(raw.get("nodegroups")).items():
        arn = arns.get(cluster) or where.arn("eks", f"cluster/{cluster}")
        for name, ng in keyed(groups).items():
            out.append(_node_group((cluster, arn), name, ng, where))
    return out


def _cluster(name: str, arn: str, cluster: object, where: Where) -> EksCluster:
    """A cluster; one that could not be described exists with every fact unknown."""
    if not isinstance(cluster, Mapping):
        return EksCluster(arn, arn, where.evidence(arn), key=f"eks:cluster:{name}", name=name)
    vpc = keyed(cluster.get("resourcesVpcConfig"))
    # The cluster security group EKS creates guards the endpoint's ENIs too.
    groups = (*texts(vpc.get("securityGroupIds")), *texts([vpc.get("clusterSecurityGroupId")]))
    cidrs = vpc.get("publicAccessCidrs")
    return EksCluster(
        arn,
        arn,
        where.evidence(arn),
        key=f"eks:cluster:{name}",
        name=name,
        subnets=texts(vpc.get("subnetIds")),
        security_groups=tuple(dict.fromkeys(groups)),
        public_endpoint=flag(vpc.get("endpointPublicAccess")),
        private_endpoint=flag(vpc.get("endpointPrivateAccess")),
        public_cidrs=texts(cidrs) if isinstance(cidrs, list) else None,
        secrets_kms_key=_secrets_encrypted(cluster.get("encryptionConfig", [])),
        audit_logging=_audit_logging(cluster.get("logging")),
        endpoint_evidence=where.evidence(arn, detail="resourcesVpcConfig endpoint access"),
    )


def _secrets_encrypted(config: object) -> bool | None:
    """Envelope encryption of secrets: AWS omits encryptionConfig when there is none."""
    if not isinstance(config, list):
        return None
    return any("secrets" in texts(c.get("resources")) for c in mappings(config))


def _audit_logging(logging: object) -> bool | None:
    """Whether the audit log type is among the enabled control plane log types."""
    entries = keyed(logging).get("clusterLogging")
    if not isinstance(entries, list):
        return None
    return any(
        e.get("enabled") is True and "audit" in texts(e.get("types")) for e in mappings(entries)
    )


def _node_group(
    cluster: tuple[str, str], name: str, described: object, where: Where
) -> EksNodeGroup:
    """A node group of (cluster name, cluster ARN); one that could not be described
    exists with every fact unknown."""
    ng = keyed(described)
    arn = text(ng.get("nodegroupArn")) or where.arn("eks", f"nodegroup/{cluster[0]}/{name}")
    remote = ng.get("remoteAccess")
    world: bool | None = False if isinstance(described, Mapping) else None
    if isinstance(remote, Mapping) and text(remote.get("ec2SshKey")):
        # A key without source security groups: EKS opens the port to 0.0.0.0/0.
        world = not texts(remote.get("sourceSecurityGroups"))
    scaling = keyed(ng.get("scalingConfig"))
    template = keyed(ng.get("launchTemplate"))
    ami = text(ng.get("amiType")) or ""
    return EksNodeGroup(
        arn,
        arn,
        where.evidence(arn),
        name=text(ng.get("nodegroupName")) or name,
        cluster=cluster[1],
        subnets=texts(ng.get("subnets")),
        launch_template=text(template.get("id")) or text(template.get("name")),
        remote_port=3389 if ami.upper().startswith("WINDOWS") else 22,
        remote_world=world,
        remote_evidence=where.evidence(arn, detail="remoteAccess")
        if isinstance(remote, Mapping)
        else None,
        min_size=integer(scaling.get("minSize")),
        max_size=integer(scaling.get("maxSize")),
        desired=integer(scaling.get("desiredSize")),
        role=text(ng.get("nodeRole")),
    )
