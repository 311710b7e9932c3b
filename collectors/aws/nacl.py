"""Network ACLs: whether a subnet's stateless ACL lets the internet in on a port."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws import records as r
from collectors.aws.network import WORLD

_PRIVATE = ("10.", "172.16.", "192.168.", "fc", "fd")


class NetworkAcls:
    """The ACL of each subnet (explicit association, else the VPC's default ACL) and
    the first-match evaluation AWS applies to inbound traffic.

    A subnet whose ACL is not in the files is governed by a default ACL that AWS
    creates allowing everything: it admits (True). ACLs only ever take exposure away.
    """

    def __init__(self, inv: r.Inventory) -> None:
        self._rules: dict[str, list[r.NaclRule]] = defaultdict(list)
        for rule in inv.nacl_rules:
            if not rule.egress:
                self._rules[rule.acl].append(rule)
        self._acl_of: dict[str, str | None] = {}
        default = {acl.vpc: acl.ref for acl in inv.network_acls if acl.default and acl.vpc}
        subnets = {s.ref: s for s in inv.subnets}
        for s in inv.subnets:
            if s.vpc in default:
                self._acl_of[s.ref] = default[s.vpc]
        for acl in inv.network_acls:
            for subnet in acl.subnets:
                self._acl_of[subnet] = acl.ref
        for assoc in inv.nacl_associations:
            if assoc.subnet:
                self._acl_of[assoc.subnet] = assoc.acl
            elif assoc.acl:  # an association whose subnet is not known: could be any
                for ref in subnets:
                    self._acl_of.setdefault(ref, None)

    def admits_world(
        self, subnets: tuple[str, ...], port: int | None, protocol: str = "tcp"
    ) -> bool | None:
        """Can the internet reach `port` in at least one of these subnets?"""
        verdicts = [self._subnet(s, port, protocol) for s in subnets]
        if not verdicts or True in verdicts:
            return True if verdicts else None
        return None if None in verdicts else False

    def _subnet(self, subnet: str, port: int | None, protocol: str) -> bool | None:
        if subnet not in self._acl_of:
            return True  # no ACL in the files: the default ACL allows all
        acl = self._acl_of[subnet]
        if acl is None:
            return None
        rules = sorted(self._rules.get(acl, []), key=lambda x: (x.number is None, x.number or 0))
        for rule in rules:
            if rule.number is None or rule.allow is None or rule.cidr is None:
                return None  # an unknown rule could decide before the next one
            if rule.protocol not in (protocol, "-1"):
                if rule.protocol == "?":
                    return None
                continue
            if rule.protocol != "-1":
                if rule.from_port is None or rule.to_port is None or port is None:
                    return None
                if not rule.from_port <= port <= rule.to_port:
                    continue
            if rule.cidr in WORLD:
                return rule.allow
            if rule.allow and not rule.cidr.startswith(_PRIVATE):
                return True  # some public addresses get in
        return False  # the implicit final deny
