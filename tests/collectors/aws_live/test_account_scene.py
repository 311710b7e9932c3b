"""The shop account twice: fixtures/aws-live (Terraform) and account.py (moto).

The first tests check that the builder still makes, in moto, the account the Terraform
describes (a moto upgrade that drops or reshapes a setting would otherwise silently
change what the live scan is compared with). The last pins what the Terraform scan
reports, so the live scan of the same account has a known answer to match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scanner.pipeline import scan

from .account import EUC1, EUW1, build_account
from .moto_env import ACCOUNT, MotoServer, setup_client

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "aws-live"
REGION = {"euw1": EUW1, "euc1": EUC1}
ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]

# Terraform resource types the builder creates one-for-one (the rest are settings on
# them: rules, associations, attachments, methods, inline policies).
TWINNED = {
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_route_table",
    "aws_flow_log",
    "aws_security_group",
    "aws_instance",
    "aws_iam_role",
    "aws_iam_instance_profile",
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_db_subnet_group",
    "aws_db_instance",
    "aws_s3_bucket",
    "aws_lambda_function",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_stage",
}

# What the Terraform scan reports, and why each is deserved.
TERRAFORM_FINDINGS = {
    # Publicly accessible, in the public subnets, SG admits 0.0.0.0/0 on 5432.
    ("TM-PUB-001", "aws_db_instance.euw1_orders"),
    # storage_encrypted = false.
    ("TM-ENC-001", "aws_db_instance.euw1_orders"),
    # Bucket policy grants s3:GetObject to "*"; no public access block (low confidence:
    # the Terraform cannot show that no bucket- or account-level block exists).
    ("TM-PUB-001", "aws_s3_bucket.euw1_assets"),
    # Internet-facing ALB forwards plain HTTP:80 to the web server.
    ("TM-TLS-001", "aws_lb_listener.euw1_http"),
    # Stage "prod" of the anonymous API: no method settings, no usage plan.
    ("TM-RATE-001", "aws_api_gateway_stage.euw1_prod"),
    # Web server: public IP in a public subnet, SSH open to 0.0.0.0/0.
    ("TM-NET-001", "aws_instance.euw1_web"),
    # ...and it still answers instance metadata v1 (http_tokens = "optional").
    ("TM-IAM-001", "aws_instance.euw1_web"),
    # ...and runs as a role whose inline policy allows "*" on "*".
    ("TM-IAM-002", "aws_iam_role.euw1_web"),
    # Ireland logs nothing: no flow log on its VPC, no access logs on its ALB
    # (Frankfurt has both, so the VPC finding is at medium confidence).
    ("TM-LOG-002", "aws_vpc.euw1"),
    ("TM-LOG-003", "aws_lb.euw1"),
}


# --- the builder is the Terraform's twin --------------------------------------------------


def test_builder_makes_the_terraform_account(aws: MotoServer) -> None:
    """One build (it takes seconds), checked area by area."""
    made = build_account()
    check_each_terraform_resource_is_made_with_its_name(made)
    check_networks(made)
    check_security_groups(made)
    check_web_servers(made)
    check_load_balancers(made)
    check_databases(made)
    check_buckets()
    check_apis(made)


def terraform_resources() -> dict[str, str]:
    """{address: Name tag or ""} of every resource in fixtures/aws-live."""
    found: dict[str, str] = {}
    for path in sorted(FIXTURE.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for block in re.finditer(r'^resource "(\w+)" "(\w+)" \{\n(.*?)^\}', text, re.M | re.S):
            name = re.search(r'^  tags = \{ Name = "([^"]+)" \}', block[3], re.M)
            found[f"{block[1]}.{block[2]}"] = name[1] if name else ""
    return found


def key_values(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def live_name_tag(address: str, ref: str) -> str | None:
    """The Name tag of a created resource, read back through the service that owns it."""
    kind, logical = address.split(".")
    region = REGION[logical.split("_")[0]]
    if ref.startswith(("vpc-", "subnet-", "igw-", "rtb-", "fl-", "sg-", "i-")):
        ec2 = setup_client("ec2", region)
        tags = key_values(
            ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [ref]}])["Tags"]
        )
    elif kind.startswith("aws_lb"):
        described = setup_client("elbv2", region).describe_tags(ResourceArns=[ref])
        tags = key_values(described["TagDescriptions"][0]["Tags"])
    elif kind.startswith("aws_db_"):
        rds = setup_client("rds", region)
        tags = key_values(rds.list_tags_for_resource(ResourceName=ref)["TagList"])
    elif kind == "aws_s3_bucket":
        s3 = setup_client("s3", region)
        tags = key_values(s3.get_bucket_tagging(Bucket=ref.split(":::")[1])["TagSet"])
    elif kind == "aws_iam_role":
        iam = setup_client("iam")
        tags = key_values(iam.list_role_tags(RoleName=ref.rsplit("/", 1)[1])["Tags"])
    elif kind == "aws_iam_instance_profile":
        # moto does not implement ListInstanceProfileTags; GetInstanceProfile has them too.
        iam = setup_client("iam")
        profile = iam.get_instance_profile(InstanceProfileName=ref.rsplit("/", 1)[1])
        tags = key_values(profile["InstanceProfile"]["Tags"])
    elif kind == "aws_lambda_function":
        tags = setup_client("lambda", region).list_tags(Resource=ref)["Tags"]
    elif kind == "aws_api_gateway_rest_api":
        apigateway = setup_client("apigateway", region)
        tags = apigateway.get_rest_api(restApiId=ref.rsplit("/", 1)[1])["tags"]
    elif kind == "aws_api_gateway_stage":
        apigateway = setup_client("apigateway", region)
        api_id, stage = ref.split("/restapis/")[1].split("/stages/")
        tags = apigateway.get_stage(restApiId=api_id, stageName=stage)["tags"]
    else:
        raise AssertionError(f"no tag reader for {address}")
    return tags.get("Name")


def check_each_terraform_resource_is_made_with_its_name(made: dict[str, str]) -> None:
    terraform = terraform_resources()
    twinned = {a for a in terraform if a.split(".")[0] in TWINNED}
    assert set(made) == twinned | {"local.certificate_arn_euc1"}
    for address in sorted(twinned):
        assert terraform[address], f"{address} has no Name tag in the Terraform"
        assert live_name_tag(address, made[address]) == terraform[address], address


def check_networks(made: dict[str, str]) -> None:
    for short, net in (("euw1", "10.10"), ("euc1", "10.20")):
        ec2 = setup_client("ec2", REGION[short])
        vpcs = {v["VpcId"]: v for v in ec2.describe_vpcs()["Vpcs"]}
        assert vpcs[made[f"aws_vpc.{short}"]]["CidrBlock"] == f"{net}.0.0/16"
        # moto, like AWS, gives every region a default VPC; it stays.
        assert [v["CidrBlock"] for v in vpcs.values() if v["IsDefault"]] == ["172.31.0.0/16"]

        subnets = ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [made[f"aws_vpc.{short}"]]}]
        )["Subnets"]
        assert sorted(
            (s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]) for s in subnets
        ) == [
            (f"{net}.0.0/24", f"{REGION[short]}a", True),
            (f"{net}.1.0/24", f"{REGION[short]}b", True),
            (f"{net}.10.0/24", f"{REGION[short]}a", False),
            (f"{net}.11.0/24", f"{REGION[short]}b", False),
        ]

        tables = {
            t["RouteTableId"]: t
            for t in ec2.describe_route_tables(
                RouteTableIds=[
                    made[f"aws_route_table.{short}_public"],
                    made[f"aws_route_table.{short}_private"],
                ]
            )["RouteTables"]
        }
        for tier, gateway in (("public", made[f"aws_internet_gateway.{short}"]), ("private", None)):
            table = tables[made[f"aws_route_table.{short}_{tier}"]]
            routes = {r["DestinationCidrBlock"]: r.get("GatewayId") for r in table["Routes"]}
            expected = {f"{net}.0.0/16": "local"} | ({"0.0.0.0/0": gateway} if gateway else {})
            assert routes == expected
            assert sorted(a["SubnetId"] for a in table["Associations"]) == sorted(
                [made[f"aws_subnet.{short}_{tier}_a"], made[f"aws_subnet.{short}_{tier}_b"]]
            )

    flow_logs = setup_client("ec2", EUC1).describe_flow_logs()["FlowLogs"]
    assert [(f["ResourceId"], f["TrafficType"], f["LogDestination"]) for f in flow_logs] == [
        (made["aws_vpc.euc1"], "ALL", "arn:aws:s3:::shop-logs-euc1")
    ]
    assert setup_client("ec2", EUW1).describe_flow_logs()["FlowLogs"] == []


def ingress(region: str, group_id: str) -> list[tuple[int, list[Any], list[str]]]:
    """(port, CIDR ranges, source groups) of each ingress rule of a security group."""
    group = setup_client("ec2", region).describe_security_groups(GroupIds=[group_id])
    return [
        (
            p["FromPort"],
            [{"CidrIp": r["CidrIp"]} for r in p["IpRanges"]],
            [g["GroupId"] for g in p["UserIdGroupPairs"]],
        )
        for p in group["SecurityGroups"][0]["IpPermissions"]
    ]


def check_security_groups(made: dict[str, str]) -> None:
    sg = {a.split(".")[1]: ref for a, ref in made.items() if a.startswith("aws_security_group.")}
    assert ingress(EUW1, sg["euw1_alb"]) == [(80, ANYWHERE, [])]
    assert ingress(EUW1, sg["euw1_web"]) == [(80, [], [sg["euw1_alb"]]), (22, ANYWHERE, [])]
    assert ingress(EUW1, sg["euw1_orders_db"]) == [(5432, ANYWHERE, [])]
    assert ingress(EUC1, sg["euc1_alb"]) == [(443, ANYWHERE, []), (80, ANYWHERE, [])]
    assert ingress(EUC1, sg["euc1_web"]) == [(80, [], [sg["euc1_alb"]])]
    assert ingress(EUC1, sg["euc1_orders_db"]) == [(5432, [], [sg["euc1_web"]])]


def inline_policy(role_arn: str) -> dict[str, Any]:
    iam = setup_client("iam")
    role = role_arn.rsplit("/", 1)[1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    return document if isinstance(document, dict) else json.loads(document)


def check_web_servers(made: dict[str, str]) -> None:
    for short, subnet, public, tokens in (
        ("euw1", "public", True, "optional"),
        ("euc1", "private", False, "required"),
    ):
        ec2 = setup_client("ec2", REGION[short])
        instance = ec2.describe_instances(InstanceIds=[made[f"aws_instance.{short}_web"]])[
            "Reservations"
        ][0]["Instances"][0]
        assert instance["SubnetId"] == made[f"aws_subnet.{short}_{subnet}_a"]
        assert ("PublicIpAddress" in instance) is public
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [
            made[f"aws_security_group.{short}_web"]
        ]
        profile_arn = made[f"aws_iam_instance_profile.{short}_web"]
        assert instance["IamInstanceProfile"]["Arn"] == profile_arn
        assert instance["MetadataOptions"]["HttpTokens"] == tokens
        iam = setup_client("iam")
        profile = iam.get_instance_profile(InstanceProfileName=f"shop-{short}-web")
        roles = [r["Arn"] for r in profile["InstanceProfile"]["Roles"]]
        assert roles == [made[f"aws_iam_role.{short}_web"]]

    assert inline_policy(made["aws_iam_role.euw1_web"])["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    assert inline_policy(made["aws_iam_role.euc1_web"])["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::shop-assets-euc1/*",
        }
    ]


def check_load_balancers(made: dict[str, str]) -> None:
    euw1, euc1 = setup_client("elbv2", EUW1), setup_client("elbv2", EUC1)
    for elbv2, short in ((euw1, "euw1"), (euc1, "euc1")):
        (lb,) = elbv2.describe_load_balancers(LoadBalancerArns=[made[f"aws_lb.{short}"]])[
            "LoadBalancers"
        ]
        assert (lb["Scheme"], lb["Type"]) == ("internet-facing", "application")
        assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == sorted(
            [made[f"aws_subnet.{short}_public_a"], made[f"aws_subnet.{short}_public_b"]]
        )
        targets = elbv2.describe_target_health(
            TargetGroupArn=made[f"aws_lb_target_group.{short}_web"]
        )["TargetHealthDescriptions"]
        assert [(t["Target"]["Id"], t["Target"]["Port"]) for t in targets] == [
            (made[f"aws_instance.{short}_web"], 80)
        ]

    (http,) = euw1.describe_listeners(LoadBalancerArn=made["aws_lb.euw1"])["Listeners"]
    assert (http["Protocol"], http["Port"]) == ("HTTP", 80)
    assert http["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": made["aws_lb_target_group.euw1_web"]}
    ]
    attributes = euw1.describe_load_balancer_attributes(LoadBalancerArn=made["aws_lb.euw1"])
    assert {"Key": "access_logs.s3.enabled", "Value": "true"} not in attributes["Attributes"]

    listeners = {
        listener["Port"]: listener
        for listener in euc1.describe_listeners(LoadBalancerArn=made["aws_lb.euc1"])["Listeners"]
    }
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert (https["Protocol"], https["SslPolicy"]) == (
        "HTTPS",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
    )
    assert https["Certificates"] == [{"CertificateArn": made["local.certificate_arn_euc1"]}]
    assert https["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": made["aws_lb_target_group.euc1_web"]}
    ]
    assert listeners[80]["Protocol"] == "HTTP"
    assert listeners[80]["DefaultActions"] == [
        {
            "Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
        }
    ]
    attributes = euc1.describe_load_balancer_attributes(LoadBalancerArn=made["aws_lb.euc1"])
    settings = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
    assert settings["access_logs.s3.enabled"] == "true"
    assert settings["access_logs.s3.bucket"] == "shop-logs-euc1"


def check_databases(made: dict[str, str]) -> None:
    for short, identifier, tier, public, peer in (
        ("euw1", "orders-db", "public", True, None),
        ("euc1", "orders-db-euc1", "private", False, "euc1_web"),
    ):
        (db,) = setup_client("rds", REGION[short]).describe_db_instances(
            DBInstanceIdentifier=identifier
        )["DBInstances"]
        assert db["DBInstanceArn"] == made[f"aws_db_instance.{short}_orders"]
        assert (db["Engine"], db["Endpoint"]["Port"]) == ("postgres", 5432)
        assert db["PubliclyAccessible"] is public
        assert db["StorageEncrypted"] is not public
        assert sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]) == sorted(
            [made[f"aws_subnet.{short}_{tier}_a"], made[f"aws_subnet.{short}_{tier}_b"]]
        )
        group = made[f"aws_security_group.{short}_orders_db"]
        assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group]
        source = ([], [made[f"aws_security_group.{peer}"]]) if peer else (ANYWHERE, [])
        assert ingress(REGION[short], group) == [(5432, *source)]


def check_buckets() -> None:
    euw1, euc1 = setup_client("s3", EUW1), setup_client("s3", EUC1)
    assert euw1.get_bucket_location(Bucket="shop-assets-public-euw1")["LocationConstraint"] == EUW1
    public = json.loads(euw1.get_bucket_policy(Bucket="shop-assets-public-euw1")["Policy"])
    assert [(s["Principal"], s["Action"]) for s in public["Statement"]] == [("*", "s3:GetObject")]
    with pytest.raises(ClientError) as missing:
        euw1.get_public_access_block(Bucket="shop-assets-public-euw1")
    assert missing.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"

    for bucket in ("shop-assets-euc1", "shop-logs-euc1"):
        assert euc1.get_bucket_location(Bucket=bucket)["LocationConstraint"] == EUC1
        block = euc1.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
    private = json.loads(euc1.get_bucket_policy(Bucket="shop-assets-euc1")["Policy"])
    assert [s["Principal"] for s in private["Statement"]] == [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    ]


def check_apis(made: dict[str, str]) -> None:
    for short, authorization, method_settings in (
        ("euw1", "NONE", {}),
        ("euc1", "AWS_IAM", {"*/*": (100.0, 50)}),
    ):
        region = REGION[short]
        apigateway = setup_client("apigateway", region)
        api_id = made[f"aws_api_gateway_rest_api.{short}_orders"].rsplit("/", 1)[1]
        assert apigateway.get_rest_api(restApiId=api_id)["endpointConfiguration"]["types"] == [
            "REGIONAL"
        ]
        resources = apigateway.get_resources(restApiId=api_id)["items"]
        (orders,) = [r for r in resources if r["path"] == "/orders"]
        method = apigateway.get_method(restApiId=api_id, resourceId=orders["id"], httpMethod="GET")
        assert method["authorizationType"] == authorization
        integration = method["methodIntegration"]
        function = made[f"aws_lambda_function.{short}_orders_api"]
        assert (integration["type"], integration["uri"]) == (
            "AWS_PROXY",
            f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations",
        )
        stage = apigateway.get_stage(restApiId=api_id, stageName="prod")
        assert {
            path: (s["throttlingRateLimit"], s["throttlingBurstLimit"])
            for path, s in stage.get("methodSettings", {}).items()
        } == method_settings
        assert apigateway.get_usage_plans()["items"] == []
        lambda_ = setup_client("lambda", region)
        grant = json.loads(lambda_.get_policy(FunctionName=function)["Policy"])
        assert [s["Principal"] for s in grant["Statement"]] == [
            {"Service": "apigateway.amazonaws.com"}
        ]


def test_terraform_scan_reports_exactly_the_seeded_weaknesses() -> None:
    result = scan(FIXTURE)
    assert {(f.rule, f.resource) for f in result.findings} == TERRAFORM_FINDINGS
