"""The live compute module: Lambda, ECS and EKS read through moto, transformed to records.

The state is a small shop: an orders API function in a VPC behind a public function URL,
an image thumbnailer anyone may invoke, an ECS web service on Fargate behind a load
balancer and a privileged monitoring agent, a hardened EKS cluster and a development one
with an SSH-open Windows node group.

Record the fixture (tests never write files):
    python -m tests.collectors.aws_live.test_compute
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services import compute as c
from collectors.aws.services.datastores_regional import DynamoTable, SqsQueue
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import compute
from rules.engine import evaluate
from rules.registry import builtin_rules
from scanner import passes
from scanner.graph import DFDGraph
from scanner.merge import merge
from scanner.model import INTERNET_ID, Evidence, Fragment

from .moto_env import ACCOUNT, MotoServer, record, recorded, recording, scan_api, setup_client

REGION = "eu-west-1"
WHERE = Where(ACCOUNT, REGION)
PREFIX = f"aws:{ACCOUNT}//"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
EKS = f"arn:aws:eks:{REGION}:{ACCOUNT}"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
SECRET_VALUE = "s3cr3t-token-value"  # an env value: configuration, never in a message

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


# --- the account ------------------------------------------------------------------------


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def build_state() -> dict[str, str]:
    """Create the region's compute; returns the ids and ARNs made, by name."""
    ec2, iam = setup_client("ec2"), setup_client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    made = {"vpc": vpc}
    for name, cidr, az in (("public", "10.30.1.0/24", "a"), ("private", "10.30.2.0/24", "b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")
        made[name] = subnet["Subnet"]["SubnetId"]
    for name in ("web", "app", "admin"):
        made[f"sg-{name}"] = ec2.create_security_group(
            VpcId=vpc, GroupName=name, Description=f"{name} tier"
        )["GroupId"]
    made["lt"] = ec2.create_launch_template(
        LaunchTemplateName="eks-general", LaunchTemplateData={"InstanceType": "t3.large"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    for role in ("orders-api", "thumbnailer", "web-task", "eks-cluster", "eks-node"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    made["tg"] = setup_client("elbv2").create_target_group(
        Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    _functions(made)
    _ecs(made)
    _eks(made)
    return made


def _functions(made: dict[str, str]) -> None:
    lam = setup_client("lambda")
    common: dict[str, Any] = {"Runtime": "python3.12", "Handler": "handler.handler"}
    lam.create_function(
        FunctionName="orders-api",
        Role=f"{ROLE}/orders-api",
        Code={"ZipFile": _zip()},
        VpcConfig={"SubnetIds": [made["private"]], "SecurityGroupIds": [made["sg-app"]]},
        Environment={
            "Variables": {"TABLE_NAME": "orders", "QUEUE_URL": QUEUE_URL, "API_TOKEN": SECRET_VALUE}
        },
        **common,
    )
    lam.create_function_url_config(FunctionName="orders-api", AuthType="NONE")
    lam.add_permission(
        FunctionName="orders-api",
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.create_function(
        FunctionName="thumbnailer", Role=f"{ROLE}/thumbnailer", Code={"ZipFile": _zip()}, **common
    )
    lam.add_permission(
        FunctionName="thumbnailer",
        StatementId="s3-uploads",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::shop-uploads",
        SourceAccount=ACCOUNT,
    )
    lam.add_permission(
        FunctionName="thumbnailer",
        StatementId="anyone",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    lam.create_function(
        FunctionName="nightly-report", Role=f"{ROLE}/orders-api", Code={"ZipFile": _zip()}, **common
    )


def _ecs(made: dict[str, str]) -> None:
    ecs = setup_client("ecs")
    ecs.create_cluster(clusterName="shop")
    ecs.register_task_definition(
        family="web",
        taskRoleArn=f"{ROLE}/web-task",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": "shop/web:1.4",
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [
                    {"name": "QUEUE_URL", "value": QUEUE_URL},
                    {"name": "TABLE_ARN", "value": TABLE_ARN},
                    {"name": "LOG_LEVEL", "value": "info"},
                ],
            }
        ],
    )
    ecs.register_task_definition(
        family="node-agent",
        networkMode="bridge",
        containerDefinitions=[
            {
                "name": "agent",
                "image": "prom/node-exporter",
                "memory": 128,
                "privileged": True,
                "portMappings": [{"containerPort": 9100, "hostPort": 9100}],
            }
        ],
    )
    ecs.create_service(
        cluster="shop",
        serviceName="web",
        taskDefinition="web",
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [made["public"]],
                "securityGroups": [made["sg-web"]],
                "assignPublicIp": "ENABLED",
            }
        },
        loadBalancers=[
            {"targetGroupArn": made["tg"], "containerName": "app", "containerPort": 8080}
        ],
    )
    ecs.create_service(
        cluster="shop",
        serviceName="node-agent",
        taskDefinition="node-agent",
        desiredCount=1,
        launchType="EC2",
    )


def _eks(made: dict[str, str]) -> None:
    eks = setup_client("eks")
    eks.create_cluster(
        name="prod",
        roleArn=f"{ROLE}/eks-cluster",
        resourcesVpcConfig={
            "subnetIds": [made["private"], made["public"]],
            "securityGroupIds": [made["sg-app"]],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
        encryptionConfig=[
            {
                "resources": ["secrets"],
                "provider": {"keyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1"},
            }
        ],
        logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]},
    )
    eks.create_cluster(
        name="dev",
        roleArn=f"{ROLE}/eks-cluster",
        resourcesVpcConfig={
            "subnetIds": [made["private"]],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": False,
            "publicAccessCidrs": ["203.0.113.0/24"],
        },
        logging={
            "clusterLogging": [
                {"types": ["api"], "enabled": True},
                {"types": ["audit", "authenticator"], "enabled": False},
            ]
        },
    )
    node = {"nodeRole": f"{ROLE}/eks-node", "subnets": [made["private"]]}
    eks.create_nodegroup(
        clusterName="prod",
        nodegroupName="general",
        launchTemplate={"id": made["lt"], "version": "1"},
        scalingConfig={"minSize": 2, "maxSize": 6, "desiredSize": 3},
        **node,
    )
    eks.create_nodegroup(
        clusterName="dev",
        nodegroupName="windows",
        amiType="WINDOWS_CORE_2019_x86_64",
        remoteAccess={"ec2SshKey": "dev-key"},
        scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1},
        **node,
    )
    eks.create_nodegroup(
        clusterName="dev",
        nodegroupName="linux",
        remoteAccess={"ec2SshKey": "dev-key", "sourceSecurityGroups": [made["sg-admin"]]},
        scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1},
        **node,
    )


