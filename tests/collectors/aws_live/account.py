"""The shop's AWS account (fixtures/aws-live), built through the AWS API.

Same resources, names, tags, ports and CIDRs as the Terraform in fixtures/aws-live:
eu-west-1 is the old hand-built deployment (public database, public bucket, plain HTTP,
an unthrottled anonymous API, an admin role on a public web server); eu-central-1 is
the rebuild done right. `build_account()` returns what it created, keyed by the
Terraform address of the same resource, so a live scan can be lined up with the
Terraform scan.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from .moto_env import ACCOUNT, setup_client

EUW1 = "eu-west-1"
EUC1 = "eu-central-1"

# Amazon Linux 2023 (kernel 6.12, x86_64) in each region.
AMI = {EUW1: "ami-04dabd4f2cf1c43fb", EUC1: "ami-0556660e1412c8aef"}
DB_PASSWORD = "not-a-real-password-1"  # moto only; CI injects the real one
ELB_LOG_ACCOUNT_EUC1 = "054676820928"  # writes ALB access logs in eu-central-1
ANYWHERE = "0.0.0.0/0"

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def build_account() -> dict[str, str]:
    """Create the whole account; returns {Terraform address: id or ARN}."""
    made: dict[str, str] = {}
    made |= build_storage()
    made |= build_network(EUW1, "euw1", "10.10")
    made |= build_network(EUC1, "euc1", "10.20")
    made |= build_flow_log(made)
    made |= build_security_groups(made)
    made |= build_web_servers(made)
    made |= build_load_balancers(made)
    made |= build_databases(made)
    made |= build_apis()
    return made


# --- helpers ---------------------------------------------------------------------------


def tags(name: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}]


def ec2_tags(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tags(name)}]


def from_anywhere(port: int, description: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": ANYWHERE, "Description": description}],
    }


def from_group(port: int, group_id: str, description: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "UserIdGroupPairs": [{"GroupId": group_id, "Description": description}],
    }


def security_group(
    region: str, vpc_id: str, name: str, description: str, ingress: list[dict[str, Any]]
) -> str:
    """A group with the given ingress and AWS's default egress (all traffic out)."""
    ec2 = setup_client("ec2", region)
    group_id: str = ec2.create_security_group(
        GroupName=name,
        Description=description,
        VpcId=vpc_id,
        TagSpecifications=ec2_tags("security-group", name),
    )["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
    return group_id


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


# --- S3 --------------------------------------------------------------------------------


def build_storage() -> dict[str, str]:
    """The public assets bucket (Ireland, from before S3 blocked public access by
    default, so it has no public access block), the private one and the log archive
    (Frankfurt)."""
    euw1, euc1 = setup_client("s3", EUW1), setup_client("s3", EUC1)
    for s3, region, bucket in (
        (euw1, EUW1, "shop-assets-public-euw1"),
        (euc1, EUC1, "shop-assets-euc1"),
        (euc1, EUC1, "shop-logs-euc1"),
    ):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(bucket)})
    euw1.put_bucket_policy(
        Bucket="shop-assets-public-euw1",
        Policy=policy(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shop-assets-public-euw1/*",
            }
        ),
    )
    block_all = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    for bucket in ("shop-assets-euc1", "shop-logs-euc1"):
        euc1.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block_all)
    euc1.put_bucket_policy(
        Bucket="shop-assets-euc1",
        Policy=policy(
            {
                "Sid": "AccountRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shop-assets-euc1/*",
            }
        ),
    )
    euc1.put_bucket_policy(Bucket="shop-logs-euc1", Policy=log_bucket_policy())
    return {
        "aws_s3_bucket.euw1_assets": "arn:aws:s3:::shop-assets-public-euw1",
        "aws_s3_bucket.euc1_assets": "arn:aws:s3:::shop-assets-euc1",
        "aws_s3_bucket.euc1_logs": "arn:aws:s3:::shop-logs-euc1",
    }


def log_bucket_policy() -> str:
    """ALB access logs (written by the ELB account) and VPC flow logs (log delivery)."""
    bucket = "arn:aws:s3:::shop-logs-euc1"
    return policy(
        {
            "Sid": "AlbAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNT_EUC1}:root"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/alb/AWSLogs/{ACCOUNT}/*",
        },
        {
            "Sid": "FlowLogsWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/AWSLogs/{ACCOUNT}/*",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": ACCOUNT,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
        },
        {
            "Sid": "FlowLogsAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket,
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    )


# --- network ---------------------------------------------------------------------------


def build_network(region: str, short: str, net: str) -> dict[str, str]:
    """VPC {net}.0.0/16: public subnets .0/.1 routed to an internet gateway, private
    subnets .10/.11 with their own route table and no route out, in AZs a and b."""
    ec2 = setup_client("ec2", region)
    prefix = f"shop-{short}"
    vpc = ec2.create_vpc(CidrBlock=f"{net}.0.0/16", TagSpecifications=ec2_tags("vpc", prefix))[
        "Vpc"
    ]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway(
        TagSpecifications=ec2_tags("internet-gateway", f"{prefix}-igw")
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    made = {f"aws_vpc.{short}": vpc, f"aws_internet_gateway.{short}": igw}

    tables = {}
    for tier in ("public", "private"):
        tables[tier] = ec2.create_route_table(
            VpcId=vpc, TagSpecifications=ec2_tags("route-table", f"{prefix}-{tier}")
        )["RouteTable"]["RouteTableId"]
        made[f"aws_route_table.{short}_{tier}"] = tables[tier]
    ec2.create_route(RouteTableId=tables["public"], DestinationCidrBlock=ANYWHERE, GatewayId=igw)

    subnets = (("public", "a", 0), ("public", "b", 1), ("private", "a", 10), ("private", "b", 11))
    for tier, zone, third in subnets:
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"{net}.{third}.0/24",
            AvailabilityZone=f"{region}{zone}",
            TagSpecifications=ec2_tags("subnet", f"{prefix}-{tier}-{zone}"),
        )["Subnet"]["SubnetId"]
        if tier == "public":
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        ec2.associate_route_table(RouteTableId=tables[tier], SubnetId=subnet)
        made[f"aws_subnet.{short}_{tier}_{zone}"] = subnet
    return made


def build_flow_log(made: dict[str, str]) -> dict[str, str]:
    """Frankfurt's VPC logs all traffic to the log archive; Ireland's logs nothing."""
    ec2 = setup_client("ec2", EUC1)
    response = ec2.create_flow_logs(
        ResourceIds=[made["aws_vpc.euc1"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=made["aws_s3_bucket.euc1_logs"],
        TagSpecifications=ec2_tags("vpc-flow-log", "shop-euc1-flow-log"),
    )
    if response["Unsuccessful"]:
        raise RuntimeError(f"flow log not created: {response['Unsuccessful']}")
    return {"aws_flow_log.euc1": response["FlowLogIds"][0]}


def build_security_groups(made: dict[str, str]) -> dict[str, str]:
    euw1, euc1 = made["aws_vpc.euw1"], made["aws_vpc.euc1"]
    alb_euw1 = security_group(
        EUW1, euw1, "shop-euw1-alb", "Public web ALB", [from_anywhere(80, "HTTP from anywhere")]
    )
    # SSH is open so the developers can log in from wherever they are.
    web_euw1 = security_group(
        EUW1,
        euw1,
        "shop-euw1-web",
        "Web server",
        [from_group(80, alb_euw1, "HTTP from the ALB"), from_anywhere(22, "SSH from anywhere")],
    )
    db_euw1 = security_group(
        EUW1,
        euw1,
        "shop-euw1-orders-db",
        "Orders PostgreSQL",
        [from_anywhere(5432, "PostgreSQL from anywhere")],
    )
    alb_euc1 = security_group(
        EUC1,
        euc1,
        "shop-euc1-alb",
        "Public web ALB",
        [
            from_anywhere(443, "HTTPS from anywhere"),
            from_anywhere(80, "HTTP from anywhere (redirected to HTTPS)"),
        ],
    )
    web_euc1 = security_group(
        EUC1, euc1, "shop-euc1-web", "Web server", [from_group(80, alb_euc1, "HTTP from the ALB")]
    )
    db_euc1 = security_group(
        EUC1,
        euc1,
        "shop-euc1-orders-db",
        "Orders PostgreSQL",
        [from_group(5432, web_euc1, "PostgreSQL from the web server")],
    )
    return {
        "aws_security_group.euw1_alb": alb_euw1,
        "aws_security_group.euw1_web": web_euw1,
        "aws_security_group.euw1_orders_db": db_euw1,
        "aws_security_group.euc1_alb": alb_euc1,
        "aws_security_group.euc1_web": web_euc1,
        "aws_security_group.euc1_orders_db": db_euc1,
    }


# --- web servers -----------------------------------------------------------------------


def build_web_servers(made: dict[str, str]) -> dict[str, str]:
    """Ireland: public IP, SSH open, IMDSv1, role allowed "*" on "*" ("temporary", while
    the app's S3 and RDS access was worked out). Frankfurt: private subnet, no public
    IP, IMDSv2 only, role that may read the assets bucket."""
    admin = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    read_assets = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{made['aws_s3_bucket.euc1_assets']}/*",
    }
    made_here: dict[str, str] = {}
    for short, region, policy_name, statement, subnet, tokens, name in (
        ("euw1", EUW1, "admin", admin, "public", "optional", "web"),
        ("euc1", EUC1, "read-assets", read_assets, "private", "required", "web-euc1"),
    ):
        role_arn, profile_arn = instance_role(f"shop-{short}-web", policy_name, statement)
        ec2 = setup_client("ec2", region)
        instance = ec2.run_instances(
            ImageId=AMI[region],
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            # The public subnet gives it a public IP (MapPublicIpOnLaunch); the private
            # one does not.
            SubnetId=made[f"aws_subnet.{short}_{subnet}_a"],
            SecurityGroupIds=[made[f"aws_security_group.{short}_web"]],
            IamInstanceProfile={"Arn": profile_arn},
            MetadataOptions={"HttpTokens": tokens},
            TagSpecifications=ec2_tags("instance", name),
        )["Instances"][0]["InstanceId"]
        made_here |= {
            f"aws_iam_role.{short}_web": role_arn,
            f"aws_iam_instance_profile.{short}_web": profile_arn,
            f"aws_instance.{short}_web": instance,
        }
    return made_here


def instance_role(name: str, policy_name: str, statement: dict[str, Any]) -> tuple[str, str]:
    """A role for EC2 with one inline policy, and its instance profile (same name)."""
    iam = setup_client("iam")
    role_arn: str = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST), Tags=tags(name)
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=policy(statement))
    profile_arn: str = iam.create_instance_profile(InstanceProfileName=name, Tags=tags(name))[
        "InstanceProfile"
    ]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return role_arn, profile_arn


# --- load balancers --------------------------------------------------------------------


def build_load_balancers(made: dict[str, str]) -> dict[str, str]:
    """Ireland: HTTP:80 forwards to the web server. Frankfurt: HTTPS:443 (TLS 1.2+)
    forwards, HTTP:80 redirects to HTTPS, access logs go to the log archive."""
    out: dict[str, str] = {}
    for short, region in (("euw1", EUW1), ("euc1", EUC1)):
        elbv2 = setup_client("elbv2", region)
        name = f"shop-{short}-alb"
        lb = elbv2.create_load_balancer(
            Name=name,
            Subnets=[made[f"aws_subnet.{short}_public_a"], made[f"aws_subnet.{short}_public_b"]],
            SecurityGroups=[made[f"aws_security_group.{short}_alb"]],
            Scheme="internet-facing",
            Type="application",
            Tags=tags(name),
        )["LoadBalancers"][0]["LoadBalancerArn"]
        group = elbv2.create_target_group(
            Name=f"shop-{short}-web",
            Protocol="HTTP",
            Port=80,
            VpcId=made[f"aws_vpc.{short}"],
            TargetType="instance",
            HealthCheckPath="/health",
            Matcher={"HttpCode": "200"},
            Tags=tags(f"shop-{short}-web"),
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(
            TargetGroupArn=group, Targets=[{"Id": made[f"aws_instance.{short}_web"], "Port": 80}]
        )
        out |= {f"aws_lb.{short}": lb, f"aws_lb_target_group.{short}_web": group}

    euw1 = setup_client("elbv2", EUW1)
    # What AWS reports for a load balancer nobody turned logging on for (moto lists no
    # attributes until one is set).
    euw1.modify_load_balancer_attributes(
        LoadBalancerArn=out["aws_lb.euw1"],
        Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}],
    )
    out["aws_lb_listener.euw1_http"] = euw1.create_listener(
        LoadBalancerArn=out["aws_lb.euw1"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": out["aws_lb_target_group.euw1_web"]}],
        Tags=tags("shop-euw1-http"),
    )["Listeners"][0]["ListenerArn"]
    out |= frankfurt_listeners(out["aws_lb.euc1"], out["aws_lb_target_group.euc1_web"])
    return out


def frankfurt_listeners(lb: str, group: str) -> dict[str, str]:
    certificate = setup_client("acm", EUC1).request_certificate(
        DomainName="shop.example.com", ValidationMethod="DNS", Tags=tags("shop.example.com")
    )["CertificateArn"]
    elbv2 = setup_client("elbv2", EUC1)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb,
        Attributes=[
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": "shop-logs-euc1"},
            {"Key": "access_logs.s3.prefix", "Value": "alb"},
        ],
    )
    https = elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        Tags=tags("shop-euc1-https"),
    )["Listeners"][0]["ListenerArn"]
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    http = elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}],
        Tags=tags("shop-euc1-http"),
    )["Listeners"][0]["ListenerArn"]
    return {
        "local.certificate_arn_euc1": certificate,
        "aws_lb_listener.euc1_https": https,
        "aws_lb_listener.euc1_http": http,
    }


# --- databases -------------------------------------------------------------------------


def build_databases(made: dict[str, str]) -> dict[str, str]:
    """Ireland: public, unencrypted, in the public subnets, 5432 open to the internet.
    Frankfurt: private subnets, encrypted, reachable from the web server only."""
    out: dict[str, str] = {}
    for short, region, identifier, group, tier, public, backups in (
        ("euw1", EUW1, "orders-db", "orders-db-public", "public", True, 1),
        ("euc1", EUC1, "orders-db-euc1", "orders-db-euc1-private", "private", False, 7),
    ):
        rds = setup_client("rds", region)
        out[f"aws_db_subnet_group.{short}_orders"] = rds.create_db_subnet_group(
            DBSubnetGroupName=group,
            DBSubnetGroupDescription="Managed by Terraform",
            SubnetIds=[made[f"aws_subnet.{short}_{tier}_a"], made[f"aws_subnet.{short}_{tier}_b"]],
            Tags=tags(group),
        )["DBSubnetGroup"]["DBSubnetGroupArn"]
        out[f"aws_db_instance.{short}_orders"] = rds.create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine="postgres",
            EngineVersion="16.3",
            DBInstanceClass="db.t4g.micro",
            AllocatedStorage=20,
            StorageType="gp3",
            StorageEncrypted=not public,
            DBName="orders",
            MasterUsername="orders_admin",
            MasterUserPassword=DB_PASSWORD,
            Port=5432,
            DBSubnetGroupName=group,
            VpcSecurityGroupIds=[made[f"aws_security_group.{short}_orders_db"]],
            PubliclyAccessible=public,
            BackupRetentionPeriod=backups,
            Tags=tags(identifier),
        )["DBInstance"]["DBInstanceArn"]
    return out


# --- orders API ------------------------------------------------------------------------


def build_apis() -> dict[str, str]:
    """GET /orders -> Lambda, stage "prod". Ireland: anonymous, unthrottled.
    Frankfurt: IAM-signed callers only, every method throttled to 100 rps, burst 50."""
    out: dict[str, str] = {}
    for short, region, name, function, authorization in (
        ("euw1", EUW1, "orders-api", "orders-api-handler", "NONE"),
        ("euc1", EUC1, "orders-api-euc1", "orders-api-handler-euc1", "AWS_IAM"),
    ):
        function_arn, role_arn = orders_function(region, function)
        api_id, stage = orders_api(region, name, function_arn, authorization)
        out |= {
            f"aws_iam_role.{short}_orders_api": role_arn,
            f"aws_lambda_function.{short}_orders_api": function_arn,
            f"aws_api_gateway_rest_api.{short}_orders": (
                f"arn:aws:apigateway:{region}::/restapis/{api_id}"
            ),
            f"aws_api_gateway_stage.{short}_prod": (
                f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"
            ),
        }
    api_id = out["aws_api_gateway_rest_api.euc1_orders"].rsplit("/", 1)[1]
    setup_client("apigateway", EUC1).update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
        ],
    )
    return out


def orders_function(region: str, name: str) -> tuple[str, str]:
    """The handler and its role, which may only write the function's own logs;
    returns (function, role) ARNs."""
    iam = setup_client("iam")
    role_arn: str = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST), Tags=tags(name)
    )["Role"]["Arn"]
    log_group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/{name}"
    write_logs = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_group, f"{log_group}:*"],
    }
    iam.put_role_policy(RoleName=name, PolicyName="logs", PolicyDocument=policy(write_logs))
    function_arn: str = setup_client("lambda", region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": function_zip()},
        Timeout=10,
        MemorySize=256,
        Tags={"Name": name},
    )["FunctionArn"]
    return function_arn, role_arn


def orders_api(region: str, name: str, function_arn: str, authorization: str) -> tuple[str, str]:
    """REST API with GET /orders proxied to the function, deployed to "prod"."""
    apigateway = setup_client("apigateway", region)
    api_id: str = apigateway.create_rest_api(
        name=name,
        description="Order lookup",
        endpointConfiguration={"types": ["REGIONAL"]},
        tags={"Name": name},
    )["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    orders = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    apigateway.put_method(
        restApiId=api_id, resourceId=orders, httpMethod="GET", authorizationType=authorization
    )
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=orders,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    setup_client("lambda", region).add_permission(
        FunctionName=function_arn.rsplit(":", 1)[1],
        StatementId="AllowOrdersApiInvoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{ACCOUNT}:{api_id}/*/GET/orders",
    )
    deployment = apigateway.create_deployment(restApiId=api_id)["id"]
    stage_name = "prod"
    apigateway.create_stage(
        restApiId=api_id,
        stageName=stage_name,
        deploymentId=deployment,
        tags={"Name": f"{name}-prod"},
    )
    return api_id, stage_name
