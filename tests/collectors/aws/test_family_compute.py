"""The compute family: Lambda function URLs and permissions, Auto Scaling groups, ECS, EKS.

The fixture (fixtures/aws/compute, a photo platform) is scanned end to end and its
compute elements, their zones and facts, and every flow between them are checked
exactly; small repositories then vary one leg at a time. No datastore is reachable and
nothing serves plaintext, so the exposure the family makes is asserted as flows and
facts; the fixture's findings are the hosts and endpoints open to the internet (SSH,
the EKS API, an unauthenticated function URL) and its missing access and flow logs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Element, Fact
from scanner.pipeline import ScanResult, scan

TfRepo = Callable[..., Path]
FlowTuple = tuple[str, str, str, int | None, str]

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "aws" / "compute"
ACCOUNT = "tf:.//account"
VPC = "tf:.//aws_vpc.main"
PUBLIC, PRIVATE, ISOLATED = f"{VPC}/public", f"{VPC}/private", f"{VPC}/isolated"

# Resource types whose elements this test checks: the family's own (with their facts,
# and Lambda functions, which function URLs add facts to) and the core ones the family
# connects to (type and zone only: their facts are the core's to check). Other
# families' elements in the fixture (the KMS key) are theirs to check.
OWN = (
    "aws_autoscaling_group",
    "aws_ecs_service",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_lambda_function",
)
TYPES = (*OWN, "aws_lb", "aws_db_instance", "aws_s3_bucket")


def _ours(e: Element) -> bool:
    return e.resource.split(".")[0] in TYPES


def elements(result: ScanResult) -> dict[str, tuple[str, str | None, dict[str, Fact] | None]]:
    """Type, zone and (for the family's own elements) facts, by resource."""
    return {
        e.resource: (
            e.type,
            e.boundary,
            dict(e.props) if e.resource.split(".")[0] in OWN else None,
        )
        for e in result.graph.elements
        if _ours(e)
    }


def flows(result: ScanResult) -> set[FlowTuple]:
    ids = {e.id for e in result.graph.elements if _ours(e)} | {"internet"}
    return {
        (f.source, f.target, f.protocol, f.port, f.basis)
        for f in result.graph.flows
        if f.source in ids and f.target in ids
    }


def element(result: ScanResult, resource: str) -> Element:
    (found,) = [e for e in result.graph.elements if e.resource == resource]
    return found


def tf(address: str) -> str:
    return f"tf:.//{address}"


# --- the fixture ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photos() -> ScanResult:
    return scan(FIXTURE)


def test_fixture_elements_zones_and_facts(photos: ScanResult) -> None:
    assert elements(photos) == {
        "aws_autoscaling_group.bastion": (
            "vm",
            PUBLIC,
            {"instances_max": 1, "instances_min": 1, "public_ip": True},
        ),
        "aws_autoscaling_group.web": (
            "vm",
            PRIVATE,
            {
                "imds_v2_required": True,
                "instances_desired": 2,
                "instances_max": 6,
                "instances_min": 2,
                "public_ip": False,
            },
        ),
        "aws_db_instance.photos": ("relational-db", PRIVATE, None),
        "aws_ecs_service.api": (
            "container",
            PRIVATE,
            {
                "cluster": "photos-prod",
                "instances_desired": 3,
                "launch_type": "FARGATE",
                "ports": "8080",
                "public_ip": False,
            },
        ),
        "aws_ecs_service.preview": (
            "container",
            PUBLIC,
            {
                "cluster": "photos-prod",
                "instances_desired": 1,
                "launch_type": "FARGATE",
                "ports": "3000",
                "public_ip": True,
            },
        ),
        "aws_eks_cluster.platform": (
            "kubernetes-api",
            ACCOUNT,  # a public endpoint is not in the VPC
            {
                "audit_logging": True,
                "endpoint_private_access": True,
                "endpoint_public_access": True,
                "public_access_cidrs": "0.0.0.0/0",
                "secrets_kms_key": True,
            },
        ),
        "aws_eks_node_group.general": (
            "vm",
            PRIVATE,
            {
                "instances_desired": 3,
                "instances_max": 10,
                "instances_min": 2,
                "public_ip": False,
                "remote_access_open": False,
            },
        ),
        "aws_eks_node_group.ops": (
            "vm",
            PUBLIC,
            {
                "instances_desired": 1,
                "instances_max": 2,
                "instances_min": 1,
                "public_ip": True,
                "remote_access_open": True,
            },
        ),
        "aws_lambda_function.monthly_report": ("function", ACCOUNT, {}),
        "aws_lambda_function.thumbnailer": (
            "function",
            ACCOUNT,
            {"authn": "none", "internet_facing": True},
        ),
        "aws_lambda_function.webhook": (
            "function",
            ACCOUNT,
            {"authn": "aws-iam", "internet_facing": True},
        ),
        "aws_lb.public": ("load-balancer", PUBLIC, None),
        "aws_s3_bucket.photos": ("object-store", ACCOUNT, None),
    }


def test_fixture_flows(photos: ScanResult) -> None:
    lb, db, bucket = tf("aws_lb.public"), tf("aws_db_instance.photos"), tf("aws_s3_bucket.photos")
    web, bastion = tf("aws_autoscaling_group.web"), tf("aws_autoscaling_group.bastion")
    api, preview = tf("aws_ecs_service.api"), tf("aws_ecs_service.preview")
    eks = tf("aws_eks_cluster.platform")
    general, ops = tf("aws_eks_node_group.general"), tf("aws_eks_node_group.ops")
    thumbnailer = tf("aws_lambda_function.thumbnailer")
    assert flows(photos) == {
        # core: the ALB's listeners, the thumbnailer's env
        ("internet", lb, "https", 443, "called"),
        ("internet", lb, "http", 80, "called"),
        (thumbnailer, bucket, "https", 443, "called"),
        # function URLs and the partner invoke grant
        ("internet", thumbnailer, "https", 443, "called"),
        ("internet", tf("aws_lambda_function.webhook"), "https", 443, "called"),
        ("internet", tf("aws_lambda_function.monthly_report"), "https", 443, "reachable"),
        # Auto Scaling: ALB -> web by target_group_arns, user data -> datastores,
        # the public bastion, and what the bastion's group is admitted to
        (lb, web, "http", 8080, "called"),
        (web, db, "postgres", 5432, "called"),
        (web, bucket, "https", 443, "called"),
        ("internet", bastion, "tcp", 22, "reachable"),
        (bastion, web, "tcp", 22, "reachable"),
        (bastion, eks, "https", 443, "reachable"),
        # ECS: ALB rule -> API on its container port, env -> datastores, public preview
        (lb, api, "http", 8080, "called"),
        (api, db, "postgres", 5432, "called"),
        (api, bucket, "https", 443, "called"),
        ("internet", preview, "tcp", 3000, "reachable"),
        # EKS: public endpoint, nodes join, ops SSH opened to the world by EKS
        ("internet", eks, "https", 443, "called"),
        (general, eks, "https", 443, "called"),
        (ops, eks, "https", 443, "called"),
        ("internet", ops, "tcp", 22, "reachable"),
    }


def test_fixture_entry_flows_carry_tls_and_authn(photos: ScanResult) -> None:
    entry = {
        (f.target, f.tls, f.authn, f.derivation)
        for f in photos.graph.flows_from("internet")
        if f.protocol == "https" and not f.target.startswith(tf("aws_lb."))
    }
    assert entry == {
        (
            tf("aws_lambda_function.thumbnailer"),
            True,
            "none",
            "declared: function URL aws_lambda_function_url.thumbnailer (authorization_type NONE)",
        ),
        (
            tf("aws_lambda_function.webhook"),
            True,
            "aws-iam",
            "declared: function URL aws_lambda_function_url.webhook (authorization_type AWS_IAM)",
        ),
        (
            tf("aws_lambda_function.monthly_report"),
            True,
            "aws-iam",  # the Invoke API still wants a SigV4 signature, from any account
            "inferred: aws_lambda_permission.monthly_report_partners lets any principal "
            "call lambda:InvokeFunction",
        ),
        (
            tf("aws_eks_cluster.platform"),
            True,
            "kubernetes",
            "declared: aws_eks_cluster.platform has a public API endpoint open to 0.0.0.0/0",
        ),
    }


def test_fixture_parts_keys_and_evidence(photos: ScanResult) -> None:
    (url,) = element(photos, "aws_lambda_function.thumbnailer").parts
    assert (url.kind, url.resource, dict(url.props)) == (
        "function-url",
        "aws_lambda_function_url.thumbnailer",
        {
            "authn": "none",
            "authorization_type": "NONE",
            "port": 443,
            "protocol": "https",
            "tls": True,
        },
    )
    assert (url.evidence[0].file, url.evidence[0].line) == ("lambda.tf", 22)
    (container,) = element(photos, "aws_ecs_service.api").parts
    assert (container.kind, container.name, container.resource, dict(container.props)) == (
        "container",
        "api",
        "aws_ecs_task_definition.api",
        {"ports": "8080", "privileged": False},
    )
    keys = {e.resource: e.key for e in photos.graph.elements if _ours(e)}
    assert {
        k: v
        for k, v in keys.items()
        if k.split(".")[0].startswith(("aws_ecs", "aws_eks", "aws_auto"))
    } == {
        "aws_autoscaling_group.bastion": "autoscaling:group:photos-prod-bastion",
        "aws_autoscaling_group.web": "autoscaling:group:photos-prod-web",
        "aws_ecs_service.api": "ecs:service:photos-prod/api",
        "aws_ecs_service.preview": "ecs:service:photos-prod/preview",
        "aws_eks_cluster.platform": "eks:cluster:photos-prod-platform",
        "aws_eks_node_group.general": "eks:nodegroup:photos-prod-platform/general",
        "aws_eks_node_group.ops": "eks:nodegroup:photos-prod-platform/ops",
    }
    (ssh,) = [f for f in photos.graph.flows_into(tf("aws_eks_node_group.ops")) if f.port == 22]
    # The remote_access block, then the subnet's route table association and IGW route.
    assert [(x.file, x.line) for x in ssh.evidence] == [
        ("eks.tf", 66),
        ("network.tf", 91),
        ("network.tf", 72),
    ]


def test_fixture_findings_are_the_open_hosts_endpoints_and_log_gaps(photos: ScanResult) -> None:
    # Nothing here holds data on the internet, serves plaintext or is an API stage: the
    # HTTP listener redirects, function URLs and the EKS endpoint are HTTPS only. What
    # is found is exposure of compute and control plane, and logs that are not kept.
    assert sorted((f.rule, f.resource) for f in photos.findings) == [
        # auth NONE, and the function can reach the photos bucket.
        ("TM-AUTH-001", "aws_lambda_function_url.thumbnailer"),
        # No aws_flow_log anywhere in the sources: unconfirmed.
        ("TM-LOG-002", "aws_vpc.main"),
        # The public ALB has no access_logs block.
        ("TM-LOG-003", "aws_lb.public"),
        # SSH from 0.0.0.0/0 to public IPs: the bastion's security group, and the port
        # EKS opens for remote_access without a source security group.
        ("TM-NET-001", "aws_autoscaling_group.bastion"),
        ("TM-NET-001", "aws_eks_node_group.ops"),
        # The default public endpoint, open to 0.0.0.0/0.
        ("TM-NET-002", "aws_eks_cluster.platform"),
    ]


# --- Lambda function URLs and permissions ---------------------------------------------

FUNCTION = """
resource "aws_lambda_function" "reports" {
  function_name = "reports"
  role          = "arn:aws:iam::111122223333:role/reports"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "app.zip"
}

variable "auth_type" {}
variable "principal" {}
"""
REPORTS = tf("aws_lambda_function.reports")


def test_function_url_by_literal_name(tf_repo: TfRepo) -> None:
    url = """
resource "aws_lambda_function_url" "reports" {
  function_name      = "reports"
  authorization_type = "NONE"
}
"""
    result = scan(tf_repo({"fn.tf": FUNCTION + url}, network=False))
    assert flows(result) == {("internet", REPORTS, "https", 443, "called")}
    (flow,) = result.graph.flows_into(REPORTS)
    assert (flow.tls, flow.authn) == (True, "none")
    assert element(result, "aws_lambda_function.reports").boundary == ACCOUNT
    assert url_parts(result) == ["aws_lambda_function_url.reports"]


def url_parts(result: ScanResult) -> list[str]:
    return [p.resource for p in element(result, "aws_lambda_function.reports").parts]


def test_function_url_with_unknown_auth_type_is_an_entry_point_of_unknown_authn(
    tf_repo: TfRepo,
) -> None:
    url = """
resource "aws_lambda_function_url" "reports" {
  function_name      = aws_lambda_function.reports.function_name
  authorization_type = var.auth_type
}
"""
    result = scan(tf_repo({"fn.tf": FUNCTION + url}, network=False))
    (flow,) = result.graph.flows_into(REPORTS)
    assert (flow.basis, flow.tls, flow.authn) == ("called", True, None)
    assert dict(element(result, "aws_lambda_function.reports").props) == {"internet_facing": True}


def test_weakest_of_several_function_urls_decides_authn(tf_repo: TfRepo) -> None:
    urls = """
resource "aws_lambda_function_url" "live" {
  function_name      = aws_lambda_function.reports.function_name
  qualifier          = "live"
  authorization_type = "NONE"
}

resource "aws_lambda_function_url" "latest" {
  function_name      = aws_lambda_function.reports.arn
  authorization_type = "AWS_IAM"
}
"""
    result = scan(tf_repo({"fn.tf": FUNCTION + urls}, network=False))
    (flow,) = result.graph.flows_into(REPORTS)
    assert flow.authn == "none"
    assert sorted(url_parts(result)) == [
        "aws_lambda_function_url.latest",
        "aws_lambda_function_url.live",
    ]


PERMISSION = """
resource "aws_lambda_permission" "invoke" {
  statement_id  = "Invoke"
  function_name = aws_lambda_function.reports.function_name
%s
}
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('  action    = "lambda:InvokeFunction"\n  principal = "*"', "aws-iam"),
        (
            '  action                 = "lambda:InvokeFunctionUrl"\n  principal              = "*"\n'
            '  function_url_auth_type = "NONE"',
            None,  # the function has no URL: the grant opens nothing
        ),
        ('  action    = "lambda:*"\n  principal = "*"', "aws-iam"),
        (
            '  action     = "lambda:InvokeFunction"\n  principal  = "*"\n'
            '  source_arn = "arn:aws:execute-api:eu-west-1:111122223333:abc123/*"',
            None,
        ),
        (
            '  action         = "lambda:InvokeFunction"\n  principal      = "*"\n'
            '  source_account = "111122223333"',
            None,
        ),
        (
            '  action           = "lambda:InvokeFunction"\n  principal        = "*"\n'
            '  principal_org_id = "o-a1b2c3d4e5"',
            None,
        ),
        ('  action    = "lambda:InvokeFunction"\n  principal = "s3.amazonaws.com"', None),
        ('  action    = "lambda:InvokeFunction"\n  principal = "111122223333"', None),
        ('  action    = "lambda:InvokeFunction"\n  principal = var.principal', None),
        ('  action    = "lambda:GetFunction"\n  principal = "*"', None),
    ],
    ids=[
        "any-principal",
        "any-principal-url-none",
        "any-principal-wildcard-action",
        "source-arn",
        "source-account",
        "org",
        "service-without-source",
        "other-account",
        "unknown-principal",
        "read-only-action",
    ],
)
def test_public_invoke_permission(tf_repo: TfRepo, body: str, expected: str | None) -> None:
    result = scan(tf_repo({"fn.tf": FUNCTION + PERMISSION % body}, network=False))
    if expected is None:
        assert flows(result) == set()
        return
    assert flows(result) == {("internet", REPORTS, "https", 443, "reachable")}
    (flow,) = result.graph.flows_into(REPORTS)
    assert (flow.tls, flow.authn) == (True, expected)


# --- Auto Scaling groups ----------------------------------------------------------------

APP_SG = """
resource "aws_security_group" "app" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = [%(cidr)s]
  }
}
"""
ASG = (
    APP_SG
    + """
