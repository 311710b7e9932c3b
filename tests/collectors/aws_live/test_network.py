"""The live network module: EC2 networking and instances read from moto, transformed into
the Terraform collector's records, and mapped into tier zones and internet flows.

The account: moto's default VPC, completed with the internet gateway and default route
every real default VPC has, holding one legacy instance; a "shop" VPC with a public
subnet (routed to an internet gateway), a private one (default route to a NAT gateway,
peering and an S3 gateway endpoint), a data subnet left on the main table (local only),
a custom ACL on the private subnet, security groups good and bad, flow logs, and
instances running, stopped and terminated; and a "partner" VPC peered with the shop.

Re-record from the repository root with
`python -m tests.collectors.aws_live.test_network`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services import network as n
from collectors.aws.services.identity.records import FlowLog
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import network
from scanner.model import Evidence, Fragment

from .moto_env import ACCOUNT, MotoServer, record, recorded, recording, scan_api, setup_client

REGION = "eu-west-1"
WHERE = Where(ACCOUNT, REGION)
PREFIX = f"aws:{ACCOUNT}//"


# --- the account --------------------------------------------------------------------


def _tags(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def build_state() -> dict[str, str]:
    """Create the account described in the module docstring; returns ids by name."""
    ec2 = setup_client("ec2", REGION)
    ids: dict[str, str] = {}
    _default_vpc(ec2, ids)
    ids["shop"] = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=_tags("vpc", "shop"))[
        "Vpc"
    ]["VpcId"]
    ids["partner"] = ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=_tags("vpc", "partner")
    )["Vpc"]["VpcId"]
    for name, cidr in (("public-a", "10.0.1.0/24"), ("private-a", "10.0.2.0/24")):
        ids[name] = ec2.create_subnet(
            VpcId=ids["shop"], CidrBlock=cidr, TagSpecifications=_tags("subnet", name)
        )["Subnet"]["SubnetId"]
    ids["data-a"] = ec2.create_subnet(
        VpcId=ids["shop"], CidrBlock="10.0.3.0/24", TagSpecifications=_tags("subnet", "data-a")
    )["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=ids["public-a"], MapPublicIpOnLaunch={"Value": True})
    _routes(ec2, ids)
    _security_groups(ec2, ids)
    _private_acl(ec2, ids)
    _flow_logs(ec2, ids)
    _instances(ec2, ids)
    return ids


def _default_vpc(ec2: Any, ids: dict[str, str]) -> None:
    """moto's default VPC lacks the internet gateway and route AWS gives every one."""
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    ids["default"] = default["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=ids["default"])
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [ids["default"]]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["default"]]}])
    ids["default-a"] = sorted(s["SubnetId"] for s in subnets["Subnets"])[0]


def _routes(ec2: Any, ids: dict[str, str]) -> None:
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", "shop-igw"))
    ids["shop-igw"] = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=ids["shop-igw"], VpcId=ids["shop"])
    public = ec2.create_route_table(
        VpcId=ids["shop"], TagSpecifications=_tags("route-table", "public")
    )
    ids["rt-public"] = public["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=ids["rt-public"], DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["shop-igw"]
    )
    ec2.create_route(
        RouteTableId=ids["rt-public"], DestinationIpv6CidrBlock="::/0", GatewayId=ids["shop-igw"]
    )
    ec2.associate_route_table(RouteTableId=ids["rt-public"], SubnetId=ids["public-a"])
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ids["public-a"], AllocationId=eip)
    ids["nat"] = nat["NatGateway"]["NatGatewayId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=ids["shop"], PeerVpcId=ids["partner"])
    ids["pcx"] = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids["pcx"])
    private = ec2.create_route_table(
        VpcId=ids["shop"], TagSpecifications=_tags("route-table", "private")
    )
    ids["rt-private"] = private["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=ids["rt-private"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=ids["nat"]
    )
    ec2.create_route(
        RouteTableId=ids["rt-private"],
        DestinationCidrBlock="10.1.0.0/16",
        VpcPeeringConnectionId=ids["pcx"],
    )
    ec2.associate_route_table(RouteTableId=ids["rt-private"], SubnetId=ids["private-a"])
    vpce = ec2.create_vpc_endpoint(
        VpcId=ids["shop"],
        ServiceName=f"com.amazonaws.{REGION}.s3",
        RouteTableIds=[ids["rt-private"]],
        VpcEndpointType="Gateway",
    )
    ids["vpce"] = vpce["VpcEndpoint"]["VpcEndpointId"]


def _security_groups(ec2: Any, ids: dict[str, str]) -> None:
    """web: HTTPS from anywhere, SSH from one office range; app: 8080 from web, all from
    itself, Postgres from a prefix list, DNS and ICMP from the VPC."""
    office = ec2.create_managed_prefix_list(
        PrefixListName="office",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "198.51.100.0/24"}],
    )["PrefixList"]["PrefixListId"]
    ids["web"] = ec2.create_security_group(VpcId=ids["shop"], GroupName="web", Description="web")[
        "GroupId"
    ]
    ids["app"] = ec2.create_security_group(VpcId=ids["shop"], GroupName="app", Description="app")[
        "GroupId"
    ]
    world = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    ec2.authorize_security_group_ingress(
        GroupId=ids["web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, **world},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "203.0.113.0/24"}],
            },
        ],
    )
    vpc_range = {"IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
    ec2.authorize_security_group_ingress(
        GroupId=ids["app"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": ids["web"]}],
            },
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": ids["app"]}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "PrefixListIds": [{"PrefixListId": office}],
            },
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, **vpc_range},
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, **vpc_range},
        ],
    )


