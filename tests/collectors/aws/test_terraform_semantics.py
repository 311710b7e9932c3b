"""Terraform and AWS semantics that decide exposure: each case was a bug found in review.

Every test scans a small realistic Terraform repository (AWS provider v5 attribute
names) end to end and checks the exact findings (rule, resource, file, line,
confidence) of the rules it is about, the exact flows, or the zone an element lands in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import pytest

from collectors.terraform.aws_services import policy_is_public
from collectors.terraform.evaluate import Unknown
from scanner.model import Element, Finding
from scanner.pipeline import ScanResult, scan

TfRepo = Callable[..., Path]  # the `tf_repo` fixture: files -> repository root
Summary = tuple[str, str, str, int, str]

VPC_ZONE = "tf:.//aws_vpc.main"
PUBLIC_ZONE = f"{VPC_ZONE}/public"
PUB, TLS, RATE = ("TM-PUB-001",), ("TM-TLS-001",), ("TM-RATE-001",)


def summary(findings: Iterable[Finding], rules: Collection[str]) -> set[Summary]:
    """(rule, resource, file, line, confidence) of the findings of `rules`."""
    out = set()
    for f in findings:
        if f.rule not in rules:
            continue
        loc = f.location
        out.add((f.rule, f.resource, str(loc["file"]), int(loc["line"]), f.confidence.label))
    return out


def flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    return {(f.source, f.target, f.protocol, f.port, f.basis) for f in result.graph.flows}


def element(result: ScanResult, resource: str) -> Element:
    (found,) = [e for e in result.graph.elements if e.resource == resource]
    return found


# --- subnet tiers: default and main route tables ------------------------------------------

VPC_WITH_DEFAULT_TABLE = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_default_route_table" "main" {
  default_route_table_id = aws_vpc.main.default_route_table_id
%(routes)s}

resource "aws_subnet" "web" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.web.id
}
"""
IGW_ROUTE = """
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
"""


@pytest.mark.parametrize(
    ("routes", "zone"),
    [(IGW_ROUTE, PUBLIC_ZONE), ("", f"{VPC_ZONE}/isolated")],
    ids=["igw-route", "no-routes"],
)
def test_default_route_table_decides_the_tier_of_unassociated_subnets(
    tf_repo: TfRepo, routes: str, zone: str
) -> None:
    repo = tf_repo({"vpc.tf": VPC_WITH_DEFAULT_TABLE % {"routes": routes}}, network=False)
    result = scan(repo)
    assert element(result, "aws_instance.web").boundary == zone
    assert result.graph.boundary(zone).members == ("aws_subnet.web",)


def test_main_route_table_association_makes_a_table_main(tf_repo: TfRepo) -> None:
    main = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "edge" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_main_route_table_association" "edge" {
  vpc_id         = aws_vpc.main.id
  route_table_id = aws_route_table.edge.id
}

resource "aws_subnet" "web" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.web.id
}
"""
    result = scan(tf_repo({"vpc.tf": main}, network=False))
    assert element(result, "aws_instance.web").boundary == PUBLIC_ZONE


UNASSOCIATED = """
resource "aws_default_route_table" "main" {
  default_route_table_id = aws_vpc.main.default_route_table_id
}

resource "aws_subnet" "extra" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.3.0/24"
}

resource "aws_instance" "extra" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.extra.id
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
}
"""
FLOATING_ASSOCIATION = """
variable "subnet_id" {}

resource "aws_route_table_association" "extra" {
  subnet_id      = var.subnet_id
  route_table_id = aws_route_table.public.id
}
"""


@pytest.mark.parametrize(
    ("files", "zone"),
    [
        ({}, f"{VPC_ZONE}/isolated"),  # the main table has no routes
        ({"assoc.tf": FLOATING_ASSOCIATION}, VPC_ZONE),  # could be extra's: tier unknown
    ],
)
def test_association_with_an_unknown_subnet_makes_unassociated_subnets_unknown(
    tf_repo: TfRepo, files: dict[str, str], zone: str
) -> None:
    result = scan(tf_repo({"extra.tf": UNASSOCIATED, **files}))
    assert element(result, "aws_instance.extra").boundary == zone
    # Explicitly associated subnets keep their tier.
    assert element(result, "aws_instance.web").boundary == PUBLIC_ZONE


# --- network load balancers ---------------------------------------------------------------

NLB = """
resource "aws_lb" "edge" {
  name               = "edge"
  load_balancer_type = "network"
  internal           = false
  subnets            = [aws_subnet.public.id]
}