resource "aws_launch_template" "app" {
  name          = "app"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
%(nic)s
}

resource "aws_autoscaling_group" "app" {
  name                = "app"
  min_size            = 1
  max_size            = 3
  vpc_zone_identifier = [aws_subnet.%(subnet)s.id]

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }
}
"""
)
NIC = """
  network_interfaces {
    associate_public_ip_address = %s
    security_groups             = [aws_security_group.app.id]
  }
"""
VPC_SGS = "  vpc_security_group_ids = [aws_security_group.app.id]"
APP = tf("aws_autoscaling_group.app")


def asg_tf(nic: str = NIC % "true", subnet: str = "public", cidr: str = '"0.0.0.0/0"') -> str:
    return ASG % {"nic": nic, "subnet": subnet, "cidr": cidr}


@pytest.mark.parametrize(
    ("variant", "zone", "public_ip", "expected"),
    [
        ({}, PUBLIC, True, {("internet", APP, "tcp", 8080, "reachable")}),
        ({"nic": VPC_SGS}, PUBLIC, True, {("internet", APP, "tcp", 8080, "reachable")}),
        ({"nic": NIC % "false"}, PUBLIC, False, set()),
        ({"subnet": "private"}, ISOLATED, True, set()),
        ({"cidr": '"10.0.0.0/8"'}, PUBLIC, True, set()),
    ],
    ids=["public-ip", "subnet-maps-public-ip", "no-public-ip", "private-subnet", "vpc-cidr-only"],
)
def test_auto_scaling_group_exposure_needs_every_leg(
    tf_repo: TfRepo, variant: dict[str, str], zone: str, public_ip: bool, expected: set[FlowTuple]
) -> None:
    result = scan(tf_repo({"asg.tf": asg_tf(**variant)}))
    assert elements(result) == {
        "aws_autoscaling_group.app": (
            "vm",
            zone,
            {"instances_max": 3, "instances_min": 1, "public_ip": public_ip},
        )
    }
    assert flows(result) == expected
    assert element(result, "aws_autoscaling_group.app").key == "autoscaling:group:app"


ALB = """
resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "front" {
  name            = "front"
  subnets         = [aws_subnet.public.id]
  security_groups = [aws_security_group.lb.id]
}

