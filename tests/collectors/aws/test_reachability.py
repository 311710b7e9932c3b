"""Tests for collectors.aws.reachability: `reachable` flows from security group ingress rules."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from collectors.aws import records as r
from collectors.aws.network import SecurityGroups
from collectors.aws.reachability import Member, Service, security_group_flows
from scanner.model import Element, Evidence, Flow

APP = "aws_security_group.app"
WEB = "aws_security_group.web"
DB = "aws_security_group.db"
LB = "aws_security_group.lb"
VM = "aws_security_group.vm"


def ev(line: int, address: str) -> Evidence:
    return Evidence(source="terraform", file="net.tf", line=line, address=address)


def rule(
    group: str,
    line: int,
    protocol: str = "tcp",
    ports: tuple[int | None, int | None] = (None, None),
    *,
    cidrs: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    self_ref: bool = False,
    direction: str = "ingress",
) -> r.SecurityGroupRule:
    return r.SecurityGroupRule(
        group=group,
        direction=direction,
        protocol=protocol,
        from_port=ports[0],
        to_port=ports[1],
        cidrs=cidrs,
        groups=groups,
        self_ref=self_ref,
        address=f"{group}#rule@{line}",
        evidence=ev(line, group),
    )


def sgs(*rules: r.SecurityGroupRule) -> SecurityGroups:
    names = (APP, WEB, DB, LB, VM)
    return SecurityGroups(
        r.Inventory(
            security_groups=tuple(r.SecurityGroup(g, g, ev(1, g)) for g in names),
            security_group_rules=rules,
        )
    )


def element(name: str, kind: str = "process") -> Element:
    return Element(
        id=name,
        kind="datastore" if kind == "datastore" else "process",
        type="relational-db" if kind == "datastore" else "vm",
        name=name,
        resource=f"aws_instance.{name}",
    )


def member(name: str, groups: tuple[str, ...] = (), subnets: tuple[str, ...] = ()) -> Member:
    return Member(element(name), groups, subnets)


def db_service(name: str = "db", groups: tuple[str, ...] = (DB,)) -> Service:
    return Service(element(name, "datastore"), groups, "postgres", (5432,), cidr_peers=True)


def instance_service(name: str, groups: tuple[str, ...]) -> Service:
    return Service(element(name), groups, "tcp", None, cidr_peers=False)


def subnet(name: str, cidr: str | None) -> r.Subnet:
    ref = f"aws_subnet.{name}"
    return r.Subnet(ref, ref, ev(50, ref), cidr=cidr)


SUBNETS = {
    s.ref: s
    for s in (
        subnet("in_a", "10.20.1.0/24"),
        subnet("in_b", "10.20.2.0/24"),
        subnet("out", "10.30.1.0/24"),
        subnet("wide", "10.0.0.0/8"),  # contains the rule's network, is not inside it
        subnet("no_cidr", None),
        subnet("bad_cidr", "10.20.999.0/24"),
        subnet("v6_in", "2001:db8:1::/64"),
        subnet("v6_out", "2001:db9::/64"),
    )
}

Row = tuple[str, str, str, int | None, str]


def flows(
    groups: SecurityGroups,
    members: Iterable[Member],
    services: Iterable[Service],
    already: set[tuple[str, str]] | None = None,
) -> list[Flow]:
    result = security_group_flows(groups, SUBNETS, members, services, already or set())
    assert all(f.basis == "reachable" for f in result)
    return result


def rows(result: Iterable[Flow]) -> set[Row]:
    return {(f.source, f.target, f.protocol, f.port, f.derivation) for f in result}


def admits(rl: r.SecurityGroupRule, name: str) -> str:
    return f"inferred: {rl.address} admits aws_instance.{name}"


# --- group peers ---------------------------------------------------------------------------


def test_db_admitting_the_app_group_gives_one_flow_with_the_rules_evidence() -> None:
    db_from_app = rule(DB, 10, ports=(5432, 5432), groups=(APP,))
    result = flows(
        sgs(db_from_app),
        [member("app", (APP,)), member("web", (WEB,)), member("loner")],
        [db_service()],
    )
    assert rows(result) == {("app", "db", "postgres", 5432, admits(db_from_app, "app"))}
    assert [f.id for f in result] == ["app->db:postgres/5432"]
    assert [f.evidence for f in result] == [(ev(10, DB),)]


@pytest.mark.parametrize(
    "ports",
    [(3306, 3306), (5433, 6000), (1, 5431)],
)
def test_db_rule_on_other_ports_gives_no_flow(ports: tuple[int, int]) -> None:
    groups = sgs(rule(DB, 10, ports=ports, groups=(APP,)))
    assert flows(groups, [member("app", (APP,))], [db_service()]) == []


def test_db_rule_on_a_range_covering_the_port() -> None:
    ranged = rule(DB, 11, ports=(5000, 6000), groups=(APP,))
    result = flows(sgs(ranged), [member("app", (APP,))], [db_service()])
    assert rows(result) == {("app", "db", "postgres", 5432, admits(ranged, "app"))}


def test_egress_rules_admit_nobody() -> None:
    egress = rule(DB, 12, ports=(5432, 5432), groups=(APP,), direction="egress")
    assert flows(sgs(egress), [member("app", (APP,))], [db_service()]) == []


def test_rule_without_evidence_gives_a_flow_without_evidence() -> None:
    bare = r.SecurityGroupRule(DB, "ingress", "tcp", 5432, 5432, groups=(APP,), address="x")
    result = flows(sgs(bare), [member("app", (APP,))], [db_service()])
    assert [(f.id, f.evidence) for f in result] == [("app->db:postgres/5432", ())]


def test_self_ref_members_reach_each_other_but_never_themselves() -> None:
    own = rule(APP, 20, ports=(9000, 9000), self_ref=True)
    names = ("a", "b", "c")
    result = flows(
        sgs(own),
        [*(member(n, (APP,)) for n in names), member("outsider", (WEB,))],
        [*(instance_service(n, (APP,)) for n in names), instance_service("w", (WEB,))],
    )
    assert rows(result) == {
        (src, dst, "tcp", 9000, admits(own, src)) for src in names for dst in names if src != dst
    }
    assert all(f.evidence == (ev(20, APP),) for f in result)


def test_a_lone_self_ref_member_gets_no_flow_to_itself() -> None:
    own = rule(APP, 20, ports=(9000, 9000), self_ref=True)
    result = flows(sgs(own), [member("a", (APP,))], [instance_service("a", (APP,))])
    assert result == []


def test_group_rule_naming_its_own_group_also_excludes_the_element_itself() -> None:
    own = rule(APP, 21, ports=(9000, 9000), groups=(APP,))
    result = flows(
        sgs(own),
        [member("a", (APP,)), member("b", (APP,))],
        [instance_service("a", (APP,))],
    )
    assert rows(result) == {("b", "a", "tcp", 9000, admits(own, "b"))}


# --- CIDR peers ----------------------------------------------------------------------------

CIDR_MEMBERS = [
    member("inside", subnets=("aws_subnet.in_a", "aws_subnet.in_b")),
    member("straddles", subnets=("aws_subnet.in_a", "aws_subnet.out")),
    member("outside", subnets=("aws_subnet.out",)),
    member("wide", subnets=("aws_subnet.wide",)),
    member("no_cidr", subnets=("aws_subnet.in_a", "aws_subnet.no_cidr")),
    member("bad_cidr", subnets=("aws_subnet.in_a", "aws_subnet.bad_cidr")),
    member("no_subnets"),
    member("v6_inside", subnets=("aws_subnet.v6_in",)),
    member("v6_outside", subnets=("aws_subnet.v6_out",)),
]


def test_cidr_rule_admits_members_whose_every_subnet_is_inside() -> None:
    vpc_rule = rule(DB, 30, ports=(5432, 5432), cidrs=("10.20.0.0/16",))
    result = flows(sgs(vpc_rule), CIDR_MEMBERS, [db_service()])
    assert rows(result) == {("inside", "db", "postgres", 5432, admits(vpc_rule, "inside"))}
    assert [f.evidence for f in result] == [(ev(30, DB),)]


def test_cidr_rule_ignores_a_member_with_a_subnet_outside_the_inventory() -> None:
    vpc_rule = rule(DB, 30, ports=(5432, 5432), cidrs=("10.20.0.0/16",))
    partly_known = member("partly_known", subnets=("aws_subnet.in_a", "aws_subnet.not_scanned"))
    assert flows(sgs(vpc_rule), [partly_known], [db_service()]) == []


def test_ipv6_cidr_rule_admits_ipv6_members_only() -> None:
    v6_rule = rule(DB, 31, ports=(5432, 5432), cidrs=("2001:db8::/32",))
    result = flows(sgs(v6_rule), CIDR_MEMBERS, [db_service()])
    assert rows(result) == {("v6_inside", "db", "postgres", 5432, admits(v6_rule, "v6_inside"))}


def test_dual_stack_rule_admits_both_families() -> None:
    both = rule(DB, 32, ports=(5432, 5432), cidrs=("10.20.0.0/16", "2001:db8::/32"))
    result = flows(sgs(both), CIDR_MEMBERS, [db_service()])
    assert rows(result) == {
        ("inside", "db", "postgres", 5432, admits(both, "inside")),
        ("v6_inside", "db", "postgres", 5432, admits(both, "v6_inside")),
    }


@pytest.mark.parametrize(
    "cidrs",
    [("0.0.0.0/0",), ("::/0",), ("0.0.0.0/0", "::/0")],
)
def test_the_world_is_not_a_cidr_peer(cidrs: tuple[str, ...]) -> None:
    world = rule(DB, 33, ports=(5432, 5432), cidrs=cidrs)
    assert flows(sgs(world), CIDR_MEMBERS, [db_service()]) == []


def test_world_next_to_a_vpc_cidr_counts_only_the_vpc_cidr() -> None:
    mixed = rule(DB, 34, ports=(5432, 5432), cidrs=("0.0.0.0/0", "10.20.0.0/16"))
    result = flows(sgs(mixed), CIDR_MEMBERS, [db_service()])
    assert rows(result) == {("inside", "db", "postgres", 5432, admits(mixed, "inside"))}


def test_invalid_rule_cidr_is_ignored() -> None:
    junk_only = rule(DB, 35, ports=(5432, 5432), cidrs=("not-a-cidr", ""))
    assert flows(sgs(junk_only), CIDR_MEMBERS, [db_service()]) == []
    with_good = rule(DB, 36, ports=(5432, 5432), cidrs=("not-a-cidr", "10.20.0.0/16"))
    result = flows(sgs(with_good), CIDR_MEMBERS, [db_service()])
    assert rows(result) == {("inside", "db", "postgres", 5432, admits(with_good, "inside"))}


def test_single_address_rule_does_not_cover_a_subnet() -> None:
    host = rule(DB, 37, ports=(5432, 5432), cidrs=("10.20.1.7/32",))
    assert flows(sgs(host), CIDR_MEMBERS, [db_service()]) == []


def test_group_and_cidr_peers_of_one_rule_add_up() -> None:
    both = rule(DB, 38, ports=(5432, 5432), cidrs=("10.20.0.0/16",), groups=(APP,))
    result = flows(sgs(both), [*CIDR_MEMBERS, member("app", (APP,))], [db_service()])
    assert rows(result) == {
        ("app", "db", "postgres", 5432, admits(both, "app")),
        ("inside", "db", "postgres", 5432, admits(both, "inside")),
    }


@pytest.mark.parametrize(
    "service",
    [
        instance_service("vm", (DB,)),
        Service(element("lb"), (DB,), "https", (5432,), cidr_peers=False),
    ],
    ids=["instance", "load-balancer"],
)
def test_services_without_cidr_peers_take_only_group_peers(service: Service) -> None:
    both = rule(DB, 39, ports=(5432, 5432), cidrs=("10.20.0.0/16",), groups=(APP,))
    result = flows(sgs(both), [*CIDR_MEMBERS, member("app", (APP,))], [service])
    target = service.element.id
    assert rows(result) == {("app", target, service.protocol, 5432, admits(both, "app"))}
    cidr_only = rule(DB, 40, ports=(5432, 5432), cidrs=("10.20.0.0/16",))
    assert flows(sgs(cidr_only), CIDR_MEMBERS, [service]) == []


# --- ports and protocols -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "ports", "expected"),
    [
        ("tcp", (22, 22), ("tcp", 22)),
        ("tcp", (8000, 8100), ("tcp", None)),
        ("tcp", (None, None), ("tcp", None)),
        ("udp", (53, 53), ("udp", 53)),
        ("-1", (0, 65535), ("tcp", None)),  # as the Terraform collector records "-1"
        ("-1", (None, None), ("tcp", None)),
        ("?", (None, None), ("tcp", None)),  # protocol not readable
    ],
)
def test_instance_flow_takes_the_rules_single_port_and_protocol(
    protocol: str, ports: tuple[int | None, int | None], expected: tuple[str, int | None]
) -> None:
    rl = rule(VM, 50, protocol, ports, groups=(APP,))
    result = flows(sgs(rl), [member("app", (APP,))], [instance_service("vm", (VM,))])
    assert rows(result) == {("app", "vm", *expected, admits(rl, "app"))}
    assert [f.evidence for f in result] == [(ev(50, VM),)]


def test_instance_gets_one_flow_per_rule_port() -> None:
    ssh = rule(VM, 51, ports=(22, 22), groups=(APP,))
    http = rule(VM, 52, ports=(80, 80), groups=(APP,))
    result = flows(sgs(ssh, http), [member("app", (APP,))], [instance_service("vm", (VM,))])
    assert rows(result) == {
        ("app", "vm", "tcp", 22, admits(ssh, "app")),
        ("app", "vm", "tcp", 80, admits(http, "app")),
    }
    assert [f.evidence for f in result] == [(ev(51, VM),), (ev(52, VM),)]


def lb_service() -> Service:
    return Service(element("lb"), (LB,), "https", (80, 443), cidr_peers=False)


@pytest.mark.parametrize(
    ("protocol", "ports", "expected_ports"),
    [
        ("tcp", (443, 443), {443}),
        ("tcp", (80, 80), {80}),
        ("tcp", (80, 443), {80, 443}),
        ("tcp", (444, 8443), set()),
        ("tcp", (None, None), set()),  # ports not known: no listener provably admitted
        ("-1", (0, 65535), {80, 443}),
        ("-1", (None, None), {80, 443}),
    ],
)
def test_listener_ports_a_rule_admits(
    protocol: str, ports: tuple[int | None, int | None], expected_ports: set[int]
) -> None:
    rl = rule(LB, 60, protocol, ports, groups=(WEB,))
    result = flows(sgs(rl), [member("web", (WEB,))], [lb_service()])
    assert rows(result) == {("web", "lb", "https", p, admits(rl, "web")) for p in expected_ports}


def test_udp_rule_does_not_admit_a_tcp_service() -> None:
    udp = rule(DB, 61, "udp", (5432, 5432), groups=(APP,))
    assert flows(sgs(udp), [member("app", (APP,))], [db_service()]) == []


# --- already, dedupe, order ----------------------------------------------------------------


def test_already_called_pairs_get_no_reachable_flow() -> None:
    db_from_app = rule(DB, 70, ports=(5432, 5432), groups=(APP, WEB))
    members = [member("app", (APP,)), member("web", (WEB,))]
    result = flows(sgs(db_from_app), members, [db_service()], already={("app", "db")})
    assert rows(result) == {("web", "db", "postgres", 5432, admits(db_from_app, "web"))}
    # Direction matters: a called db -> app flow does not cover app -> db.
    result = flows(sgs(db_from_app), members, [db_service()], already={("db", "app")})
    assert {(f.source, f.target) for f in result} == {("app", "db"), ("web", "db")}


def test_duplicate_rules_give_one_flow_per_pair_protocol_and_port() -> None:
    first = rule(DB, 80, ports=(5432, 5432), groups=(APP,))
    again = rule(DB, 81, ports=(5432, 5432), groups=(APP,))
    by_web = rule(DB, 82, ports=(5000, 6000), groups=(WEB,))
    both = member("both", (APP, WEB))  # admitted by every rule
    result = flows(sgs(first, again, first, by_web), [both], [db_service()])
    assert rows(result) == {("both", "db", "postgres", 5432, admits(first, "both"))}
    assert [f.evidence for f in result] == [(ev(80, DB),)]  # the first rule's


def test_output_is_sorted_by_flow_id() -> None:
    db_from_app = rule(DB, 90, ports=(5432, 5432), groups=(APP,))
    vm_from_app = rule(VM, 91, ports=(22, 22), groups=(APP,))
    result = flows(
        sgs(db_from_app, vm_from_app),
        [member("zed", (APP,)), member("alpha", (APP,)), member("mid", (APP,))],
        [instance_service("vm", (VM,)), db_service("db2"), db_service("db1")],
    )
    assert [f.id for f in result] == [
        "alpha->db1:postgres/5432",
        "alpha->db2:postgres/5432",
        "alpha->vm:tcp/22",
        "mid->db1:postgres/5432",
        "mid->db2:postgres/5432",
        "mid->vm:tcp/22",
        "zed->db1:postgres/5432",
        "zed->db2:postgres/5432",
        "zed->vm:tcp/22",
    ]


def test_no_members_or_no_services_give_no_flows() -> None:
    groups = sgs(rule(DB, 95, ports=(5432, 5432), groups=(APP,)))
    assert flows(groups, [], [db_service()]) == []
    assert flows(groups, [member("app", (APP,))], []) == []


def test_many_members_of_one_admitted_group() -> None:
    # Sanity for the group index: every member once, nothing more (timing is a benchmark).
    db_from_app = rule(DB, 99, ports=(5432, 5432), groups=(APP,))
    names = [f"m{i:03d}" for i in range(300)]
    result = flows(
        sgs(db_from_app),
        [member(n, (APP,), ("aws_subnet.in_a",)) for n in names],
        [db_service()],
    )
    assert len(result) == 300
    assert rows(result) == {(n, "db", "postgres", 5432, admits(db_from_app, n)) for n in names}
    assert [f.source for f in result] == names
