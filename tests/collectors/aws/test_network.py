"""Tests for collectors.aws.network: subnet tiers from route tables, security group questions."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.network import (
    Admission,
    SecurityGroups,
    SubnetTier,
    element_tier,
    subnet_tiers,
)
from collectors.terraform import aws_network as tf
from collectors.terraform.blocks import Block
from collectors.terraform.evaluate import Env, Ref, Unknown, evaluate_value
from collectors.terraform.parse import loads
from scanner.model import Evidence


def ev(line: int, address: str) -> Evidence:
    return Evidence(source="terraform", file="net.tf", line=line, address=address)


VPC = "aws_vpc.main"
OTHER_VPC = "aws_vpc.other"

# --- route tables -----------------------------------------------------------------------

IGW_ROUTE = r.Route("0.0.0.0/0", "igw", "aws_internet_gateway.gw", ev(12, "aws_route_table.public"))
NAT_ROUTE = r.Route("0.0.0.0/0", "nat", "aws_nat_gateway.nat", ev(22, "aws_route_table.private"))
PEER_ROUTE = r.Route(
    "10.9.0.0/16", "peering", "aws_vpc_peering_connection.p", ev(32, "aws_route_table.isolated")
)
TGW_ROUTE = r.Route("0.0.0.0/0", "tgw", "aws_ec2_transit_gateway.t", ev(42, "aws_route_table.main"))
ODD_ROUTE = r.Route("0.0.0.0/0", "unknown", None, ev(52, "aws_route_table.odd"))

PUBLIC_RT = r.RouteTable(
    "aws_route_table.public",
    "aws_route_table.public",
    ev(10, "aws_route_table.public"),
    vpc=VPC,
    routes=(r.Route("10.0.0.0/16", "local", "local", ev(11, "aws_route_table.public")), IGW_ROUTE),
)
PRIVATE_RT = r.RouteTable(
    "aws_route_table.private",
    "aws_route_table.private",
    ev(20, "aws_route_table.private"),
    vpc=VPC,
    routes=(NAT_ROUTE,),
)
ISOLATED_RT = r.RouteTable(
    "aws_route_table.isolated",
    "aws_route_table.isolated",
    ev(30, "aws_route_table.isolated"),
    vpc=VPC,
    routes=(PEER_ROUTE,),
)
MAIN_RT = r.RouteTable(
    "aws_route_table.main",
    "aws_route_table.main",
    ev(40, "aws_route_table.main"),
    vpc=VPC,
    routes=(TGW_ROUTE,),
    main=True,
)
ODD_RT = r.RouteTable(
    "aws_route_table.odd",
    "aws_route_table.odd",
    ev(50, "aws_route_table.odd"),
    vpc=VPC,
    routes=(ODD_ROUTE,),
)


def subnet(name: str, line: int, vpc: str = VPC) -> r.Subnet:
    ref = f"aws_subnet.{name}"
    return r.Subnet(ref, ref, ev(line, ref), vpc=vpc)


def assoc(name: str, line: int, table: str) -> r.RouteTableAssociation:
    ref = f"aws_route_table_association.{name}"
    return r.RouteTableAssociation(
        ref, ref, ev(line, ref), subnet=f"aws_subnet.{name}", route_table=table
    )


ASSOCS = {
    "pub": assoc("pub", 61, "aws_route_table.public"),
    "priv": assoc("priv", 62, "aws_route_table.private"),
    "iso": assoc("iso", 63, "aws_route_table.isolated"),
    "ghost": assoc("ghost", 65, "aws_route_table.elsewhere"),  # not in the inventory
    "odd": assoc("odd", 66, "aws_route_table.odd"),
}

NETWORK = r.Inventory(
    vpcs=(r.Vpc(VPC, VPC, ev(1, VPC), cidr="10.0.0.0/16"),),
    subnets=(
        subnet("pub", 70),
        subnet("priv", 71),
        subnet("iso", 72),
        subnet("inherits", 73),  # no association: the VPC's main table
        subnet("ghost", 74),
        subnet("odd", 75),
        subnet("orphan", 76, vpc=OTHER_VPC),  # no association, no main table known
    ),
    internet_gateways=(
        r.InternetGateway(
            "aws_internet_gateway.gw", "aws_internet_gateway.gw", ev(5, "gw"), vpc=VPC
        ),
    ),
    route_tables=(PUBLIC_RT, PRIVATE_RT, ISOLATED_RT, MAIN_RT, ODD_RT),
    route_table_associations=tuple(ASSOCS.values()),
)


@pytest.fixture(scope="module")
def tiers() -> dict[str, SubnetTier]:
    return subnet_tiers(NETWORK)


def test_every_subnet_gets_a_tier(tiers: dict[str, SubnetTier]) -> None:
    assert set(tiers) == {s.ref for s in NETWORK.subnets}


def test_public_via_inline_igw_route(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.pub"] == SubnetTier(
        "public", (ASSOCS["pub"].evidence, IGW_ROUTE.evidence)
    )
    assert [e.line for e in tiers["aws_subnet.pub"].evidence] == [61, 12]


def test_private_via_nat_default_route(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.priv"] == SubnetTier(
        "private", (ASSOCS["priv"].evidence, NAT_ROUTE.evidence)
    )
    assert [e.line for e in tiers["aws_subnet.priv"].evidence] == [62, 22]


def test_isolated_without_default_route(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.iso"] == SubnetTier(
        "isolated", (ASSOCS["iso"].evidence, ISOLATED_RT.evidence)
    )
    assert [e.line for e in tiers["aws_subnet.iso"].evidence] == [63, 30]


def test_unassociated_subnet_inherits_the_main_table(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.inherits"] == SubnetTier("private", (TGW_ROUTE.evidence,))
    assert [e.line for e in tiers["aws_subnet.inherits"].evidence] == [42]


def test_association_to_a_table_outside_the_inventory_is_unknown(
    tiers: dict[str, SubnetTier],
) -> None:
    assert tiers["aws_subnet.ghost"] == SubnetTier(None, (ASSOCS["ghost"].evidence,))
    assert [e.line for e in tiers["aws_subnet.ghost"].evidence] == [65]


def test_unknown_route_target_is_unknown_tier(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.odd"] == SubnetTier(None, (ASSOCS["odd"].evidence, ODD_RT.evidence))
    assert [e.line for e in tiers["aws_subnet.odd"].evidence] == [66, 50]


def test_no_association_and_no_main_table_is_unknown(tiers: dict[str, SubnetTier]) -> None:
    assert tiers["aws_subnet.orphan"] == SubnetTier(None, ())


def test_route_with_unknown_destination_is_unknown_tier() -> None:
    table = r.RouteTable(
        "aws_route_table.t",
        "aws_route_table.t",
        ev(80, "aws_route_table.t"),
        vpc=VPC,
        routes=(r.Route(None, "nat", "aws_nat_gateway.nat", ev(81, "aws_route_table.t")),),
        main=True,
    )
    inv = r.Inventory(subnets=(subnet("x", 90),), route_tables=(table,))
    assert subnet_tiers(inv) == {"aws_subnet.x": SubnetTier(None, (table.evidence,))}


def test_ipv6_default_route_to_egress_only_gateway_is_private() -> None:
    route = r.Route("::/0", "egress-only", "aws_egress_only_internet_gateway.e", ev(81, "rt"))
    table = r.RouteTable("rt", "rt", ev(80, "rt"), vpc=VPC, routes=(route,), main=True)
    inv = r.Inventory(subnets=(subnet("x", 90),), route_tables=(table,))
    assert subnet_tiers(inv) == {"aws_subnet.x": SubnetTier("private", (route.evidence,))}


def test_explicit_association_overrides_main_table() -> None:
    # The main table is public, but the subnet is explicitly on the private table.
    public_main = r.RouteTable(
        "aws_route_table.public",
        "aws_route_table.public",
        PUBLIC_RT.evidence,
        vpc=VPC,
        routes=PUBLIC_RT.routes,
        main=True,
    )
    inv = r.Inventory(
        subnets=(subnet("priv", 71), subnet("other", 77)),
        route_tables=(public_main, PRIVATE_RT),
        route_table_associations=(ASSOCS["priv"],),
    )
    assert subnet_tiers(inv) == {
        "aws_subnet.priv": SubnetTier("private", (ASSOCS["priv"].evidence, NAT_ROUTE.evidence)),
        "aws_subnet.other": SubnetTier("public", (IGW_ROUTE.evidence,)),
    }


# --- from Terraform: a gateway the files do not name ------------------------------------

GATEWAYS_TF = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_subnet" "from_var" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.2.0/24"
}

resource "aws_subnet" "conditional" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.3.0/24"
}

resource "aws_subnet" "nat" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.4.0/24"
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table" "from_var" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = var.igw_id
  }
}

resource "aws_route_table" "conditional" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = var.public ? aws_internet_gateway.gw.id : null
  }
}

resource "aws_route_table" "nat" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.nat.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "from_var" {
  subnet_id      = aws_subnet.from_var.id
  route_table_id = aws_route_table.from_var.id
}

resource "aws_route_table_association" "conditional" {
  subnet_id      = aws_subnet.conditional.id
  route_table_id = aws_route_table.conditional.id
}

resource "aws_route_table_association" "nat" {
  subnet_id      = aws_subnet.nat.id
  route_table_id = aws_route_table.nat.id
}
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


# Every resource reads as itself; no variable is set, so `var.igw_id` stays unknown.
TF_ENV = Env(
    variables={},
    locals_={},
    resource=lambda rtype, name: Ref(f"{rtype}.{name}"),
    module=lambda name: Unknown(),
)


def tf_blocks(text: str) -> list[Block]:
    """Blocks as the collector builds them: bodies parsed and evaluated."""
    doc = loads(text)
    out: list[Block] = []
    for item in doc["resource"]:
        for rtype, named in item.items():
            for name, raw in named.items():
                body = evaluate_value(raw, TF_ENV)
                out.append(
                    Block(
                        type=rtype, name=name, body=body, file="net.tf", line=body["__start_line__"]
                    )
                )
    return out


def test_terraform_bodies_are_evaluated_before_records_are_built() -> None:
    bodies = {(b.type, b.name): b.body for b in tf_blocks(GATEWAYS_TF)}
    routes = {
        name: bodies[("aws_route_table", name)]["route"][0]
        for name in ("public", "from_var", "conditional", "nat")
    }
    assert routes["public"]["gateway_id"] == Ref("aws_internet_gateway.gw", "id")
    assert routes["from_var"]["gateway_id"] == Unknown()
    assert routes["conditional"]["gateway_id"] == Unknown(frozenset({"aws_internet_gateway.gw"}))
    assert routes["nat"]["nat_gateway_id"] == Ref("aws_nat_gateway.nat", "id")


def tf_inventory(text: str) -> r.Inventory:
    by_type: dict[str, list[Any]] = {}
    for b in tf_blocks(text):
        by_type.setdefault(b.type, []).append(b)
    return r.Inventory(
        vpcs=tuple(tf.vpc(b) for b in by_type.get("aws_vpc", [])),
        subnets=tuple(tf.subnet(b) for b in by_type.get("aws_subnet", [])),
        internet_gateways=tuple(
            tf.internet_gateway(b) for b in by_type.get("aws_internet_gateway", [])
        ),
        route_tables=tuple(tf.route_table(b) for b in by_type.get("aws_route_table", [])),
        route_table_associations=tuple(
            tf.route_table_association(b) for b in by_type.get("aws_route_table_association", [])
        ),
    )


def test_terraform_routes_record_the_gateway_kind() -> None:
    inv = tf_inventory(GATEWAYS_TF)
    routes = {
        t.ref: [(rt.destination, rt.target_kind, rt.target) for rt in t.routes]
        for t in inv.route_tables
    }
    assert routes == {
        "aws_route_table.public": [("0.0.0.0/0", "igw", "aws_internet_gateway.gw")],
        "aws_route_table.from_var": [("0.0.0.0/0", "unknown", None)],
        "aws_route_table.conditional": [("0.0.0.0/0", "unknown", None)],
        "aws_route_table.nat": [("0.0.0.0/0", "nat", "aws_nat_gateway.nat")],
    }


def test_terraform_unresolved_gateway_gives_an_unknown_tier_not_private() -> None:
    text = GATEWAYS_TF
    tiers = subnet_tiers(tf_inventory(text))

    def located(tier: SubnetTier) -> tuple[str | None, list[tuple[str | None, int | None]]]:
        return tier.tier, [(e.address, e.line) for e in tier.evidence]

    # A route's evidence is its `route {` line, two lines above its gateway attribute.
    assoc_line = {
        name: line_of(text, f'resource "aws_route_table_association" "{name}"')
        for name in ("public", "from_var", "conditional", "nat")
    }
    table_line = {
        name: line_of(text, f'resource "aws_route_table" "{name}"')
        for name in ("from_var", "conditional")
    }
    assert {ref: located(t) for ref, t in tiers.items()} == {
        "aws_subnet.public": (
            "public",
            [
                ("aws_route_table_association.public", assoc_line["public"]),
                ("aws_route_table.public", line_of(text, "gateway_id = aws_internet_gateway") - 2),
            ],
        ),
        "aws_subnet.from_var": (
            None,
            [
                ("aws_route_table_association.from_var", assoc_line["from_var"]),
                ("aws_route_table.from_var", table_line["from_var"]),
            ],
        ),
        "aws_subnet.conditional": (
            None,
            [
                ("aws_route_table_association.conditional", assoc_line["conditional"]),
                ("aws_route_table.conditional", table_line["conditional"]),
            ],
        ),
        "aws_subnet.nat": (
            "private",
            [
                ("aws_route_table_association.nat", assoc_line["nat"]),
                ("aws_route_table.nat", line_of(text, "nat_gateway_id =") - 2),
            ],
        ),
    }
    assert tiers["aws_subnet.public"].evidence[1].detail == (
        "route 0.0.0.0/0 -> aws_internet_gateway.gw"
    )


# --- element_tier --------------------------------------------------------------------------


def test_element_across_public_and_private_is_public(tiers: dict[str, SubnetTier]) -> None:
    result = element_tier(["aws_subnet.priv", "aws_subnet.pub"], tiers)
    assert result == tiers["aws_subnet.pub"]
    assert result.tier == "public"
    assert [e.line for e in result.evidence] == [61, 12]


def test_element_across_private_and_isolated_is_private(tiers: dict[str, SubnetTier]) -> None:
    result = element_tier(("aws_subnet.iso", "aws_subnet.inherits", "aws_subnet.priv"), tiers)
    assert result == SubnetTier("private", (TGW_ROUTE.evidence,))  # the first private one


@pytest.mark.parametrize(
    "subnets",
    [
        ["aws_subnet.ghost", "aws_subnet.pub"],
        ["aws_subnet.pub", "aws_subnet.odd"],
        ["aws_subnet.not_scanned", "aws_subnet.orphan", "aws_subnet.pub"],
        ["aws_subnet.iso", "aws_subnet.odd", "aws_subnet.pub", "aws_subnet.priv"],
    ],
)
def test_element_in_a_public_subnet_is_public_whatever_the_unknowns(
    tiers: dict[str, SubnetTier], subnets: list[str]
) -> None:
    # Unknown subnets cannot make it safer: the public subnet decides, with its evidence.
    result = element_tier(subnets, tiers)
    assert result == tiers["aws_subnet.pub"]
    assert result.tier == "public"
    assert [e.line for e in result.evidence] == [61, 12]


def test_element_in_two_public_subnets_takes_the_first() -> None:
    first = SubnetTier("public", (ev(201, "a"),))
    second = SubnetTier("public", (ev(202, "b"),))
    tiers = {"a": first, "b": second, "u": SubnetTier(None, ())}
    assert element_tier(["u", "a", "b"], tiers) == first
    assert element_tier(["b", "a"], tiers) == second


def test_element_in_one_isolated_subnet(tiers: dict[str, SubnetTier]) -> None:
    assert element_tier(["aws_subnet.iso"], tiers) == tiers["aws_subnet.iso"]


@pytest.mark.parametrize(
    "subnets",
    [
        ["aws_subnet.priv", "aws_subnet.ghost"],
        ["aws_subnet.iso", "aws_subnet.odd"],
        ["aws_subnet.priv", "aws_subnet.not_scanned"],
        ["aws_subnet.orphan", "aws_subnet.iso"],
        [],
    ],
)
def test_element_with_an_unknown_subnet_and_no_public_one_is_unknown(
    tiers: dict[str, SubnetTier], subnets: list[str]
) -> None:
    assert element_tier(subnets, tiers) == SubnetTier(None, ())


# --- security groups -----------------------------------------------------------------------

WEB = "aws_security_group.web"
APP = "aws_security_group.app"
DB = "aws_security_group.db"
DB_WORLD = "aws_security_group.db_world"
ALL = "aws_security_group.all"
V6 = "aws_security_group.v6"
FUZZY = "aws_security_group.fuzzy"
OUT = "aws_security_group.out"


def rule(
    group: str,
    line: int,
    protocol: str = "tcp",
    ports: tuple[int | None, int | None] = (None, None),
    *,
    direction: str = "ingress",
    cidrs: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    self_ref: bool = False,
    unresolved: bool = False,
) -> r.SecurityGroupRule:
    address = f"{group}#rule@{line}"
    return r.SecurityGroupRule(
        group=group,
        direction=direction,
        protocol=protocol,
        from_port=ports[0],
        to_port=ports[1],
        cidrs=cidrs,
        groups=groups,
        self_ref=self_ref,
        unresolved=unresolved,
        address=address,
        evidence=ev(line, group),
    )


WEB_443 = rule(WEB, 101, ports=(443, 443), cidrs=("0.0.0.0/0",))
WEB_RANGE = rule(WEB, 102, ports=(8000, 8100), cidrs=("0.0.0.0/0",))
WEB_EGRESS = rule(WEB, 103, "-1", (0, 0), direction="egress", cidrs=("0.0.0.0/0",))
V6_SSH = rule(V6, 111, ports=(22, 22), cidrs=("::/0",))
ALL_ANY = rule(ALL, 121, "-1", (0, 0), cidrs=("0.0.0.0/0",))
FUZZY_PG = rule(FUZZY, 131, ports=(5432, 5432), unresolved=True)
APP_FROM_WEB = rule(APP, 141, ports=(8080, 8080), groups=(WEB,))
APP_SELF = rule(APP, 142, ports=(9000, 9000), self_ref=True)
DB_VPC = rule(DB, 151, ports=(5432, 5432), cidrs=("10.20.0.0/16", "2001:db8::/32"))
DB_OPEN = rule(DB, 152, ports=(5432, 5432), cidrs=("0.0.0.0/0",))
DB_WORLD_ONLY = rule(DB_WORLD, 161, ports=(5432, 5432), cidrs=("0.0.0.0/0", "::/0"))
OUT_EGRESS = rule(OUT, 171, "-1", (0, 0), direction="egress", cidrs=("0.0.0.0/0",))

GROUPS = SecurityGroups(
    r.Inventory(
        security_groups=tuple(
            r.SecurityGroup(g, g, ev(100, g), vpc=VPC)
            for g in (WEB, APP, DB, DB_WORLD, ALL, V6, FUZZY, OUT)
        ),
        security_group_rules=(
            WEB_443,
            WEB_RANGE,
            WEB_EGRESS,
            V6_SSH,
            ALL_ANY,
            FUZZY_PG,
            APP_FROM_WEB,
            APP_SELF,
            DB_VPC,
            DB_OPEN,
            DB_WORLD_ONLY,
            OUT_EGRESS,
        ),
    )
)


@pytest.mark.parametrize(
    ("groups", "port", "expected"),
    [
        ((WEB,), 443, Admission(True, (WEB_443,))),
        ((WEB,), 8000, Admission(True, (WEB_RANGE,))),
        ((WEB,), 8050, Admission(True, (WEB_RANGE,))),
        ((WEB,), 8100, Admission(True, (WEB_RANGE,))),
        ((WEB,), 8101, Admission(False, ())),
        ((WEB,), 444, Admission(False, ())),
        ((WEB,), 22, Admission(False, ())),
        ((V6,), 22, Admission(True, (V6_SSH,))),
        ((V6,), 23, Admission(False, ())),
        ((ALL,), 5432, Admission(True, (ALL_ANY,))),
        ((ALL,), 1, Admission(True, (ALL_ANY,))),
        ((ALL,), None, Admission(True, (ALL_ANY,))),
        ((WEB, ALL), 443, Admission(True, (WEB_443, ALL_ANY))),
        ((OUT,), 443, Admission(False, ())),  # egress rules are not ingress
        ((APP,), 8080, Admission(False, ())),  # group peers are not the world
        ((WEB,), None, Admission(None, ())),  # port unknown, ranged rules: cannot tell
    ],
)
def test_admits_world(groups: tuple[str, ...], port: int | None, expected: Admission) -> None:
    result = GROUPS.admits_world(groups, port)
    assert result == expected
    assert [rl.evidence.line for rl in result.rules if rl.evidence] == [
        rl.evidence.line for rl in expected.rules if rl.evidence
    ]


def test_admits_world_evidence_lines() -> None:
    assert [rl.evidence for rl in GROUPS.admits_world((WEB, V6), 22).rules] == [ev(111, V6)]
    assert [rl.evidence for rl in GROUPS.admits_world((WEB,), 8080).rules] == [ev(102, WEB)]


def test_unresolved_peers_make_the_answer_unknown() -> None:
    assert GROUPS.admits_world((FUZZY,), 5432) == Admission(None, ())
    # A rule that does admit wins over an unknown one.
    assert GROUPS.admits_world((FUZZY, WEB), 443) == Admission(True, (WEB_443,))


def test_unresolved_rule_on_another_port_does_not_make_the_answer_unknown() -> None:
    assert GROUPS.admits_world((FUZZY,), 80) == Admission(False, ())
    # Its own port, or a port not known: still cannot tell.
    assert GROUPS.admits_world((FUZZY,), 5432) == Admission(None, ())
    assert GROUPS.admits_world((FUZZY,), None) == Admission(None, ())


@pytest.mark.parametrize(
    "groups",
    [("aws_security_group.elsewhere",), (WEB, "sg-0123456789abcdef0"), ()],
)
def test_groups_outside_the_inventory_are_unknown(groups: tuple[str, ...]) -> None:
    assert GROUPS.admits_world(groups, 443) == Admission(None, ())


def test_world_ports() -> None:
    assert GROUPS.world_ports((WEB,)) == [WEB_443, WEB_RANGE]
    assert GROUPS.world_ports((V6, DB)) == [V6_SSH, DB_OPEN]
    assert GROUPS.world_ports((APP, OUT)) == []
    assert [rl.evidence.line for rl in GROUPS.world_ports((WEB, ALL)) if rl.evidence] == [
        101,
        102,
        121,
    ]


def test_ingress_lists_only_ingress_rules_in_group_order() -> None:
    assert GROUPS.ingress((DB, APP, OUT)) == [DB_VPC, DB_OPEN, APP_FROM_WEB, APP_SELF]