resource "aws_lb_target_group" "app" {
  name     = "app"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.front.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-west-1:111122223333:certificate/1"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}
"""
FRONT = tf("aws_lb.front")


@pytest.mark.parametrize(
    "attachment",
    [
        """
resource "aws_autoscaling_attachment" "app" {
  autoscaling_group_name = aws_autoscaling_group.app.id
  lb_target_group_arn    = aws_lb_target_group.app.arn
}
""",
        """
resource "aws_autoscaling_traffic_source_attachment" "app" {
  autoscaling_group_name = aws_autoscaling_group.app.name

  traffic_source {
    identifier = aws_lb_target_group.app.arn
    type       = "elbv2"
  }
}
""",
    ],
    ids=["autoscaling-attachment", "traffic-source-attachment"],
)
def test_load_balancer_forwards_to_an_attached_group(tf_repo: TfRepo, attachment: str) -> None:
    repo = tf_repo({"asg.tf": asg_tf(subnet="private"), "lb.tf": ALB + attachment})
    assert flows(scan(repo)) == {
        ("internet", FRONT, "https", 443, "called"),
        (FRONT, APP, "http", 8080, "called"),
    }


def test_launch_configuration_by_name(tf_repo: TfRepo) -> None:
    asg = (
        APP_SG % {"cidr": '"0.0.0.0/0"'}
        + """
resource "aws_launch_configuration" "app" {
  name                        = "app-v3"
  image_id                    = "ami-0c55b159cbfafe1f0"
  instance_type               = "t3.micro"
  security_groups             = [aws_security_group.app.id]
  associate_public_ip_address = true

  metadata_options {
    http_tokens = "optional"
  }
}

resource "aws_autoscaling_group" "app" {
  name                 = "app"
  min_size             = 2
  max_size             = 2
  vpc_zone_identifier  = [aws_subnet.public.id]
  launch_configuration = "app-v3"
}
"""
    )
    result = scan(tf_repo({"asg.tf": asg}))
    assert elements(result)["aws_autoscaling_group.app"] == (
        "vm",
        PUBLIC,
        {"imds_v2_required": False, "instances_max": 2, "instances_min": 2, "public_ip": True},
    )
    assert flows(result) == {("internet", APP, "tcp", 8080, "reachable")}


# --- ECS ------------------------------------------------------------------------------

ECS = """
resource "aws_security_group" "svc" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = %(sg_port)s
    to_port     = %(sg_port)s
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_cluster" "main" {
  name = "shop"
}