resource "aws_lb_target_group" "app" {
  name     = "app"
  port     = %(port)s
  protocol = "TCP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "tcp" {
  load_balancer_arn = aws_lb.edge.arn
  port              = %(port)s
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_lb_target_group_attachment" "app" {
  target_group_arn = aws_lb_target_group.app.arn
  target_id        = %(target)s.id
  port             = %(port)s
}
"""
APP = """
resource "aws_instance" "app" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}
"""
PRIVATE_DB = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.private.id]
}

resource "aws_db_instance" "db" {
  identifier           = "orders"
  engine               = "postgres"
  instance_class       = "db.t3.micro"
  db_subnet_group_name = aws_db_subnet_group.db.name
  publicly_accessible  = false
}
"""
NLB_ID = "tf:.//aws_lb.edge"


def test_nlb_without_security_groups_forwards_the_internet_to_its_targets(tf_repo: TfRepo) -> None:
    repo = tf_repo({"nlb.tf": NLB % {"port": 8080, "target": "aws_instance.app"}, "app.tf": APP})
    result = scan(repo)
    assert flows(result) == {
        ("internet", NLB_ID, "tcp", 8080, "called"),
        (NLB_ID, "tf:.//aws_instance.app", "tcp", 8080, "called"),
    }
    assert summary(result.findings, (*PUB, *TLS)) == set()


def test_datastore_behind_an_internet_facing_nlb_is_reachable(tf_repo: TfRepo) -> None:
    repo = tf_repo(
        {"nlb.tf": NLB % {"port": 5432, "target": "aws_db_instance.db"}, "db.tf": PRIVATE_DB}
    )
    result = scan(repo)
    db = "tf:.//aws_db_instance.db"
    assert flows(result) == {
        ("internet", NLB_ID, "tcp", 5432, "called"),
        (NLB_ID, db, "tcp", 5432, "called"),
    }
    # Located at the attachment: the leg that makes the private database reachable.
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_db_instance.db", "nlb.tf", 27, "high")
    }
    (finding,) = [f for f in result.findings if f.rule in PUB]
    assert finding.path == ("internet", NLB_ID, db)
    assert (
        finding.remediation
        == "Make aws_lb.edge internal, or stop it forwarding to aws_db_instance.db."
    )


# --- listener protocols and actions -------------------------------------------------------

LISTENER = """
resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "front" {
  name               = "front"
  load_balancer_type = "%(lb_type)s"
  subnets            = [aws_subnet.public.id]
  security_groups    = [aws_security_group.lb.id]
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.front.arn
  port              = 80

  default_action {
    %(action)s
  }
}

variable "redirect_protocol" {}
variable "action_type" {}
"""
FORWARD = 'type             = "forward"\n    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/1"'


def listener_tf(lb_type: str = "application", action: str = FORWARD) -> str:
    return LISTENER % {"lb_type": lb_type, "action": action}


def test_alb_listener_without_protocol_serves_plaintext_http(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"lb.tf": listener_tf()}))
    assert summary(result.findings, TLS) == {
        ("TM-TLS-001", "aws_lb_listener.http", "lb.tf", 20, "high")
    }
    assert ("internet", "tf:.//aws_lb.front", "http", 80, "called") in flows(result)