def read_state(ledger: Ledger | None = None) -> dict[str, Any]:
    """The module's read through the scanner's guarded clients (counting their calls)."""
    apis = {svc: scan_api(svc, REGION, ledger) for svc in compute.CLIENTS}
    for api in apis.values():
        api.client.meta.events.register("before-call", api.ledger.count)
    return compute.read(apis)


# --- 1. reading the account through moto ------------------------------------------------


def test_read_gives_the_raw_responses(aws: MotoServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="collectors")
    made = build_state()
    ledger = Ledger()
    raw = read_state(ledger)
    fns = raw["lambda"]
    assert [f["FunctionName"] for f in fns["Functions"]] == [
        "orders-api",
        "thumbnailer",
        "nightly-report",
    ]
    orders = fns["Functions"][0]
    assert orders["VpcConfig"]["SubnetIds"] == [made["private"]]
    assert orders["Environment"]["Variables"]["TABLE_NAME"] == "orders"
    assert orders["Role"] == f"{ROLE}/orders-api"
    # moto has no ListFunctionUrlConfigs: unknown (None), and a diagnostic per function.
    assert fns["FunctionUrlConfigs"] == {
        f"{FN}:{n}": None for n in ("orders-api", "thumbnailer", "nightly-report")
    }
    assert fns["Policies"][f"{FN}:nightly-report"] == {}  # no resource policy: a fact
    thumb = json.loads(fns["Policies"][f"{FN}:thumbnailer"]["Policy"])
    assert [(s["Sid"], s["Principal"]) for s in thumb["Statement"]] == [
        ("s3-uploads", {"Service": "s3.amazonaws.com"}),
        ("anyone", "*"),
    ]
    ecs = raw["ecs"]
    assert ecs["clusterArns"] == [f"{ECS}:cluster/shop"]
    services = {s["serviceName"]: s for s in ecs["services"][f"{ECS}:cluster/shop"]}
    assert services["web"]["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": [made["public"]],
        "securityGroups": [made["sg-web"]],
        "assignPublicIp": "ENABLED",
    }
    assert services["web"]["loadBalancers"] == [
        {"targetGroupArn": made["tg"], "containerName": "app", "containerPort": 8080}
    ]
    assert sorted(ecs["taskDefinitions"]) == [
        f"{ECS}:task-definition/node-agent:1",
        f"{ECS}:task-definition/web:1",
    ]
    agent = ecs["taskDefinitions"][f"{ECS}:task-definition/node-agent:1"]
    assert agent["containerDefinitions"][0]["privileged"] is True
    eks = raw["eks"]
    assert sorted(eks["clusterNames"]) == ["dev", "prod"]
    assert eks["clusters"]["prod"]["encryptionConfig"][0]["resources"] == ["secrets"]
    assert eks["clusters"]["dev"]["resourcesVpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert {c: sorted(g) for c, g in eks["nodegroups"].items()} == {
        "dev": ["linux", "windows"],
        "prod": ["general"],
    }
    assert eks["nodegroups"]["dev"]["windows"]["remoteAccess"] == {"ec2SshKey": "dev-key"}
    assert eks["nodegroups"]["prod"]["general"]["launchTemplate"]["id"] == made["lt"]
    # Only reads, and never lambda:GetFunction (its response links to the code).
    assert set(ledger.calls) == {
        "lambda:ListFunctions",
        "lambda:ListFunctionUrlConfigs",
        "lambda:GetPolicy",
        "ecs:ListClusters",
        "ecs:DescribeClusters",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "eks:ListClusters",
        "eks:DescribeCluster",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
    }
    assert [(op, reason[:10]) for _, _, op, reason in ledger.failures] == [
        ("ListFunctionUrlConfigs", "failed (40")
    ] * 3
    # Env values are configuration: never in tmscan's log lines or diagnostics (botocore's
    # own DEBUG log of response bodies is the user's choice to turn on).
    ours = [x.getMessage() for x in caplog.records if x.name.startswith("collectors")]
    assert ours and all(SECRET_VALUE not in line for line in ours)
    assert all(SECRET_VALUE not in d.message for d in ledger.diagnostics())


