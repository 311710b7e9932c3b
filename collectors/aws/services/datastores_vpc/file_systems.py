"""EFS file systems and their mount targets."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws.context import Context
from collectors.aws.services.datastores_vpc.records import EfsFileSystem, EfsMountTarget
from collectors.aws.services.datastores_vpc.vpc_access import guard, ref_of
from scanner.model import Part, facts


def map_file_systems(ctx: Context) -> None:
    targets: dict[str, list[EfsMountTarget]] = defaultdict(list)
    for mt in ctx.inv.of(EfsMountTarget):
        targets[mt.file_system or ""].append(mt)
    for fs in ctx.inv.of(EfsFileSystem):
        own = sorted(targets.get(fs.ref, []), key=ref_of)
        zone, _ = ctx.zone(tuple(dict.fromkeys(m.subnet for m in own if m.subnet)))
        el = ctx.add(
            fs,
            "file-system",
            "datastore",
            zone,
            props=facts(protocol="nfs", port=2049, encryption_at_rest=fs.encrypted),
            parts=tuple(
                Part("mount-target", m.address, m.address, evidence=(m.evidence,)) for m in own
            ),
            evidence=(fs.evidence,),
        )
        # Mount targets have private addresses only: peers inside the VPC, on NFS.
        groups = tuple(dict.fromkeys(g for m in own for g in m.security_groups))
        guard(ctx, el, groups)