def test_nlb_listener_without_protocol_is_tcp(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"lb.tf": listener_tf(lb_type="network")}))
    assert summary(result.findings, TLS) == set()
    assert ("internet", "tf:.//aws_lb.front", "tcp", 80, "called") in flows(result)
    (listener,) = element(result, "aws_lb.front").parts
    assert listener.fact("protocol") == "TCP"


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            'type = "redirect"\n    redirect {\n      port        = "443"\n'
            '      protocol    = var.redirect_protocol\n      status_code = "HTTP_301"\n    }',
            set(),  # redirect protocol unknown: may be HTTPS
        ),
        ('type             = var.action_type\n    target_group_arn = "arn:x"', set()),
        (
            # An omitted redirect protocol keeps the request's own: still plaintext.
            'type = "redirect"\n    redirect {\n      port        = "8080"\n'
            '      status_code = "HTTP_302"\n    }',
            {("TM-TLS-001", "aws_lb_listener.http", "lb.tf", 20, "high")},
        ),
    ],
    ids=["redirect-protocol-unknown", "action-type-unknown", "redirect-keeps-http"],
)
def test_listener_actions_that_are_not_known_to_serve_plaintext(
    tf_repo: TfRepo, action: str, expected: set[Summary]
) -> None:
    result = scan(tf_repo({"lb.tf": listener_tf(action=action)}))
    assert summary(result.findings, TLS) == expected


# --- S3: ACLs, ownership, public access blocks, policies ----------------------------------

BUCKET = """
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}
"""
OWNER_PREFERRED = """
resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    object_ownership = "%s"
  }
}
"""
BUCKET_BLOCK_OFF = """
resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}
"""
ACCOUNT_BLOCK_OFF = """
resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}
"""
GRANT_ACL = """
data "aws_canonical_user_id" "current" {}

resource "aws_s3_bucket_acl" "data" {
  depends_on = [aws_s3_bucket_ownership_controls.data]
  bucket     = aws_s3_bucket.data.id

  access_control_policy {
    grant {
      grantee {
        type = "Group"
        uri  = "http://acs.amazonaws.com/groups/global/AllUsers"
      }
      permission = "%s"
    }

    owner {
      id = data.aws_canonical_user_id.current.id
    }
  }
}
"""


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        ("READ_ACP", set()),  # reads the ACL, not the objects
        ("READ", {("TM-PUB-001", "aws_s3_bucket.data", "acl.tf", 4, "high")}),
    ],
)
def test_acl_grant_to_all_users_is_public_only_for_data_permissions(
    tf_repo: TfRepo, permission: str, expected: set[Summary]
) -> None:
    repo = tf_repo(
        {
            "s3.tf": BUCKET
            + OWNER_PREFERRED % "BucketOwnerPreferred"
            + BUCKET_BLOCK_OFF
            + ACCOUNT_BLOCK_OFF,
            "acl.tf": GRANT_ACL % permission,
        },
        network=False,
    )
    assert summary(scan(repo).findings, PUB) == expected


def test_bucket_owner_enforced_makes_a_public_read_acl_inert(tf_repo: TfRepo) -> None:
    acl = """
resource "aws_s3_bucket_acl" "data" {
  bucket = aws_s3_bucket.data.id
  acl    = "public-read"
}
"""
    s3 = BUCKET + OWNER_PREFERRED % "BucketOwnerEnforced" + BUCKET_BLOCK_OFF + ACCOUNT_BLOCK_OFF
    result = scan(tf_repo({"s3.tf": s3, "acl.tf": acl}, network=False))
    assert summary(result.findings, PUB) == set()
    assert element(result, "aws_s3_bucket.data").fact("public") is False


PUBLIC_POLICY = """
resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicRead"
      Effect    = "Allow"
      %(principal)s
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.data.arn}/*"
    }]
  })
}
"""


def policy_tf(principal: str = 'Principal = "*"') -> str:
    return PUBLIC_POLICY % {"principal": principal}