# --- 2. the transform, on the recorded responses ------------------------------------------

PUBLIC, PRIVATE = "subnet-b4633185712cddb93", "subnet-ac99373ae15878f38"
SG_WEB, SG_APP, SG_ADMIN = "sg-c7856593cbfad1cd1", "sg-84fe6f07a71720c11", "sg-e53215e1168bf5f10"
LT = "lt-72fd5df6fba1040a2"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/7b0407666a0f1ecf"
URL = "https://55a3f8568a904f1ba4fbdebdee09fa98.lambda-url.eu-west-1.on.aws/"
NODEGROUP = f"{EKS}:nodegroup"
GENERAL = f"{NODEGROUP}/prod/general/949a8f59-9b8d-44f4-ab90-792509acedd3"
WINDOWS = f"{NODEGROUP}/dev/windows/62be0d62-1cd9-4133-b8e4-5b6c1df4f09d"
LINUX = f"{NODEGROUP}/dev/linux/98f09767-b2b5-4131-bf1c-a40ff4ad8e97"
WEB_TD, AGENT_TD = f"{ECS}:task-definition/web:1", f"{ECS}:task-definition/node-agent:1"


def ev(arn: str, detail: str | None = None) -> Evidence:
    return WHERE.evidence(arn, detail=detail)


@pytest.fixture(scope="module")
def records() -> dict[str, r.Record]:
    out = compute.transform(recorded("compute"), WHERE)
    by_ref = {x.ref: x for x in out}
    assert len(by_ref) == len(out)  # refs are unique
    return by_ref