resource "aws_ecs_task_definition" "web" {
  family                   = "web"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  container_definitions    = %(defs)s
}

resource "aws_ecs_service" "web" {
  name            = "web"
  cluster         = aws_ecs_cluster.main.arn
  task_definition = %(task)s
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = [aws_subnet.public.id]
    security_groups = [aws_security_group.svc.id]
%(assign)s
  }
}
"""
DEFS = 'jsonencode([{ name = "web", image = "nginx:1.27", portMappings = [{ containerPort = 8080 }] }])'
WEB = tf("aws_ecs_service.web")


def ecs_tf(
    defs: str = DEFS,
    sg_port: int | str = 8080,
    assign: str = "    assign_public_ip = true",
    task: str = "aws_ecs_task_definition.web.arn",
) -> str:
    return ECS % {"defs": defs, "sg_port": sg_port, "assign": assign, "task": task}


@pytest.mark.parametrize(
    ("variant", "props", "expected"),
    [
        ({}, {"ports": "8080", "public_ip": True}, {("internet", WEB, "tcp", 8080, "reachable")}),
        (
            # Task definition named as family:revision.
            {
                "task": '"${aws_ecs_task_definition.web.family}:${aws_ecs_task_definition.web.revision}"'
            },
            {"ports": "8080", "public_ip": True},
            {("internet", WEB, "tcp", 8080, "reachable")},
        ),
        ({"assign": ""}, {"ports": "8080", "public_ip": False}, set()),  # default: false
        ({"sg_port": 9090}, {"ports": "8080", "public_ip": True}, set()),  # not its port
        (
            # Definitions read from a file: the ports the group opens to the world.
            {"defs": 'file("${path.module}/web.json")', "sg_port": 9090},
            {"public_ip": True},
            {("internet", WEB, "tcp", 9090, "reachable")},
        ),
    ],
    ids=["public", "family-revision", "no-public-ip", "other-port", "unreadable-definitions"],
)
def test_ecs_service_exposure(
    tf_repo: TfRepo, variant: dict[str, Any], props: dict[str, Fact], expected: set[FlowTuple]
) -> None:
    result = scan(tf_repo({"ecs.tf": ecs_tf(**variant)}))
    base = {"cluster": "shop", "launch_type": "FARGATE"}
    assert elements(result) == {"aws_ecs_service.web": ("container", PUBLIC, {**base, **props})}
    assert flows(result) == expected
    assert element(result, "aws_ecs_service.web").key == "ecs:service:shop/web"


DB = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.private.id]
}

resource "aws_db_instance" "orders" {
  identifier           = "orders"
  engine               = "mysql"
  instance_class       = "db.t3.micro"
  db_subnet_group_name = aws_db_subnet_group.db.name
}
"""
HEREDOC = """<<EOF
[{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 8080}],
  "environment": [{"name": "DB_HOST", "value": "${aws_db_instance.orders.address}"},
                  {"name": "MODE", "value": "live"}]}]
EOF"""