def test_public_policy_without_a_bucket_level_block_is_unconfirmed(tf_repo: TfRepo) -> None:
    repo = tf_repo({"s3.tf": BUCKET + ACCOUNT_BLOCK_OFF, "policy.tf": policy_tf()}, network=False)
    result = scan(repo)
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_s3_bucket.data", "policy.tf", 2, "low")
    }
    (finding,) = [f for f in result.findings if f.rule in PUB]
    message = finding.message
    assert "bucket-level public access block" in message
    assert "account-level" not in message


def test_block_naming_its_bucket_by_literal_name_neutralises_the_policy(tf_repo: TfRepo) -> None:
    block = """
resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = "acme-data"
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
"""
    repo = tf_repo({"s3.tf": BUCKET + block, "policy.tf": policy_tf()}, network=False)
    assert summary(scan(repo).findings, PUB) == set()


FLOATING_BLOCK = """
variable "bucket_name" {}

resource "aws_s3_bucket_public_access_block" "other" {
  bucket                  = var.bucket_name
  restrict_public_buckets = true
}
"""


@pytest.mark.parametrize(
    ("files", "confidence"),
    [({}, "high"), ({"other.tf": FLOATING_BLOCK}, "low")],
)
def test_block_on_an_unknown_bucket_makes_a_public_policy_unconfirmed(
    tf_repo: TfRepo, files: dict[str, str], confidence: str
) -> None:
    s3 = BUCKET + BUCKET_BLOCK_OFF + ACCOUNT_BLOCK_OFF
    repo = tf_repo({"s3.tf": s3, "policy.tf": policy_tf(), **files}, network=False)
    result = scan(repo)
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_s3_bucket.data", "policy.tf", 2, confidence)
    }
    unknown_block = "a public access block whose value or bucket is not known"
    (finding,) = [f for f in result.findings if f.rule in PUB]
    assert (unknown_block in finding.message) == (confidence == "low")


def test_allow_with_not_principal_is_public(tf_repo: TfRepo) -> None:
    not_principal = 'NotPrincipal = { AWS = "arn:aws:iam::111122223333:root" }'
    s3 = BUCKET + BUCKET_BLOCK_OFF + ACCOUNT_BLOCK_OFF
    repo = tf_repo({"s3.tf": s3, "policy.tf": policy_tf(not_principal)}, network=False)
    assert summary(scan(repo).findings, PUB) == {
        ("TM-PUB-001", "aws_s3_bucket.data", "policy.tf", 2, "high")
    }


# --- API Gateway ----------------------------------------------------------------------------

REST = """
variable "endpoint_type" {}

resource "aws_api_gateway_rest_api" "api" {
  name = "orders"
%(endpoint)s}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.orders.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_deployment" "live" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = "%(stage)s"
}
"""


def rest_tf(endpoint: str = "", stage: str = "live") -> str:
    return REST % {"endpoint": endpoint, "stage": stage}


def test_deployment_stage_name_creates_a_stage(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"api.tf": rest_tf()}, network=False))
    assert summary(result.findings, RATE) == {
        ("TM-RATE-001", "aws_api_gateway_deployment.live", "api.tf", 21, "high")
    }


def test_unknown_endpoint_type_is_not_known_to_be_public(tf_repo: TfRepo) -> None:
    endpoint = "\n  endpoint_configuration {\n    types = [var.endpoint_type]\n  }\n"
    result = scan(tf_repo({"api.tf": rest_tf(endpoint=endpoint)}, network=False))
    assert summary(result.findings, RATE) == set()
    assert flows(result) == set()


def test_deployment_with_empty_stage_name_creates_no_stage(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"api.tf": rest_tf(stage="")}, network=False))
    assert summary(result.findings, RATE) == set()
    assert element(result, "aws_api_gateway_rest_api.api").parts == ()


def test_http_api_default_route_settings_without_limits_throttle_everything(
    tf_repo: TfRepo,
) -> None:
    http = """
resource "aws_apigatewayv2_api" "hooks" {
  name          = "hooks"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.hooks.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    detailed_metrics_enabled = true
  }
}
"""
    result = scan(tf_repo({"http.tf": http}, network=False))
    assert summary(result.findings, RATE) == set()
    (stage,) = element(result, "aws_apigatewayv2_api.hooks").parts
    assert stage.fact("rate_limited") is True