def test_functions(records: dict[str, r.Record]) -> None:
    assert records[f"{FN}:orders-api"] == r.LambdaFunction(
        f"{FN}:orders-api",
        f"{FN}:orders-api",
        ev(f"{FN}:orders-api"),
        key="lambda:function:orders-api",
        name="orders-api",
        subnets=(PRIVATE,),
        security_groups=(SG_APP,),
        in_vpc=True,
        # The queue URL names the queue by its ARN (its record's ref); the table is
        # named by a literal the mapping matches by name.
        env_refs=(("QUEUE_URL", QUEUE_ARN),),
        env_values=(
            ("API_TOKEN", SECRET_VALUE),
            ("QUEUE_URL", QUEUE_URL),
            ("TABLE_NAME", "orders"),
        ),
        role=f"{ROLE}/orders-api",
    )
    assert records[f"{FN}:thumbnailer"] == r.LambdaFunction(
        f"{FN}:thumbnailer",
        f"{FN}:thumbnailer",
        ev(f"{FN}:thumbnailer"),
        key="lambda:function:thumbnailer",
        name="thumbnailer",
        in_vpc=False,
        role=f"{ROLE}/thumbnailer",
    )


def test_function_urls_and_permissions(records: dict[str, r.Record]) -> None:
    assert records[URL] == c.FunctionUrl(
        URL,
        URL,
        ev(f"{FN}:orders-api", f"function URL {URL}"),
        key="lambda:function-url:orders-api",
        function=f"{FN}:orders-api",
        auth_type="NONE",
    )
    perms = {x.ref: x for x in records.values() if isinstance(x, c.LambdaPermission)}
    public_url = f"{FN}:orders-api#policy/FunctionURLAllowPublicAccess"
    assert perms[public_url] == c.LambdaPermission(
        public_url,
        public_url,
        ev(f"{FN}:orders-api", "resource policy statement FunctionURLAllowPublicAccess"),
        function=f"{FN}:orders-api",
        action="lambda:InvokeFunctionUrl",
        principal="*",
        url_auth_type="NONE",
        scoped=False,
    )
    got = {ref: (p.principal, p.action, p.url_auth_type, p.scoped) for ref, p in perms.items()}
    assert got == {
        public_url: ("*", "lambda:InvokeFunctionUrl", "NONE", False),
        # SourceArn and SourceAccount narrow the S3 grant; the other is open to anyone.
        f"{FN}:thumbnailer#policy/s3-uploads": (
            "s3.amazonaws.com",
            "lambda:InvokeFunction",
            None,
            True,
        ),
        f"{FN}:thumbnailer#policy/anyone": ("*", "lambda:InvokeFunction", None, False),
    }


def test_ecs(records: dict[str, r.Record]) -> None:
    shop = f"{ECS}:cluster/shop"
    assert records[shop] == c.EcsCluster(shop, shop, ev(shop), key="ecs:cluster:shop", name="shop")
    web = f"{ECS}:service/shop/web"
    assert records[web] == c.EcsService(
        web,
        web,
        ev(web),
        name="web",
        cluster=shop,
        task_definition=WEB_TD,
        launch_type="FARGATE",
        subnets=(PUBLIC,),
        security_groups=(SG_WEB,),
        public_ip=True,
        targets=(c.EcsTarget(TG, 8080, ev(web, "load balancer app")),),
        desired=2,
    )
    agent = records[f"{ECS}:service/shop/node-agent"]
    assert isinstance(agent, c.EcsService)
    assert (agent.launch_type, agent.subnets, agent.public_ip, agent.targets, agent.desired) == (
        "EC2",
        (),
        None,  # bridge networking: no awsvpc configuration, no public IP setting
        (),
        1,
    )
    assert records[WEB_TD] == c.EcsTaskDefinition(
        WEB_TD,
        WEB_TD,
        ev(WEB_TD),
        key="ecs:task-definition:web",
        family="web",
        containers=(
            c.Container(
                "app",
                (("tcp", 8080),),
                (("QUEUE_URL", QUEUE_ARN), ("TABLE_ARN", TABLE_ARN)),
                False,
            ),
        ),
        task_role=f"{ROLE}/web-task",
    )
    assert records[AGENT_TD] == c.EcsTaskDefinition(
        AGENT_TD,
        AGENT_TD,
        ev(AGENT_TD),
        key="ecs:task-definition:node-agent",
        family="node-agent",
        containers=(c.Container("agent", (("tcp", 9100),), (), True),),
    )