def _private_acl(ec2: Any, ids: dict[str, str]) -> None:
    """The private subnet's ACL: 8080 from the VPC, return traffic, all out."""
    acl = ec2.create_network_acl(
        VpcId=ids["shop"], TagSpecifications=_tags("network-acl", "private")
    )
    ids["acl-private"] = acl["NetworkAcl"]["NetworkAclId"]
    entries = (
        (100, "6", False, "10.0.0.0/16", {"From": 8080, "To": 8080}),
        (110, "6", False, "0.0.0.0/0", {"From": 1024, "To": 65535}),
        (100, "-1", True, "0.0.0.0/0", None),
    )
    for number, proto, egress, cidr, span in entries:
        extra = {"PortRange": span} if span else {}
        ec2.create_network_acl_entry(
            NetworkAclId=ids["acl-private"],
            RuleNumber=number,
            Protocol=proto,
            RuleAction="allow",
            Egress=egress,
            CidrBlock=cidr,
            **extra,
        )
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [ids["private-a"]]}]
    )["NetworkAcls"][0]["Associations"]
    association = next(a for a in current if a["SubnetId"] == ids["private-a"])
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=ids["acl-private"]
    )


def _flow_logs(ec2: Any, ids: dict[str, str]) -> None:
    setup_client("s3", REGION).create_bucket(
        Bucket="shop-flow-logs", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    for kind, resource, traffic in (("VPC", "shop", "ALL"), ("Subnet", "private-a", "REJECT")):
        ec2.create_flow_logs(
            ResourceType=kind,
            ResourceIds=[ids[resource]],
            TrafficType=traffic,
            LogDestinationType="s3",
            LogDestination="arn:aws:s3:::shop-flow-logs",
        )


def _instances(ec2: Any, ids: dict[str, str]) -> None:
    """web-1 (public IP, instance profile), app-1 (private), batch-1 (stopped), old-1
    (terminated) and legacy-1 in the default VPC on its default group."""
    iam = setup_client("iam", REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def run(name: str, subnet: str, groups: list[str], **kw: Any) -> str:
        launched = ec2.run_instances(
            ImageId=ami,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            SubnetId=ids[subnet],
            SecurityGroupIds=groups,
            TagSpecifications=_tags("instance", name),
            **kw,
        )
        ids[name] = launched["Instances"][0]["InstanceId"]
        return ids[name]

    run("web-1", "public-a", [ids["web"]], IamInstanceProfile={"Arn": profile})
    run("app-1", "private-a", [ids["app"]])
    ec2.stop_instances(InstanceIds=[run("batch-1", "public-a", [ids["app"]])])
    ec2.terminate_instances(InstanceIds=[run("old-1", "public-a", [ids["web"]])])
    default_sg = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [ids["default"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    run("legacy-1", "default-a", [default_sg])


def as_aws_returns(raw: dict[str, Any]) -> dict[str, Any]:
    """Hand-corrections of moto's responses to what AWS returns (applied before recording):

    - every network ACL ends with the 32767 deny entries, in and out (moto gives them to
      default ACLs only);
    - a default security group admits all traffic from itself (moto: no ingress);
    - a gateway endpoint has PrivateDnsEnabled false (moto: true);
    - a NAT gateway states its ConnectivityType (moto omits it).
    """
    out = copy.deepcopy(raw)
    for acl in out["NetworkAcls"]:
        if not any(e.get("RuleNumber") == 32767 for e in acl["Entries"]):
            for egress in (True, False):
                deny = {"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1"}
                acl["Entries"].append({**deny, "RuleAction": "deny", "RuleNumber": 32767})
    for sg in out["SecurityGroups"]:
        if sg["GroupName"] == "default" and not sg["IpPermissions"]:
            pair = {"GroupId": sg["GroupId"], "UserId": ACCOUNT}
            sg["IpPermissions"] = [
                {
                    "IpProtocol": "-1",
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [pair],
                }
            ]
    for ep in out["VpcEndpoints"]:
        if ep["VpcEndpointType"] == "Gateway":
            ep["PrivateDnsEnabled"] = False
    for nat in out["NatGateways"]:
        nat.setdefault("ConnectivityType", "public")
    return out


# --- 1. reading moto ----------------------------------------------------------------


def _by_id(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {x[key]: x for x in items}


def test_read_returns_every_list_through_describe_calls_only(aws: MotoServer) -> None:
    ids = build_state()
    ledger = Ledger()
    api = scan_api("ec2", REGION, ledger)
    api.client.meta.events.register("before-call", ledger.count)  # count every request
    raw = network.read({"ec2": api})

    assert set(raw) == set(network.OPERATIONS)
    assert set(ledger.calls) == {f"ec2:{op}" for op in network.OPERATIONS.values()}
    assert ledger.failures == []
    tables = _by_id(raw["RouteTables"], "RouteTableId")
    public_routes = {
        (x.get("DestinationCidrBlock") or x.get("DestinationIpv6CidrBlock"), x.get("GatewayId"))
        for x in tables[ids["rt-public"]]["Routes"]
    }
    assert public_routes == {
        ("10.0.0.0/16", "local"),
        ("0.0.0.0/0", ids["shop-igw"]),
        ("::/0", ids["shop-igw"]),
    }
    private = tables[ids["rt-private"]]
    assert private["Associations"][0]["SubnetId"] == ids["private-a"]
    assert {x.get("NatGatewayId") for x in private["Routes"]} >= {ids["nat"]}
    assert any(x.get("GatewayId") == ids["vpce"] for x in private["Routes"])  # S3 prefix list
    groups = _by_id(raw["SecurityGroups"], "GroupId")
    https = groups[ids["web"]]["IpPermissions"][0]
    assert (https["IpProtocol"], https["FromPort"], https["IpRanges"]) == (
        "tcp",
        443,
        [{"CidrIp": "0.0.0.0/0"}],
    )
    assert groups[ids["app"]]["IpPermissions"][2]["PrefixListIds"][0]["PrefixListId"].startswith(
        "pl-"
    )
    acls = _by_id(raw["NetworkAcls"], "NetworkAclId")
    assert [a["SubnetId"] for a in acls[ids["acl-private"]]["Associations"]] == [ids["private-a"]]
    assert acls[ids["acl-private"]]["Entries"][0]["Protocol"] == "6"  # numbers, as AWS gives
    instances = {i["InstanceId"]: i for res in raw["Reservations"] for i in res["Instances"]}
    assert instances[ids["web-1"]]["PublicIpAddress"]
    assert instances[ids["web-1"]]["IamInstanceProfile"]["Arn"] == (
        f"arn:aws:iam::{ACCOUNT}:instance-profile/web"
    )
    assert instances[ids["old-1"]]["State"]["Name"] == "terminated"  # read, dropped later
    assert instances[ids["batch-1"]]["State"]["Name"] == "stopped"
    assert all("UserData" not in i for i in instances.values())
    assert [f["ResourceId"] for f in raw["FlowLogs"]] == [ids["shop"], ids["private-a"]]


def test_a_failed_list_is_none_and_the_others_are_still_read(aws: MotoServer) -> None:
    ledger = Ledger()
    api = scan_api("ec2", REGION, ledger)
    real = api.items

    def failing(operation: str, key: str, **kw: Any) -> list[Any] | None:
        return None if operation == "DescribeRouteTables" else real(operation, key, **kw)

    api.items = failing  # type: ignore[method-assign]
    raw = network.read({"ec2": api})
    assert raw["RouteTables"] is None
    assert raw["Vpcs"] and raw["Subnets"]  # moto's default VPC


# --- 2. transforms of the recorded responses -----------------------------------------


def _named(items: Iterable[Mapping[str, Any]], name: str, key: str) -> str:
    """The id of the resource tagged Name=`name` in a recorded list."""
    for x in items:
        if {"Key": "Name", "Value": name} in x.get("Tags", []):
            return str(x[key])
    raise KeyError(name)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return recorded("network")


@pytest.fixture(scope="module")
def ids(raw: dict[str, Any]) -> dict[str, str]:
    """Ids of the recorded resources by their Name tags."""
    instances = [i for res in raw["Reservations"] for i in res["Instances"]]
    out = {
        "shop": _named(raw["Vpcs"], "shop", "VpcId"),
        "partner": _named(raw["Vpcs"], "partner", "VpcId"),
        "default": next(v["VpcId"] for v in raw["Vpcs"] if v["IsDefault"]),
        "shop-igw": _named(raw["InternetGateways"], "shop-igw", "InternetGatewayId"),
        "rt-public": _named(raw["RouteTables"], "public", "RouteTableId"),
        "rt-private": _named(raw["RouteTables"], "private", "RouteTableId"),
        "acl-private": _named(raw["NetworkAcls"], "private", "NetworkAclId"),
        "nat": raw["NatGateways"][0]["NatGatewayId"],
        "vpce": raw["VpcEndpoints"][0]["VpcEndpointId"],
        "pcx": raw["VpcPeeringConnections"][0]["VpcPeeringConnectionId"],
    }
    for name in ("public-a", "private-a", "data-a"):
        out[name] = _named(raw["Subnets"], name, "SubnetId")
    for name in ("web-1", "app-1", "batch-1", "old-1", "legacy-1"):
        out[name] = _named(instances, name, "InstanceId")
    for g in raw["SecurityGroups"]:
        if g["GroupName"] != "default":
            out[g["GroupName"]] = g["GroupId"]
    return out


@pytest.fixture(scope="module")
def built(raw: dict[str, Any]) -> list[Any]:
    return network.transform(raw, WHERE)


def arn(kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{ident}"


def ev(kind: str, ident: str, detail: str | None = None) -> Evidence:
    return Evidence(
        source="aws",
        address=arn(kind, ident),
        uri=arn(kind, ident),
        account=ACCOUNT,
        region=REGION,
        detail=detail,
    )


def _records(built: list[Any], kind: type[Any]) -> dict[str, Any]:
    return {x.ref: x for x in built if type(x) is kind}


def test_vpcs_subnets_and_internet_gateways(built: list[Any], ids: dict[str, str]) -> None:
    vpcs = _records(built, r.Vpc)
    assert vpcs[ids["shop"]] == r.Vpc(
        ids["shop"], arn("vpc", ids["shop"]), ev("vpc", ids["shop"]), cidr="10.0.0.0/16"
    )
    assert set(vpcs) == {ids["shop"], ids["partner"], ids["default"]}
    subnets = _records(built, r.Subnet)
    public = ids["public-a"]
    assert subnets[public] == r.Subnet(
        public,
        arn("subnet", public),
        ev("subnet", public),
        vpc=ids["shop"],
        cidr="10.0.1.0/24",
        public_ip_on_launch=True,
    )
    assert subnets[ids["private-a"]].public_ip_on_launch is False
    assert len(subnets) == 6  # three of the default VPC (public on launch), three of the shop
    igws = _records(built, r.InternetGateway)
    assert igws[ids["shop-igw"]] == r.InternetGateway(
        ids["shop-igw"],
        arn("internet-gateway", ids["shop-igw"]),
        ev("internet-gateway", ids["shop-igw"]),
        vpc=ids["shop"],
    )
    assert {g.vpc for g in igws.values()} == {ids["shop"], ids["default"]}


def test_route_tables_keep_the_terraform_target_kinds_and_the_main_table(
    built: list[Any], ids: dict[str, str], raw: dict[str, Any]
) -> None:
    tables = _records(built, r.RouteTable)
    pub, priv = ids["rt-public"], ids["rt-private"]
    igw = ids["shop-igw"]

    def route(table: str, dest: str, kind: str, target: str) -> r.Route:
        return r.Route(dest, kind, target, ev("route-table", table, f"route {dest} -> {target}"))

    assert tables[pub] == r.RouteTable(
        pub,
        arn("route-table", pub),
        ev("route-table", pub),
        vpc=ids["shop"],
        routes=(
            route(pub, "10.0.0.0/16", "local", "local"),
            route(pub, "0.0.0.0/0", "igw", igw),
            route(pub, "::/0", "igw", igw),
        ),
        main=False,
    )
    kinds = [(x.destination, x.target_kind, x.target) for x in tables[priv].routes]
    prefix_list = next(
        x["DestinationPrefixListId"]
        for x in raw["RouteTables"]
        if x["RouteTableId"] == priv
        for x in x["Routes"]
        if "DestinationPrefixListId" in x
    )
    assert kinds == [
        ("10.0.0.0/16", "local", "local"),
        ("0.0.0.0/0", "nat", ids["nat"]),
        ("10.1.0.0/16", "peering", ids["pcx"]),
        (prefix_list, "endpoint", ids["vpce"]),
    ]
    mains = {t.vpc for t in tables.values() if t.main}
    assert mains == {ids["shop"], ids["partner"], ids["default"]}
    assert not tables[pub].main and not tables[priv].main
    associations = {
        (a.subnet, a.route_table) for a in built if isinstance(a, r.RouteTableAssociation)
    }
    assert associations == {
        (ids["public-a"], pub),
        (ids["private-a"], priv),
    }  # the main ones are not per subnet
    one = next(
        a for a in built if isinstance(a, r.RouteTableAssociation) and a.subnet == ids["public-a"]
    )
    assert one.address == arn("route-table", pub)
    assert one.ref.startswith("rtbassoc-")
    assert one.evidence.detail == f"association {one.ref}: {ids['public-a']} -> {pub}"


def test_route_targets_of_every_kind() -> None:
    """Targets AWS can return that moto does not build, classified as Terraform does;
    a blackhole route (its target deleted) is left out."""
    routes = [
        {
            "DestinationCidrBlock": "0.0.0.0/0",
            "InstanceId": "i-1",
            "NetworkInterfaceId": "eni-1",
            "State": "active",
        },
        {"DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-2", "State": "active"},
        {"DestinationCidrBlock": "10.3.0.0/16", "TransitGatewayId": "tgw-1", "State": "active"},
        {
            "DestinationIpv6CidrBlock": "::/0",
            "EgressOnlyInternetGatewayId": "eigw-1",
            "State": "active",
        },
        {"DestinationCidrBlock": "10.4.0.0/16", "GatewayId": "vgw-1", "State": "active"},
        {"DestinationCidrBlock": "10.5.0.0/16", "CarrierGatewayId": "cagw-1", "State": "active"},
        {"DestinationCidrBlock": "10.6.0.0/16", "State": "active"},
        {"DestinationCidrBlock": "10.7.0.0/16", "GatewayId": "igw-gone", "State": "blackhole"},
        {"GatewayId": "igw-1", "State": "active"},
    ]
    raw = {"RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": routes}]}
    (table,) = network.transform(raw, WHERE)
    assert [(x.destination, x.target_kind, x.target) for x in table.routes] == [
        ("0.0.0.0/0", "instance", "i-1"),
        ("10.2.0.0/16", "eni", "eni-2"),
        ("10.3.0.0/16", "tgw", "tgw-1"),
        ("::/0", "egress-only", "eigw-1"),
        ("10.4.0.0/16", "vgw", "vgw-1"),
        ("10.5.0.0/16", "other", "cagw-1"),
        ("10.6.0.0/16", "other", None),
        (None, "igw", "igw-1"),
    ]
    assert table.routes[6].evidence.detail == "route 10.6.0.0/16 -> other"
    assert table.main is False


def _rules(built: list[Any], group: str, direction: str = "ingress") -> list[r.SecurityGroupRule]:
    return [
        x
        for x in built
        if isinstance(x, r.SecurityGroupRule) and x.group == group and x.direction == direction
    ]


def test_security_groups_and_their_rules(
    built: list[Any], ids: dict[str, str], raw: dict[str, Any]
) -> None:
    web, app = ids["web"], ids["app"]
    groups = _records(built, r.SecurityGroup)
    assert groups[web] == r.SecurityGroup(
        web, arn("security-group", web), ev("security-group", web), vpc=ids["shop"], name="web"
    )
    detail = "ingress tcp/443-443 from 0.0.0.0/0, ::/0"
    assert _rules(built, web)[0] == r.SecurityGroupRule(
        group=web,
        direction="ingress",
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidrs=("0.0.0.0/0", "::/0"),
        address=arn("security-group", web),
        evidence=ev("security-group", web, detail),
    )
    ssh = _rules(built, web)[1]
    assert (ssh.from_port, ssh.cidrs, ssh.unresolved) == (22, ("203.0.113.0/24",), False)
    (egress,) = _rules(built, web, "egress")
    assert (egress.protocol, egress.from_port, egress.to_port, egress.cidrs) == (
        "-1",
        0,
        65535,
        ("0.0.0.0/0",),
    )
    from_web, itself, postgres, dns, icmp = _rules(built, app)
    assert (from_web.groups, from_web.self_ref, from_web.cidrs) == ((web,), False, ())
    assert (itself.protocol, itself.groups, itself.self_ref, itself.unresolved) == (
        "-1",
        (),
        True,
        False,
    )
    assert itself.evidence is not None and itself.evidence.detail == f"ingress -1/all from {app}"
    assert (postgres.from_port, postgres.cidrs, postgres.groups, postgres.unresolved) == (
        5432,
        (),
        (),
        True,
    )
    assert (dns.protocol, dns.from_port, dns.cidrs) == ("udp", 53, ("10.0.0.0/16",))
    assert (icmp.protocol, icmp.from_port, icmp.to_port) == ("icmp", -1, -1)
    default = next(g for g in raw["SecurityGroups"] if g["VpcId"] == ids["default"])["GroupId"]
    (own,) = _rules(built, default)
    assert (own.protocol, own.self_ref, own.groups) == ("-1", True, ())


def test_security_group_protocol_numbers_and_unreadable_peers() -> None:
    perms = [
        {"IpProtocol": "6", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "17", "FromPort": 0, "ToPort": 65535},
        {"IpProtocol": "1", "FromPort": 8, "ToPort": 0},
        {"IpProtocol": "50"},
        {"FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "UserIdGroupPairs": [{"GroupName": "legacy"}],
        },
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": "sg-other", "UserId": "210987654321"}],
        },
    ]
    raw = {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": perms}]}
    group, *rules = network.transform(raw, WHERE)
    assert group == r.SecurityGroup(
        "sg-1", arn("security-group", "sg-1"), ev("security-group", "sg-1")
    )
    assert [(x.protocol, x.from_port, x.to_port, x.unresolved) for x in rules] == [
        ("tcp", 80, 80, False),
        ("udp", 0, 65535, False),
        ("icmp", 8, 0, False),
        ("50", None, None, False),
        ("?", 80, 80, True),  # the protocol is not stated
        ("tcp", 80, 80, True),  # a peer named without its id
        ("tcp", 80, 80, False),  # another account's group: a known id, just not here
    ]
    assert rules[-1].groups == ("sg-other",)


def test_network_acls_keep_every_entry_as_aws_returns_it(
    built: list[Any], ids: dict[str, str]
) -> None:
    acls = _records(built, r.NetworkAcl)
    private = ids["acl-private"]
    assert acls[private] == r.NetworkAcl(
        private,
        arn("network-acl", private),
        ev("network-acl", private),
        vpc=ids["shop"],
        subnets=(ids["private-a"],),
        default=False,
    )
    shop_default = next(a for a in acls.values() if a.vpc == ids["shop"] and a.default)
    assert set(shop_default.subnets) == {ids["public-a"], ids["data-a"]}
    rules = [x for x in built if isinstance(x, r.NaclRule) and x.acl == private]
    assert rules[0] == r.NaclRule(
        acl=private,
        number=100,
        egress=False,
        allow=True,
        protocol="tcp",
        cidr="10.0.0.0/16",
        from_port=8080,
        to_port=8080,
        evidence=ev("network-acl", private, "rule 100 ingress allow tcp from 10.0.0.0/16"),
    )
    assert [(x.number, x.egress, x.allow, x.protocol, x.from_port, x.to_port) for x in rules] == [
        (100, False, True, "tcp", 8080, 8080),
        (110, False, True, "tcp", 1024, 65535),
        (100, True, True, "-1", 0, 65535),
        (32767, True, False, "-1", 0, 65535),
        (32767, False, False, "-1", 0, 65535),
    ]
    assert not any(isinstance(x, r.NaclAssociation) for x in built)  # subnets are on the ACL


def test_endpoints_nat_gateways_peering_and_flow_logs(
    built: list[Any], ids: dict[str, str], raw: dict[str, Any]
) -> None:
    vpce, nat, pcx = ids["vpce"], ids["nat"], ids["pcx"]
    assert _records(built, n.VpcEndpoint)[vpce] == n.VpcEndpoint(
        vpce,
        arn("vpc-endpoint", vpce),
        ev("vpc-endpoint", vpce),
        vpc=ids["shop"],
        service="s3",
        endpoint_type="Gateway",
        private_dns=False,
    )
    assert _records(built, n.NatGateway)[nat] == n.NatGateway(
        nat, arn("natgateway", nat), ev("natgateway", nat), subnet=ids["public-a"], public=True
    )
    assert _records(built, n.PeeringConnection)[pcx] == n.PeeringConnection(
        pcx,
        arn("vpc-peering-connection", pcx),
        ev("vpc-peering-connection", pcx),
        vpc=ids["shop"],
        peer_vpc=ids["partner"],
        cross_account=False,
    )
    logs = sorted(_records(built, FlowLog).values(), key=lambda f: f.traffic_type or "")
    on_vpc = next(f["FlowLogId"] for f in raw["FlowLogs"] if f["ResourceId"] == ids["shop"])
    assert logs[0] == FlowLog(
        on_vpc,
        arn("vpc-flow-log", on_vpc),
        ev("vpc-flow-log", on_vpc),
        vpc=ids["shop"],
        traffic_type="ALL",
    )
    assert (logs[1].vpc, logs[1].traffic_type) == (None, "REJECT")  # a subnet's flow log


def test_extras_that_moto_does_not_build() -> None:
    """Cross-account and unknown-owner peerings, private and unstated NAT connectivity,
    interface endpoints, and resources AWS still lists after they are gone."""
    raw = {
        "VpcPeeringConnections": [
            {
                "VpcPeeringConnectionId": "pcx-x",
                "Status": {"Code": "active"},
                "RequesterVpcInfo": {"VpcId": "vpc-1", "OwnerId": ACCOUNT},
                "AccepterVpcInfo": {"VpcId": "vpc-9", "OwnerId": "210987654321"},
            },
            {"VpcPeeringConnectionId": "pcx-u", "RequesterVpcInfo": {"VpcId": "vpc-1"}},
            {"VpcPeeringConnectionId": "pcx-r", "Status": {"Code": "rejected"}},
        ],
        "NatGateways": [
            {
                "NatGatewayId": "nat-p",
                "SubnetId": "subnet-1",
                "ConnectivityType": "private",
                "State": "available",
            },
            {"NatGatewayId": "nat-u", "SubnetId": "subnet-1", "State": "pending"},
            {"NatGatewayId": "nat-d", "SubnetId": "subnet-1", "State": "deleted"},
        ],
        "VpcEndpoints": [
            {
                "VpcEndpointId": "vpce-i",
                "VpcId": "vpc-1",
                "ServiceName": "com.amazonaws.eu-west-1.ecr.api",
                "VpcEndpointType": "Interface",
                "PrivateDnsEnabled": True,
                "State": "available",
            },
            {"VpcEndpointId": "vpce-d", "State": "deleted"},
            {"VpcEndpointId": "vpce-n"},
        ],
    }
    out = {x.ref: x for x in network.transform(raw, WHERE)}
    assert set(out) == {"pcx-x", "pcx-u", "nat-p", "nat-u", "vpce-i", "vpce-n"}
    assert (out["pcx-x"].cross_account, out["pcx-x"].peer_vpc) == (True, "vpc-9")
    assert (out["pcx-u"].cross_account, out["pcx-u"].peer_vpc) == (None, None)
    assert out["nat-p"].public is False
    assert out["nat-u"].public is None  # not stated: unknown
    assert (out["vpce-i"].service, out["vpce-i"].endpoint_type, out["vpce-i"].private_dns) == (
        "api",
        "Interface",
        True,
    )
    assert (out["vpce-n"].service, out["vpce-n"].endpoint_type, out["vpce-n"].private_dns) == (
        None,
        "?",
        None,
    )


def test_instances(built: list[Any], ids: dict[str, str]) -> None:
    instances = _records(built, r.Instance)
    web = ids["web-1"]
    assert instances[web] == r.Instance(
        web,
        arn("instance", web),
        ev("instance", web, "web-1 (running)"),
        subnet=ids["public-a"],
        security_groups=(ids["web"],),
        public_ip=True,
        instance_profile=f"arn:aws:iam::{ACCOUNT}:instance-profile/web",
        http_tokens="optional",  # IMDSv1 still answered (the MetadataOptions AWS returns)
        name_tag="web-1",
    )
    app = instances[ids["app-1"]]
    assert (app.subnet, app.security_groups, app.public_ip, app.instance_profile) == (
        ids["private-a"],
        (ids["app"],),
        False,
        None,
    )
    assert instances[ids["batch-1"]].public_ip is None  # stopped: may get one when started
    assert ids["old-1"] not in instances  # terminated
    assert all(i.key is None and i.calls == () for i in instances.values())


def test_instance_groups_of_every_interface_and_the_interface_public_ip() -> None:
    reservation = {
        "Instances": [
            {
                "InstanceId": "i-1",
                "State": {"Name": "running"},
                "SubnetId": "subnet-1",
                "SecurityGroups": [{"GroupId": "sg-1"}],
                "NetworkInterfaces": [
                    {"Groups": [{"GroupId": "sg-1"}], "Association": {"PublicIp": "198.51.100.7"}},
                    {"Groups": [{"GroupId": "sg-2"}]},
                ],
            },
            {"InstanceId": "i-2"},
        ]
    }
    one, two = network.transform({"Reservations": [reservation]}, WHERE)
    assert (one.security_groups, one.public_ip) == (("sg-1", "sg-2"), True)
    assert one.evidence.detail == "running"
    assert (two.subnet, two.public_ip, two.evidence.detail) == (None, None, None)


def test_unread_lists_give_no_records_and_odd_values_no_exception() -> None:
    # Nothing read: no records, but the network ACLs are said to be unknown (an unknown
    # ACL on every subnet) so the mapping does not assume the default allow-all.
    acls = arn("network-acl", "*")
    assert network.transform({key: None for key in network.OPERATIONS}, WHERE) == [
        r.NaclAssociation(
            acls,
            acls,
            WHERE.evidence(acls, detail="network ACLs could not be read"),
            acl="?",
            subnet=None,
        )
    ]
    odd: dict[str, Any] = {
        "Vpcs": "x",
        "Subnets": [
            1,
            None,
            {"SubnetId": 7},
            {"SubnetId": "subnet-1", "MapPublicIpOnLaunch": "yes"},
        ],
        "InternetGateways": [{"InternetGatewayId": "igw-1", "Attachments": {"VpcId": "vpc-1"}}],
        "RouteTables": [
            {
                "RouteTableId": "rtb-1",
                "Routes": ["junk", {"GatewayId": 5}],
                "Associations": [{"Main": "true", "SubnetId": "subnet-1", "AssociationState": "x"}],
            }
        ],
        "SecurityGroups": [
            {
                "GroupId": "sg-1",
                "IpPermissions": [{"IpProtocol": 6, "FromPort": "80", "IpRanges": "0.0.0.0/0"}],
            }
        ],
        "NetworkAcls": [
            {
                "NetworkAclId": "acl-1",
                "Entries": [{"RuleNumber": "100", "PortRange": 5, "Protocol": None}],
            }
        ],
        "VpcPeeringConnections": [{"VpcPeeringConnectionId": "pcx-1", "Status": "active"}],
        "FlowLogs": [{"FlowLogId": "fl-1", "ResourceId": ["vpc-1"]}],
        "Reservations": [
            {
                "Instances": [
                    {
                        "InstanceId": "i-1",
                        "State": "running",
                        "Tags": "x",
                        "NetworkInterfaces": [None],
                    }
                ]
            }
        ],
    }
    out = {x.ref if hasattr(x, "ref") else id(x): x for x in network.transform(odd, WHERE)}
    assert out["subnet-1"].public_ip_on_launch is None
    assert out["igw-1"].vpc is None
    assert (out["rtb-1"].routes[0].target_kind, out["rtb-1"].main) == ("other", False)
    assert out["rtb-1"].routes[0].destination is None  # unknown: the tier will be unknown
    rule = next(x for x in out.values() if isinstance(x, r.SecurityGroupRule))
    assert (rule.protocol, rule.from_port, rule.cidrs) == ("tcp", None, ())
    entry = next(x for x in out.values() if isinstance(x, r.NaclRule))
    assert (entry.number, entry.allow, entry.protocol, entry.cidr) == (None, None, "?", None)
    assert out["fl-1"].vpc is None
    assert out["i-1"].public_ip is None


# --- 3. the shared mapping ---------------------------------------------------------------


_FIELDS = {
    r.Vpc: "vpcs",
    r.Subnet: "subnets",
    r.InternetGateway: "internet_gateways",
    r.RouteTable: "route_tables",
    r.RouteTableAssociation: "route_table_associations",
    r.SecurityGroup: "security_groups",
    r.SecurityGroupRule: "security_group_rules",
    r.NetworkAcl: "network_acls",
    r.NaclRule: "nacl_rules",
    r.NaclAssociation: "nacl_associations",
    r.Instance: "instances",
}


def inventory(built: Iterable[Any]) -> r.Inventory:
    """The Inventory the collector would fill: core types to their fields, the rest
    (endpoints, NAT gateways, peerings, flow logs) to `extra`."""
    assert {f.name for f in fields(r.Inventory)} >= set(_FIELDS.values())
    by_field: dict[str, list[Any]] = {name: [] for name in [*_FIELDS.values(), "extra"]}
    for x in built:
        by_field[_FIELDS.get(type(x), "extra")].append(x)
    return r.Inventory(
        **{k: tuple(v) for k, v in by_field.items()}, scope=f"aws {ACCOUNT}/{REGION}"
    )


def _association_id(raw: dict[str, Any], subnet: str) -> str:
    return next(
        str(a["RouteTableAssociationId"])
        for t in raw["RouteTables"]
        for a in t["Associations"]
        if a.get("SubnetId") == subnet
    )


def fragment(raw: dict[str, Any]) -> Fragment:
    inv = inventory(network.transform(raw, WHERE))
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def test_mapping_public_and_private_tiers_and_the_internet_reaching_web(
    raw: dict[str, Any], ids: dict[str, str]
) -> None:
    frag = fragment(raw)
    els = {e.id.removeprefix(PREFIX): e for e in frag.elements}
    zones = {b.id: b for b in frag.boundaries}
    shop = f"{PREFIX}{ids['shop']}"
    assert els[ids["web-1"]].boundary == f"{shop}/public"
    assert els[ids["app-1"]].boundary == f"{shop}/private"
    assert els[ids["web-1"]].props["public_ip"] is True
    assert els[ids["web-1"]].resource == arn("instance", ids["web-1"])
    assert zones[f"{shop}/public"].members == (ids["public-a"],)
    assert zones[f"{shop}/private"].members == (ids["private-a"],)
    assert zones[f"{shop}/public"].props["tier"] == "public"
    # The default VPC's subnets have no association: its main table routes to its igw.
    assert els[ids["legacy-1"]].boundary == f"{PREFIX}{ids['default']}/public"
    flows = {f.id: f for f in frag.flows}
    web, app = f"{PREFIX}{ids['web-1']}", f"{PREFIX}{ids['app-1']}"
    internet = flows[f"internet->{web}:tcp/443"]
    assert internet.basis == "reachable"
    assert (
        internet.derivation == f"inferred: {arn('security-group', ids['web'])} admits the internet"
    )
    # Evidence: the security group rule, the subnet's association and its igw route.
    association = _association_id(raw, ids["public-a"])
    assert [e.detail for e in internet.evidence] == [
        "ingress tcp/443-443 from 0.0.0.0/0, ::/0",
        f"association {association}: {ids['public-a']} -> {ids['rt-public']}",
        f"route 0.0.0.0/0 -> {ids['shop-igw']}",
    ]
    assert flows[f"{web}->{app}:tcp/8080"].basis == "reachable"
    from_internet = sorted(
        f.target.removeprefix(PREFIX) for f in frag.flows if f.source == "internet"
    )
    assert from_internet == [ids["web-1"]]  # not app-1, not batch-1 (no world rule), not legacy-1
    vpc = zones[shop]
    assert (vpc.props["cidr"], vpc.props["nat_gateway"], vpc.props["vpc_endpoints"]) == (
        "10.0.0.0/16",
        True,
        "s3",
    )
    assert (vpc.props["peered_with"], vpc.props["flow_logs"], vpc.props["flow_log_traffic"]) == (
        ids["partner"],
        True,
        "ALL",
    )


def test_mapping_an_acl_deny_on_the_public_subnet_keeps_the_internet_out(
    raw: dict[str, Any], ids: dict[str, str]
) -> None:
    """AWS evaluates entries by number: a deny at 50 wins over the default allow at 100."""
    changed = copy.deepcopy(raw)
    acl = next(a for a in changed["NetworkAcls"] if a["VpcId"] == ids["shop"] and a["IsDefault"])
    deny = {
        "CidrBlock": "0.0.0.0/0",
        "Egress": False,
        "Protocol": "6",
        "PortRange": {"From": 443, "To": 443},
    }
    acl["Entries"].append({**deny, "RuleAction": "deny", "RuleNumber": 50})
    frag = fragment(changed)
    assert not [f for f in frag.flows if f.source == "internet" and f.target.endswith(ids["web-1"])]


def test_mapping_unknown_route_tables_make_tiers_unknown(
    raw: dict[str, Any], ids: dict[str, str]
) -> None:
    """A failed DescribeRouteTables is not "private": nothing is placed in a tier."""
    frag = fragment({**raw, "RouteTables": None})
    els = {e.id.removeprefix(PREFIX): e for e in frag.elements}
    assert els[ids["web-1"]].boundary == f"{PREFIX}{ids['shop']}"
    assert not [f for f in frag.flows if f.source == "internet"]


# --- recording ---------------------------------------------------------------------------


if __name__ == "__main__":
    with recording(REGION):
        build_state()
        record("network", as_aws_returns(network.read({"ec2": scan_api("ec2", REGION)})))