# --- security groups ----------------------------------------------------------------------

DB = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_security_group" "db" {
  vpc_id = aws_vpc.main.id

  ingress {
%(ingress)s
  }
}

resource "aws_db_instance" "db" {
%(meta)s  identifier             = "orders"
  engine                 = "postgres"
  instance_class         = "db.t3.micro"
  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = true
}
"""
TCP_WORLD = """    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]"""
UDP_WORLD = """    from_port   = 0
    to_port     = 65535
    protocol    = "udp"
    cidr_blocks = ["0.0.0.0/0"]"""
TCP_IPV6_WORLD = """    from_port        = 5432
    to_port          = 5432
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]"""


def db_tf(ingress: str = TCP_WORLD, meta: str = "") -> str:
    return DB % {"ingress": ingress, "meta": meta}


def test_udp_rule_does_not_expose_a_tcp_database(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"db.tf": db_tf(UDP_WORLD)}))
    assert summary(result.findings, PUB) == set()
    assert flows(result) == set()


def test_ipv6_only_world_rule_exposes_the_database(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"db.tf": db_tf(TCP_IPV6_WORLD)}))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_db_instance.db", "db.tf", 17, "high")
    }
    assert flows(result) == {
        ("internet", "tf:.//aws_db_instance.db", "postgres", 5432, "reachable")
    }


# --- override files -------------------------------------------------------------------------


def test_override_file_replaces_an_argument_of_the_base_block(tf_repo: TfRepo) -> None:
    override = """
resource "aws_db_instance" "db" {
  publicly_accessible = false
}
"""
    result = scan(tf_repo({"db.tf": db_tf(), "db_override.tf": override}))
    assert summary(result.findings, PUB) == set()
    assert flows(result) == set()
    assert element(result, "aws_db_instance.db").fact("publicly_accessible") is False


# --- count and for_each ---------------------------------------------------------------------

ENABLED = 'variable "enabled" {\n%s}\n'


def test_count_on_an_unknown_condition_makes_the_finding_unconfirmed(tf_repo: TfRepo) -> None:
    db = db_tf(meta="  count                  = var.enabled ? 1 : 0\n")
    result = scan(tf_repo({"db.tf": db, "vars.tf": ENABLED % ""}))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_db_instance.db", "db.tf", 17, "low")
    }
    (finding,) = [f for f in result.findings if f.rule in PUB]
    assert "aws_db_instance.db may not exist (count/for_each unknown)" in finding.message


def test_count_false_creates_nothing(tf_repo: TfRepo) -> None:
    db = db_tf(meta="  count                  = var.enabled ? 1 : 0\n")
    result = scan(tf_repo({"db.tf": db, "vars.tf": ENABLED % "  default = false\n"}))
    assert summary(result.findings, PUB) == set()
    assert [e for e in result.graph.elements if e.type == "relational-db"] == []


def test_count_true_creates_an_indexed_instance(tf_repo: TfRepo) -> None:
    db = db_tf(meta="  count                  = var.enabled ? 1 : 0\n")
    result = scan(tf_repo({"db.tf": db, "vars.tf": ENABLED % "  default = true\n"}))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_db_instance.db[0]", "db.tf", 17, "high")
    }
    assert element(result, "aws_db_instance.db[0]").id == "tf:.//aws_db_instance.db[0]"


def test_for_each_over_a_map_addresses_instances_by_key(tf_repo: TfRepo) -> None:
    db = db_tf(meta='  for_each = { a = "orders-a", b = "orders-b" }\n').replace(
        'identifier             = "orders"', "identifier             = each.value"
    )
    result = scan(tf_repo({"db.tf": db}))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", 'aws_db_instance.db["a"]', "db.tf", 17, "high"),
        ("TM-PUB-001", 'aws_db_instance.db["b"]', "db.tf", 17, "high"),
    }
    assert {(e.resource, e.key) for e in result.graph.elements if e.type == "relational-db"} == {
        ('aws_db_instance.db["a"]', "rds:db-instance:orders-a"),
        ('aws_db_instance.db["b"]', "rds:db-instance:orders-b"),
    }


# --- locals and modules ---------------------------------------------------------------------


def test_local_aliasing_a_resource_places_subnets_in_its_vpc(tf_repo: TfRepo) -> None:
    network = """