def test_eks_clusters(records: dict[str, r.Record]) -> None:
    prod = f"{EKS}:cluster/prod"
    assert records[prod] == c.EksCluster(
        prod,
        prod,
        ev(prod),
        key="eks:cluster:prod",
        name="prod",
        subnets=(PRIVATE, PUBLIC),
        security_groups=(SG_APP, CLUSTER_SG),
        public_endpoint=True,
        private_endpoint=True,
        public_cidrs=("0.0.0.0/0",),
        secrets_kms_key=True,
        audit_logging=True,
        endpoint_evidence=ev(prod, "resourcesVpcConfig endpoint access"),
    )
    dev = records[f"{EKS}:cluster/dev"]
    assert isinstance(dev, c.EksCluster)
    assert (
        dev.security_groups,
        dev.public_endpoint,
        dev.private_endpoint,
        dev.public_cidrs,
        dev.secrets_kms_key,  # no encryptionConfig: secrets are not envelope-encrypted
        dev.audit_logging,  # the audit log type is listed, but disabled
    ) == ((CLUSTER_SG,), True, False, ("203.0.113.0/24",), False, False)


def test_eks_node_groups(records: dict[str, r.Record]) -> None:
    assert records[GENERAL] == c.EksNodeGroup(
        GENERAL,
        GENERAL,
        ev(GENERAL),
        name="general",
        cluster=f"{EKS}:cluster/prod",
        subnets=(PRIVATE,),
        launch_template=LT,
        remote_port=22,
        remote_world=False,
        min_size=2,
        max_size=6,
        desired=3,
        role=f"{ROLE}/eks-node",
    )
    windows, linux = records[WINDOWS], records[LINUX]
    assert isinstance(windows, c.EksNodeGroup) and isinstance(linux, c.EksNodeGroup)
    # An SSH key and no source security group: EKS opens RDP (Windows AMI) to the world.
    assert (windows.remote_port, windows.remote_world, windows.remote_evidence) == (
        3389,
        True,
        ev(WINDOWS, "remoteAccess"),
    )
    assert (linux.remote_port, linux.remote_world, linux.cluster) == (
        22,
        False,
        f"{EKS}:cluster/dev",
    )


def test_failed_calls_give_unknown_facts() -> None:
    raw = recorded("compute")
    raw["lambda"]["Policies"][f"{FN}:thumbnailer"] = None
    raw["lambda"]["FunctionUrlConfigs"][f"{FN}:orders-api"] = None
    raw["ecs"]["taskDefinitions"][WEB_TD] = None
    raw["ecs"]["services"][f"{ECS}:cluster/shop"] = None
    raw["eks"]["clusters"]["prod"] = None
    raw["eks"]["nodegroups"]["dev"]["windows"] = None
    raw["eks"]["nodegroups"]["prod"] = None
    by_ref = {x.ref: x for x in compute.transform(raw, WHERE)}
    assert not any(isinstance(x, c.FunctionUrl | c.EcsService) for x in by_ref.values())
    assert [x.ref for x in by_ref.values() if isinstance(x, c.LambdaPermission)] == [
        f"{FN}:orders-api#policy/FunctionURLAllowPublicAccess"
    ]
    assert by_ref[WEB_TD] == c.EcsTaskDefinition(
        WEB_TD, WEB_TD, ev(WEB_TD), key="ecs:task-definition:web", family="web", containers=None
    )
    prod = f"{EKS}:cluster/prod"
    assert by_ref[prod] == c.EksCluster(prod, prod, ev(prod), key="eks:cluster:prod", name="prod")
    windows = f"{NODEGROUP}/dev/windows"  # no ARN without its description: the documented prefix
    assert by_ref[windows] == c.EksNodeGroup(
        windows,
        windows,
        ev(windows),
        name="windows",
        cluster=f"{EKS}:cluster/dev",
        remote_world=None,
    )
    assert GENERAL not in by_ref