@pytest.mark.parametrize(
    "defs",
    [
        HEREDOC,
        'jsonencode([{ name = "web", image = "nginx", portMappings = [{ containerPort = 8080 }],'
        ' environment = [{ name = "DB_URL", value = "mysql://${aws_db_instance.orders.endpoint}/orders" }] }])',
    ],
    ids=["heredoc", "jsonencode-template"],
)
def test_ecs_env_naming_a_database_is_a_called_flow(tf_repo: TfRepo, defs: str) -> None:
    result = scan(tf_repo({"ecs.tf": ecs_tf(defs=defs, assign=""), "db.tf": DB}))
    db = tf("aws_db_instance.orders")
    assert flows(result) == {(WEB, db, "mysql", 3306, "called")}


def test_ecs_fargate_by_capacity_provider(tf_repo: TfRepo) -> None:
    ecs = ecs_tf(assign="").replace(
        '  launch_type     = "FARGATE"\n',
        '\n  capacity_provider_strategy {\n    capacity_provider = "FARGATE_SPOT"\n    weight = 1\n  }\n',
    )
    result = scan(tf_repo({"ecs.tf": ecs}))
    assert element(result, "aws_ecs_service.web").fact("launch_type") == "FARGATE"


def test_ecs_env_naming_a_regional_datastore(tf_repo: TfRepo) -> None:
    queue = """
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
"""
    defs = (
        'jsonencode([{ name = "web", image = "nginx", portMappings = [{ containerPort = 8080 }],'
        ' environment = [{ name = "QUEUE_URL", value = aws_sqs_queue.jobs.url }] }])'
    )
    result = scan(tf_repo({"ecs.tf": ecs_tf(defs=defs, assign=""), "sqs.tf": queue}))
    assert (WEB, tf("aws_sqs_queue.jobs"), "https", 443, "called") in {
        (f.source, f.target, f.protocol, f.port, f.basis) for f in result.graph.flows
    }