locals {
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = local.vpc_id
}

resource "aws_subnet" "public" {
  vpc_id     = local.vpc_id
  cidr_block = "10.0.1.0/24"
}

resource "aws_route_table" "public" {
  vpc_id = local.vpc_id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
}
"""
    result = scan(tf_repo({"vpc.tf": network}, network=False))
    assert element(result, "aws_instance.web").boundary == PUBLIC_ZONE
    assert result.graph.boundary(PUBLIC_ZONE).members == ("aws_subnet.public",)


LB_MODULE = """
variable "subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "internal" {
  type    = bool
  default = false
}

resource "aws_lb" "this" {
  name            = "front"
  internal        = var.internal
  subnets         = var.subnet_ids
  security_groups = var.security_group_ids
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}
"""
LB_CALL = """
resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "lb" {
  source             = "./modules/lb"
  subnet_ids         = [aws_subnet.public.id]
  security_group_ids = [aws_security_group.lb.id]
%s}
"""


@pytest.mark.parametrize(
    ("internal", "expected"),
    [
        ("", {("TM-TLS-001", "module.lb.aws_lb_listener.http", "modules/lb/main.tf", 22, "high")}),
        ("  internal           = true\n", set()),
    ],
)
def test_caller_input_overrides_a_module_variable_default(
    tf_repo: TfRepo, internal: str, expected: set[Summary]
) -> None:
    repo = tf_repo({"main.tf": LB_CALL % internal, "modules/lb/main.tf": LB_MODULE})
    assert summary(scan(repo).findings, TLS) == expected


REMOTE_VPC_CALL = """
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"

  name = "main"
  cidr = "10.0.0.0/16"
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = module.vpc.public_subnet_id
}
"""
FETCHED_VPC = """
variable "name" {}

variable "cidr" {}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