def test_policy_grants_and_capacity_providers() -> None:
    """Shapes the recorded state does not have: AWS's grant pair for a public function
    URL (2025), an account principal with two actions, and a service that names only
    Fargate capacity providers (DescribeServices then gives no launchType)."""
    fn = f"{FN}:orders-api"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FunctionURLInvokeAllowPublicAccess",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Resource": fn,
                "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                "Resource": fn,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            },
            {"Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": fn},
        ],
    }
    svc = {
        "serviceArn": f"{ECS}:service/shop/spot",
        "taskDefinition": WEB_TD,
        "capacityProviderStrategy": [
            {"capacityProvider": "FARGATE_SPOT", "weight": 3},
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        ],
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": [PRIVATE]}},
    }
    raw = {
        "lambda": {
            "Functions": [{"FunctionArn": fn, "FunctionName": "orders-api"}],
            "Policies": {fn: {"Policy": json.dumps(policy)}},
        },
        "ecs": {"services": {f"{ECS}:cluster/shop": [svc]}},
    }
    out = compute.transform(raw, WHERE)
    grants = [
        (p.ref.split("#", 1)[1], p.principal, p.action, p.scoped)
        for p in out
        if isinstance(p, c.LambdaPermission)
    ]
    assert grants == [
        ("policy/FunctionURLInvokeAllowPublicAccess", "*", "lambda:InvokeFunction", True),
        ("policy/1/0", "arn:aws:iam::111122223333:root", "lambda:InvokeFunction", True),
        ("policy/1/1", "arn:aws:iam::111122223333:root", "lambda:GetFunctionConfiguration", True),
    ]
    (spot,) = [x for x in out if isinstance(x, c.EcsService)]
    # No assignPublicIp in an awsvpc configuration: AWS's answer was not read.
    assert (spot.launch_type, spot.cluster, spot.subnets, spot.public_ip) == (
        "FARGATE",
        f"{ECS}:cluster/shop",
        (PRIVATE,),
        None,
    )


def test_transform_is_total_on_malformed_responses() -> None:
    raw: dict[str, Any] = {
        "lambda": {
            "Functions": [1, {"FunctionArn": 3}, {"FunctionArn": f"{FN}:x", "VpcConfig": []}],
            "Policies": {f"{FN}:x": {"Policy": "{not json"}},
            "FunctionUrlConfigs": {f"{FN}:x": [None, {"AuthType": 5}]},
        },
        "ecs": {
            "clusterArns": "shop",
            "services": {
                "c": [{"serviceArn": "s", "loadBalancers": [None, {"containerPort": "80"}]}]
            },
            "taskDefinitions": {
                "t": {"containerDefinitions": [{"portMappings": [{"containerPort": True}]}]}
            },
        },
        "eks": {
            "clusterNames": ["a", 7],
            "clusters": {"a": {"resourcesVpcConfig": [], "logging": "x", "encryptionConfig": {}}},
            "nodegroups": {"a": {"n": {"remoteAccess": "yes", "scalingConfig": None}}, "b": 4},
        },
    }
    out = compute.transform(raw, WHERE)
    cluster = next(x for x in out if isinstance(x, c.EksCluster))
    assert (cluster.public_endpoint, cluster.secrets_kms_key, cluster.audit_logging) == (
        None,
        None,
        None,
    )
    assert compute.transform({}, WHERE) == []
    assert compute.transform({"lambda": None, "ecs": [], "eks": "x"}, WHERE) == []


# --- 3. through the shared mapping ---------------------------------------------------------

LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188"
LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"


def _eid(ref: str) -> str:
    return f"{PREFIX}{ref}"