def test_ecs_service_on_ec2_without_awsvpc_sits_in_the_account(tf_repo: TfRepo) -> None:
    ecs = """
resource "aws_ecs_task_definition" "worker" {
  family                = "worker"
  network_mode          = "bridge"
  container_definitions = jsonencode([{ name = "worker", image = "worker:1", privileged = true }])
}

resource "aws_ecs_service" "worker" {
  name            = "worker"
  cluster         = "arn:aws:ecs:eu-west-1:111122223333:cluster/batch"
  task_definition = aws_ecs_task_definition.worker.arn
  launch_type     = "EC2"
}
"""
    result = scan(tf_repo({"ecs.tf": ecs}))
    assert elements(result) == {
        "aws_ecs_service.worker": ("container", ACCOUNT, {"launch_type": "EC2"})
    }
    (part,) = element(result, "aws_ecs_service.worker").parts
    assert dict(part.props) == {"privileged": True}
    assert element(result, "aws_ecs_service.worker").key is None  # cluster not in the files


# --- EKS ------------------------------------------------------------------------------

EKS = """
resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/eks"

  vpc_config {
    subnet_ids = [aws_subnet.private.id]
%s
  }
}

variable "public_endpoint" {}
"""
CLUSTER = tf("aws_eks_cluster.main")