output "public_subnet_id" {
  value = aws_subnet.public.id
}
"""
MANIFEST = {
    "Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {
            "Key": "vpc",
            "Source": "registry.terraform.io/terraform-aws-modules/vpc/aws",
            "Version": "5.8.1",
            "Dir": ".terraform/modules/vpc",
        },
    ]
}


def test_remote_module_not_on_disk_is_a_warning_and_the_rest_is_scanned(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"main.tf": REMOTE_VPC_CALL}, network=False))
    assert [
        (d.level, d.source, d.line, d.message) for d in result.diagnostics if d.level == "warning"
    ] == [
        (
            "warning",
            "main.tf",
            2,
            "module 'vpc' (terraform-aws-modules/vpc/aws) is not on disk "
            "(run `terraform init` to fetch it); not scanned",
        )
    ]
    # The instance is still modelled; its subnet is not known, so neither is its zone.
    assert element(result, "aws_instance.web").boundary == "tf:.//account"


def test_remote_module_fetched_by_terraform_init_is_scanned(tf_repo: TfRepo) -> None:
    repo = tf_repo(
        {
            "main.tf": REMOTE_VPC_CALL,
            ".terraform/modules/modules.json": json.dumps(MANIFEST),
            ".terraform/modules/vpc/main.tf": FETCHED_VPC,
        },
        network=False,
    )
    result = scan(repo)
    assert [d for d in result.diagnostics if d.level == "warning"] == []
    zone = "tf:.//module.vpc.aws_vpc.this/public"
    assert element(result, "aws_instance.web").boundary == zone
    assert result.graph.boundary(zone).members == ("module.vpc.aws_subnet.public",)
    assert ".terraform/modules/vpc/main.tf" in result.inputs


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}], True),
        # A Deny that narrows who may call (by source IP, VPC endpoint): not confirmed.
        (
            [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*"},
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "es:*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}},
                },
            ],
            None,
        ),
        # DenyInsecureTransport narrows how, not who.
        (
            [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
            True,
        ),
        ([{"Effect": "Allow", "Principal": {"AWS": Unknown()}, "Action": "sqs:*"}], None),
        ([{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}, Unknown()], None),
        # An account ARN with an unknown account id is still one account, not "*".
        (
            [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": Unknown(partial="arn:aws:iam::${?}:root")},
                    "Action": "kms:*",
                }
            ],
            False,
        ),
    ],
)
def test_policy_is_public_never_guesses(statements: list[object], expected: bool | None) -> None:
    assert policy_is_public({"Version": "2012-10-17", "Statement": statements}) is expected


ROLE = """
resource "aws_s3_bucket" "media" {
  bucket = "acme-media"
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.media.arn}/*" }]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}
"""


def test_auto_scaling_and_ecs_run_as_their_template_and_task_roles(tf_repo: TfRepo) -> None:
    compute = """
resource "aws_launch_template" "app" {
  name = "app"
  iam_instance_profile {
    name = aws_iam_instance_profile.app.name
  }
}

resource "aws_autoscaling_group" "app" {
  name                = "app"
  vpc_zone_identifier = [aws_subnet.private.id]
  min_size            = 1
  max_size            = 2
  launch_template {
    id = aws_launch_template.app.id
  }
}

resource "aws_ecs_task_definition" "api" {
  family                = "api"
  task_role_arn         = aws_iam_role.app.arn
  container_definitions = jsonencode([{ name = "api", image = "api:1" }])
}

resource "aws_ecs_service" "api" {
  name            = "api"
  task_definition = aws_ecs_task_definition.api.arn
  network_configuration {
    subnets = [aws_subnet.private.id]
  }
}
"""
    result = scan(tf_repo({"iam.tf": ROLE, "compute.tf": compute}))
    flows = {
        (f.source.split("//")[-1], f.target.split("//")[-1])
        for f in result.graph.flows
        if f.basis == "reachable" and f.target.endswith("aws_s3_bucket.media")
    }
    assert flows == {
        ("aws_autoscaling_group.app", "aws_s3_bucket.media"),
        ("aws_ecs_service.api", "aws_s3_bucket.media"),
    }


def test_auto_scaling_group_behind_a_classic_elb(tf_repo: TfRepo) -> None:
    compute = """
resource "aws_elb" "web" {
  name    = "web"
  subnets = [aws_subnet.public.id]

  listener {
    lb_port           = 443
    lb_protocol       = "https"
    instance_port     = 8080
    instance_protocol = "http"
  }
}

resource "aws_launch_template" "web" {
  name = "web"
}

resource "aws_autoscaling_group" "by_name" {
  name                = "by-name"
  vpc_zone_identifier = [aws_subnet.private.id]
  min_size            = 1
  max_size            = 2
  load_balancers      = [aws_elb.web.name]
  launch_template {
    id = aws_launch_template.web.id
  }
}

resource "aws_autoscaling_group" "attached" {
  name                = "attached"
  vpc_zone_identifier = [aws_subnet.private.id]
  min_size            = 1
  max_size            = 2
  launch_template {
    id = aws_launch_template.web.id
  }
}

resource "aws_autoscaling_attachment" "attached" {
  autoscaling_group_name = aws_autoscaling_group.attached.id
  elb                    = aws_elb.web.id
}
"""
    result = scan(tf_repo({"compute.tf": compute}))
    flows = {
        (f.source.split("//")[-1], f.target.split("//")[-1], f.protocol, f.port, f.basis)
        for f in result.graph.flows
        if f.source.endswith("aws_elb.web")
    }
    assert flows == {
        ("aws_elb.web", "aws_autoscaling_group.by_name", "http", 8080, "called"),
        ("aws_elb.web", "aws_autoscaling_group.attached", "http", 8080, "called"),
    }
