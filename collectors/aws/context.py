"""What a service family's mapping may use: zones, elements, and security-group guards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from collectors.aws import records as r
from collectors.aws.nacl import NetworkAcls
from collectors.aws.network import SecurityGroups, SubnetTier
from scanner.model import Element, Evidence, Fact, Flow, Part


class Context(Protocol):
    """The mapping of one scope (a Terraform root, an account and region), as a family
    sees it. Families add elements and return flows; they never build boundaries."""

    inv: r.Inventory
    account: str  # the account boundary id
    sgs: SecurityGroups
    nacls: NetworkAcls  # the subnets' network ACLs: admits_world(subnets, port, protocol)
    grants: list[Flow]  # flows from `iam-role:<name>` for roles workloads may assume

    def eid(self, ref: str) -> str:
        """The element id for a record ref."""
        ...

    def vpc_zone(self, vpc: str) -> str:
        """The boundary id of a VPC (created if nothing was placed in it yet)."""
        ...

    def zone(self, subnets: tuple[str, ...]) -> tuple[str, SubnetTier]:
        """The boundary (subnet tier zone, VPC or account) for something in `subnets`."""
        ...

    def element(self, ref: str) -> Element | None:
        """The element already built for a record ref (any family), if any."""
        ...

    def add(self, rec: r.Record, type_: str, kind: str, zone: str, **kw: Any) -> Element:
        """Build and register the element for a record (kind must match the catalogue)."""
        ...

    def extend(
        self, ref: str, props: Mapping[str, Fact | None], parts: tuple[Part, ...] = ()
    ) -> Element:
        """Add facts (None drops nothing) and parts to an element already built."""
        ...

    def guard(
        self,
        element: Element,
        groups: tuple[str, ...],
        protocol: str,
        ports: tuple[int, ...] | None,
        cidr_peers: bool,
    ) -> None:
        """Declare that security groups guard `element` on these ports, so peers they
        admit get `reachable` flows (cidr_peers: also peers admitted by CIDR)."""
        ...

    def member(self, element: Element, groups: tuple[str, ...], subnets: tuple[str, ...]) -> None:
        """Declare that `element` opens connections from these groups and subnets."""
        ...

    def note_zone(self, zone: str, facts: Mapping[str, Fact], evidence: Evidence) -> None:
        """Record facts about a boundary (flow logs on a VPC, CloudTrail on the account)."""
        ...
