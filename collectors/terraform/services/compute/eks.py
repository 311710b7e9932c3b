"""Terraform builders of EKS clusters and node groups."""

from __future__ import annotations

from collectors.aws.services import compute as c
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.services.compute.attributes import template_ref


def eks_cluster(b: Block) -> c.EksCluster:
    vpc = v.first_block(b.body, "vpc_config") or {}
    resources = [v.strings(e.get("resources")) for e in v.blocks(b.body, "encryption_config")]
    logs = v.strings(b.body.get("enabled_cluster_log_types", []))  # default: none
    name = v.string(b.body.get("name"))
    return c.EksCluster(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("eks", "cluster", name),
        name=name,
        subnets=v.refs(vpc.get("subnet_ids")),
        security_groups=v.refs(vpc.get("security_group_ids")),
        # Provider defaults: public endpoint on, private off, public CIDRs 0.0.0.0/0.
        public_endpoint=v.boolean(vpc.get("endpoint_public_access", True)),
        private_endpoint=v.boolean(vpc.get("endpoint_private_access", False)),
        public_cidrs=v.strings(vpc.get("public_access_cidrs", ["0.0.0.0/0"])),
        secrets_kms_key=(
            True
            if any(r and "secrets" in r for r in resources)
            else (None if None in resources else False)
        ),
        audit_logging=None if logs is None else "audit" in logs,
        endpoint_evidence=b.nested_evidence(vpc, "endpoint") if vpc else None,
    )


def eks_node_group(b: Block) -> c.EksNodeGroup:
    scaling = v.first_block(b.body, "scaling_config") or {}
    remote = v.first_block(b.body, "remote_access")
    world: bool | None = False
    key = remote.get("ec2_ssh_key") if remote is not None else None
    if key is not None and v.string(key) is None and v.ref(key) is None:
        world = None  # the key is not known: maybe null (remote access off), maybe set
    elif remote is not None and key is not None:
        # A key without source security groups opens the port to 0.0.0.0/0.
        sources = remote.get("source_security_group_ids")
        if sources is None or (v.is_complete(sources) and not v.refs(sources)):
            world = True
        elif not v.refs(sources):
            world = None  # an unknown list: maybe empty
    ami = v.string(b.body.get("ami_type", "AL2_x86_64")) or ""
    return c.EksNodeGroup(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("node_group_name")),
        cluster=v.ref(b.body.get("cluster_name")),
        subnets=v.refs(b.body.get("subnet_ids")),
        launch_template=template_ref(v.first_block(b.body, "launch_template"), "id", "name"),
        remote_port=3389 if ami.upper().startswith("WINDOWS") else 22,
        remote_world=world,
        remote_evidence=b.nested_evidence(remote, "remote_access") if remote else None,
        min_size=v.integer(scaling.get("min_size")),
        max_size=v.integer(scaling.get("max_size")),
        desired=v.integer(scaling.get("desired_size")),
        role=v.ref(b.body.get("node_role_arn")),
    )