@pytest.mark.parametrize(
    ("vpc_config", "zone", "props", "expected"),
    [
        (
            "",
            ACCOUNT,
            {"endpoint_public_access": True, "public_access_cidrs": "0.0.0.0/0"},
            {("internet", CLUSTER, "https", 443, "called")},
        ),
        (
            '    public_access_cidrs = ["203.0.113.0/24"]',
            ACCOUNT,
            {"endpoint_public_access": True, "public_access_cidrs": "203.0.113.0/24"},
            set(),
        ),
        (
            "    endpoint_public_access  = false\n    endpoint_private_access = true",
            ISOLATED,
            {"endpoint_public_access": False, "endpoint_private_access": True},
            set(),
        ),
        ("    endpoint_public_access = var.public_endpoint", ISOLATED, {}, set()),
    ],
    ids=["default-public", "restricted-cidrs", "private", "unknown"],
)
def test_eks_endpoint(
    tf_repo: TfRepo, vpc_config: str, zone: str, props: dict[str, Fact], expected: set[FlowTuple]
) -> None:
    result = scan(tf_repo({"eks.tf": EKS % vpc_config}))
    defaults = {"audit_logging": False, "secrets_kms_key": False, "endpoint_private_access": False}
    assert elements(result) == {
        "aws_eks_cluster.main": ("kubernetes-api", zone, {**defaults, **props})
    }
    assert flows(result) == expected