@pytest.fixture(scope="module")
def fragment(records: dict[str, r.Record]) -> Fragment:
    """The compute records with the load balancer and datastores other modules read."""
    functions = tuple(x for x in records.values() if isinstance(x, r.LambdaFunction))
    extra = tuple(x for x in records.values() if not isinstance(x, r.LambdaFunction))
    inv = r.Inventory(
        functions=functions,
        load_balancers=(r.LoadBalancer(LB, LB, ev(LB), name="shop", internal=False),),
        listeners=(
            r.Listener(
                LISTENER,
                LISTENER,
                ev(LISTENER),
                load_balancer=LB,
                port=443,
                protocol="HTTPS",
                actions=(r.Action("forward", (TG,)),),
            ),
        ),
        target_groups=(
            r.TargetGroup(TG, TG, ev(TG), port=8080, protocol="HTTP", target_type="ip"),
        ),
        extra=(
            *extra,
            DynamoTable(
                TABLE_ARN, TABLE_ARN, ev(TABLE_ARN), key="dynamodb:table:orders", name="orders"
            ),
            SqsQueue(QUEUE_ARN, QUEUE_ARN, ev(QUEUE_ARN), key="sqs:queue:jobs", name="jobs"),
        ),
    )
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def test_mapping_flows(fragment: Fragment) -> None:
    orders, thumb = _eid(f"{FN}:orders-api"), _eid(f"{FN}:thumbnailer")
    web = _eid(f"{ECS}:service/shop/web")
    table, queue = _eid(TABLE_ARN), _eid(QUEUE_ARN)
    prod, dev = _eid(f"{EKS}:cluster/prod"), _eid(f"{EKS}:cluster/dev")
    got = {(f.source, f.target, f.protocol, f.port, f.basis, f.authn) for f in fragment.flows}
    assert got == {
        # The function URL with auth type NONE, and the grant to "*" to invoke it.
        (INTERNET_ID, orders, "https", 443, "called", "none"),
        # Anyone may invoke the thumbnailer (still a signed request, from any account).
        (INTERNET_ID, thumb, "https", 443, "reachable", "aws-iam"),
        # Env: the table by its name, the queue by its URL (its ARN).
        (orders, table, "https", 443, "called", None),
        (orders, queue, "https", 443, "called", None),
        (web, table, "https", 443, "called", None),
        (web, queue, "https", 443, "called", None),
        # The load balancer forwards to the ECS service's target group.
        (_eid(LB), web, "http", 8080, "called", None),
        # The prod API endpoint is public to 0.0.0.0/0; dev's is limited to one range.
        (INTERNET_ID, prod, "https", 443, "called", "kubernetes"),
        # Kubelets of each node group call their cluster's API.
        (_eid(GENERAL), prod, "https", 443, "called", "aws-iam"),
        (_eid(WINDOWS), dev, "https", 443, "called", "aws-iam"),
        (_eid(LINUX), dev, "https", 443, "called", "aws-iam"),
    }


def test_mapping_elements(fragment: Fragment) -> None:
    els = {e.id: e for e in fragment.elements}
    orders = els[_eid(f"{FN}:orders-api")]
    assert (orders.type, orders.key, orders.fact("internet_facing"), orders.fact("authn")) == (
        "function",
        "lambda:function:orders-api",
        True,
        "none",
    )
    web = els[_eid(f"{ECS}:service/shop/web")]
    assert (web.type, web.key, dict(web.props)) == (
        "container",
        "ecs:service:shop/web",
        {
            "cluster": "shop",
            "launch_type": "FARGATE",
            "public_ip": True,
            "ports": "8080",
            "instances_desired": 2,
        },
    )
    agent = els[_eid(f"{ECS}:service/shop/node-agent")]
    assert [(p.name, p.resource, p.fact("privileged")) for p in agent.parts] == [
        ("agent", AGENT_TD, True)
    ]
    prod = els[_eid(f"{EKS}:cluster/prod")]
    assert dict(prod.props) == {
        "endpoint_public_access": True,
        "endpoint_private_access": True,
        "public_access_cidrs": "0.0.0.0/0",
        "secrets_kms_key": True,
        "audit_logging": True,
    }
    windows = els[_eid(WINDOWS)]
    assert (windows.type, windows.key, windows.fact("remote_access_open")) == (
        "vm",
        "eks:nodegroup:dev/windows",
        True,
    )
    assert els[_eid(GENERAL)].evidence[0] == ev(GENERAL)


def findings(fragment: Fragment) -> set[tuple[str, str]]:
    """(rule, resource) of the built-in rules' findings on one scope's fragment."""
    model = passes.boundaries(merge([fragment]))
    graph = DFDGraph(model.elements, model.flows, model.boundaries)
    return {(f.rule, f.resource) for f in evaluate(graph, builtin_rules()).findings}