NODES = """
resource "aws_eks_node_group" "ops" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "ops"
  node_role_arn   = "arn:aws:iam::111122223333:role/eks-node"
  subnet_ids      = [aws_subnet.%(subnet)s.id]
%(extra)s

  scaling_config {
    desired_size = 1
    max_size     = 1
    min_size     = 1
  }
%(remote)s
}

variable "ssh_sources" {}
"""
OPS = tf("aws_eks_node_group.ops")
JOIN = (OPS, CLUSTER, "https", 443, "called")
PUBLIC_API = ("internet", CLUSTER, "https", 443, "called")


def nodes_tf(subnet: str = "public", extra: str = "", remote: str = "") -> str:
    return EKS % "" + NODES % {"subnet": subnet, "extra": extra, "remote": remote}


@pytest.mark.parametrize(
    ("variant", "open_", "expected"),
    [
        ({}, False, {PUBLIC_API, JOIN}),
        (
            {"remote": '  remote_access {\n    ec2_ssh_key = "ops"\n  }'},
            True,
            {PUBLIC_API, JOIN, ("internet", OPS, "tcp", 22, "reachable")},
        ),
        (
            {
                "remote": '  remote_access {\n    ec2_ssh_key = "ops"\n  }',
                "extra": '  ami_type = "WINDOWS_CORE_2022_x86_64"',
            },
            True,
            {PUBLIC_API, JOIN, ("internet", OPS, "tcp", 3389, "reachable")},
        ),
        (
            {"remote": '  remote_access {\n    ec2_ssh_key = "ops"\n  }', "subnet": "private"},
            True,
            {PUBLIC_API, JOIN},
        ),
        (
            {
                "remote": '  remote_access {\n    ec2_ssh_key               = "ops"\n'
                '    source_security_group_ids = ["sg-0a1b2c3d4e5f60718"]\n  }'
            },
            False,
            {PUBLIC_API, JOIN},
        ),
        (
            {
                "remote": '  remote_access {\n    ec2_ssh_key               = "ops"\n'
                "    source_security_group_ids = var.ssh_sources\n  }"
            },
            None,
            {PUBLIC_API, JOIN},
        ),
    ],
    ids=[
        "no-remote-access",
        "ssh-world",
        "rdp-world",
        "private-subnet",
        "sources",
        "unknown-sources",
    ],
)
def test_eks_node_group_remote_access(
    tf_repo: TfRepo, variant: dict[str, str], open_: bool | None, expected: set[FlowTuple]
) -> None:
    result = scan(tf_repo({"eks.tf": nodes_tf(**variant)}))
    assert element(result, "aws_eks_node_group.ops").fact("remote_access_open") == open_
    assert flows(result) == expected


def test_eks_node_group_with_launch_template_and_unknown_count(tf_repo: TfRepo) -> None:
    extra = """
  count = var.node_groups

  launch_template {
    name    = aws_launch_template.app.name
    version = aws_launch_template.app.latest_version
  }
"""
    files = {
        "eks.tf": nodes_tf(extra=extra) + '\nvariable "node_groups" {}\n',
        "lt.tf": (APP_SG % {"cidr": '"0.0.0.0/0"'})
        + """
resource "aws_launch_template" "app" {
  name                   = "nodes"
  vpc_security_group_ids = [aws_security_group.app.id]
}
""",
    }
    result = scan(tf_repo(files))
    (ops,) = [e for e in result.graph.elements if e.resource.startswith("aws_eks_node_group.ops")]
    assert (ops.resource, ops.boundary) == ("aws_eks_node_group.ops", PUBLIC)
    assert dict(ops.props) == {
        "existence_unknown": True,
        "instances_desired": 1,
        "instances_max": 1,
        "instances_min": 1,
        "public_ip": True,
        "remote_access_open": False,
    }
    assert flows(result) == {PUBLIC_API, JOIN, ("internet", OPS, "tcp", 8080, "reachable")}