def test_mapping_findings(fragment: Fragment) -> None:
    assert findings(fragment) == {
        # The function URL lets anyone call a function that reaches the table and queue.
        ("TM-AUTH-001", URL),
        ("TM-PRIV-002", AGENT_TD),
        ("TM-LOG-004", f"{EKS}:cluster/dev"),  # audit log type disabled
        ("TM-NET-002", f"{EKS}:cluster/prod"),  # API endpoint open to 0.0.0.0/0
    }


# --- what moto lacks or mis-shapes, corrected to real AWS's shapes -----------------------

CLUSTER_SG = "sg-0c1a55e6f2b7d4e01"  # the cluster security group EKS creates (moto: none)


def as_real_aws(raw: dict[str, Any]) -> dict[str, Any]:
    """The recorded responses as real AWS gives them, where moto 5 differs:

    - lambda ListFunctionUrlConfigs is not implemented (HTTP 404, so the read gives None):
      the configs are the function URLs moto created, in the boto3 shape
      (FunctionUrl, FunctionArn, AuthType, Cors, InvokeMode, times);
      with AWS's trailing "/" on the URL and InvokeMode in upper case;
    - lambda GetPolicy puts FunctionUrlAuthType at the top of the statement; AWS states
      it as Condition {"StringEquals": {"lambda:FunctionUrlAuthType": ...}};
    - lambda ListFunctions gives VpcConfig.VpcId "vpc-123abc" whatever the subnets; AWS
      gives the subnets' VPC;
    - ecs DescribeServices gives bridge-mode services "networkConfiguration": {}; AWS
      omits it;
    - eks DescribeCluster has no resourcesVpcConfig.clusterSecurityGroupId and vpcId,
      which AWS always returns, and gives "encryptionConfig": [] where AWS omits it; its
      certificateAuthority data is dropped (noise);
    - eks CreateNodegroup without remoteAccess still gives the node group remote access
      with an "eksKeypair" key (and a remote access security group); AWS gives none.
    """
    lam = setup_client("lambda")
    fns = raw["lambda"]
    for arn in fns["FunctionUrlConfigs"]:
        try:
            cfg = lam.get_function_url_config(FunctionName=arn)
        except lam.exceptions.ResourceNotFoundException:
            fns["FunctionUrlConfigs"][arn] = []
            continue
        keep = ("FunctionUrl", "FunctionArn", "AuthType", "Cors")
        url = {k: cfg[k] for k in keep if k in cfg}
        url["FunctionUrl"] = url["FunctionUrl"].rstrip("/") + "/"
        url["InvokeMode"] = "BUFFERED"
        url |= {
            "CreationTime": "2024-05-02T09:14:07.000Z",
            "LastModifiedTime": "2024-05-02T09:14:07.000Z",
        }
        fns["FunctionUrlConfigs"][arn] = [url]
    for policy in fns["Policies"].values():
        if not policy:
            continue
        doc = json.loads(policy["Policy"])
        for st in doc["Statement"]:
            if (auth := st.pop("FunctionUrlAuthType", None)) is not None:
                st["Condition"] = {"StringEquals": {"lambda:FunctionUrlAuthType": auth}}
        policy["Policy"] = json.dumps(doc, separators=(",", ":"))
    vpcs = setup_client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.30.0.0/16"]}])
    vpc = vpcs["Vpcs"][0]["VpcId"]
    for fn in fns["Functions"]:
        if "VpcConfig" in fn:
            fn["VpcConfig"]["VpcId"] = vpc
    for svc in raw["ecs"]["services"][f"{ECS}:cluster/shop"]:
        if not svc.get("networkConfiguration"):
            svc.pop("networkConfiguration", None)
    for cluster in raw["eks"]["clusters"].values():
        cluster.pop("certificateAuthority", None)
        if not cluster.get("encryptionConfig"):
            cluster.pop("encryptionConfig", None)
        cluster["resourcesVpcConfig"]["clusterSecurityGroupId"] = CLUSTER_SG
        cluster["resourcesVpcConfig"]["vpcId"] = vpc
    general = raw["eks"]["nodegroups"]["prod"]["general"]
    general.pop("remoteAccess")
    general["resources"].pop("remoteAccessSecurityGroup")
    return raw


if __name__ == "__main__":
    with recording(REGION):
        build_state()
        record("compute", as_real_aws(read_state()))
