"""The built-in rules fire exactly on seeded weaknesses and stay silent otherwise."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

import pytest

from rules.engine import Rule, RuleMeta, Verdict, evaluate
from rules.registry import RULES, builtin_rules
from scanner.graph import DFDGraph
from scanner.model import Finding, Severity
from scanner.pipeline import scan
from tests.conftest import SHOP

SHOP_FINDINGS = {
    ("TM-PUB-001", "aws_db_instance.reporting", "database.tf", 52, "high"),
    ("TM-PUB-001", "aws_s3_bucket.partner_feeds", "storage.tf", 101, "high"),
    ("TM-TLS-001", "aws_lb_listener.admin_http", "alb.tf", 102, "high"),
    ("TM-RATE-001", "aws_api_gateway_stage.v1", "api.tf", 55, "high"),
    # specs/orders-api.yaml, served by the orders API through its custom domain: no
    # security requirement anywhere, and a free-text field without maxLength.
    ("TM-API-001", "specs/orders-api.yaml", "specs/orders-api.yaml", 1, "high"),
    ("TM-API-006", "POST /orders", "specs/orders-api.yaml", 15, "high"),
    # The reporting database is also unencrypted (storage_encrypted = false).
    ("TM-ENC-001", "aws_db_instance.reporting", "database.tf", 52, "high"),
    # The bastion's security group admits SSH from 0.0.0.0/0 and it has a public IP.
    ("TM-NET-001", "aws_instance.bastion", "security_groups.tf", 169, "high"),
    # Neither internet-facing ALB has an access_logs block.
    ("TM-LOG-003", "aws_lb.web", "alb.tf", 5, "high"),
    ("TM-LOG-003", "aws_alb.admin", "alb.tf", 78, "high"),
    # No aws_flow_log anywhere: unconfirmed, flow logs may be enabled from elsewhere.
    ("TM-LOG-002", "aws_vpc.main", "network.tf", 6, "low"),
}
PUB, TLS, RATE = ("TM-PUB-001",), ("TM-TLS-001",), ("TM-RATE-001",)


def summary(
    findings: Iterable[Finding], rules: Collection[str] | None = None
) -> set[tuple[str, str, str, int, str]]:
    """Findings as (rule, resource, file, line, confidence); duplicates fail the test.

    With `rules`, only the findings of those rules: a test about one rule is not
    rewritten by every rule added to the catalogue.
    """
    out = [
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in findings
        if rules is None or f.rule in rules
    ]
    assert len(out) == len(set(out)), f"duplicate findings: {out}"
    return set(out)


def test_shop_findings_are_exactly_the_seeded_weaknesses() -> None:
    result = scan(SHOP)
    assert summary(result.findings) == SHOP_FINDINGS


def test_shop_findings_carry_paths_and_evidence() -> None:
    by_resource = {f.resource: f for f in scan(SHOP).findings if f.rule in (*PUB, *TLS, *RATE)}
    db = by_resource["aws_db_instance.reporting"]
    assert db.path == ("internet", "tf:.//aws_db_instance.reporting")
    assert db.asset == "rds:db-instance:shop-reporting"
    assert db.flow == "internet->tf:.//aws_db_instance.reporting:postgres/5432"
    # Every leg is evidence: the instance, the route to the IGW, the open rule.
    legs = {(ev.file, ev.address) for ev in db.evidence}
    assert ("database.tf", "aws_db_instance.reporting") in legs
    assert ("network.tf", "aws_route_table.public") in legs
    assert ("security_groups.tf", "aws_security_group.reporting_db") in legs
    # The line span of the deciding block comes through from python-hcl2.
    primary = db.evidence[0]
    assert (primary.file, primary.line, primary.end_line) == ("database.tf", 52, 76)
    assert by_resource["aws_lb_listener.admin_http"].path == ("internet", "tf:.//aws_alb.admin")
    assert by_resource["aws_lb_listener.admin_http"].stride == ("I", "T")
    assert by_resource["aws_api_gateway_stage.v1"].severity == Severity.MEDIUM


def _findings(repo: Path, rules: Collection[str]) -> set[tuple[str, str, str, int, str]]:
    return summary(scan(repo).findings, rules)


DB = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.%(subnet)s.id]
}

resource "aws_security_group" "db" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = %(cidrs)s
  }
}

resource "aws_db_instance" "db" {
  identifier             = "db"
  engine                 = "postgres"
  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = %(public)s
}
"""


def db_tf(subnet: str = "public", cidrs: str = '["0.0.0.0/0"]', public: str = "true") -> str:
    return DB % {"subnet": subnet, "cidrs": cidrs, "public": public}


def test_public_database_fires_with_the_instance_location(tf_repo) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo({"db.tf": db_tf()})
    assert _findings(repo, PUB) == {("TM-PUB-001", "aws_db_instance.db", "db.tf", 17, "high")}


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ({"public": "false"}, "not publicly accessible"),
        ({"subnet": "private"}, "no route to an internet gateway"),
        ({"cidrs": '["10.0.0.0/16"]'}, "security group admits only the VPC"),
        ({"public": "var.db_public"}, "unresolved variable: unknown, not insecure"),
        ({"cidrs": "var.allowed_cidrs"}, "unresolved CIDRs: unknown"),
    ],
)
def test_database_stays_silent_unless_every_leg_is_stated(tf_repo, variant, why) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo(
        {
            "db.tf": db_tf(**variant),
            "vars.tf": 'variable "db_public" {}\nvariable "allowed_cidrs" {}\n',
        }
    )
    assert _findings(repo, PUB) == set(), why


def test_variable_default_is_used_when_the_files_give_one(tf_repo) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo(
        {
            "db.tf": db_tf(public="var.db_public"),
            "vars.tf": 'variable "db_public" {\n  default = true\n}\n',
        }
    )
    assert _findings(repo, PUB) == {("TM-PUB-001", "aws_db_instance.db", "db.tf", 17, "high")}


def test_database_behind_private_subnet_admitting_only_app_is_silent(tf_repo) -> None:  # type: ignore[no-untyped-def]
    app = """
resource "aws_security_group" "app" {
  vpc_id = aws_vpc.main.id
}

resource "aws_instance" "app" {
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.app.id]
  user_data              = "DB=${aws_db_instance.db.address}"
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = aws_security_group.app.id
  from_port                    = 5432
  to_port                      = 5432
  ip_protocol                  = "tcp"
}
"""
    repo = tf_repo({"db.tf": db_tf(subnet="private", cidrs="[]", public="false"), "app.tf": app})
    result = scan(repo)
    assert summary(result.findings, PUB) == set()
    flows = {(f.source, f.target, f.protocol, f.basis) for f in result.graph.flows}
    assert flows == {("tf:.//aws_instance.app", "tf:.//aws_db_instance.db", "postgres", "called")}


BUCKET = """
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.data.arn}/*"
    }]
  })
}
"""


def test_public_bucket_without_account_block_in_scope_is_unconfirmed(tf_repo) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo({"s3.tf": BUCKET}, network=False)
    result = scan(repo)
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_s3_bucket.data", "s3.tf", 6, "low")
    }
    (finding,) = [f for f in result.findings if f.rule in PUB]
    assert "account-level public access block" in finding.message


@pytest.mark.parametrize(
    "block",
    [
        'resource "aws_s3_bucket_public_access_block" "data" {\n'
        "  bucket                  = aws_s3_bucket.data.id\n"
        "  restrict_public_buckets = true\n}\n",
        'resource "aws_s3_account_public_access_block" "all" {\n'
        "  block_public_policy     = true\n}\n",
    ],
)
def test_public_bucket_policy_neutralised_by_access_block(tf_repo, block) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo({"s3.tf": BUCKET, "pab.tf": block}, network=False)
    assert _findings(repo, PUB) == set()


def test_conditioned_bucket_policy_is_not_public(tf_repo) -> None:  # type: ignore[no-untyped-def]
    conditioned = BUCKET.replace(
        '      Resource  = "${aws_s3_bucket.data.arn}/*"',
        '      Resource  = "${aws_s3_bucket.data.arn}/*"\n'
        '      Condition = { StringEquals = { "aws:SourceVpce" = "vpce-1a2b3c" } }',
    )
    assert _findings(tf_repo({"s3.tf": conditioned}, network=False), PUB) == set()


LB = """
resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = [%(cidr)s]
  }
}

resource "aws_lb" "front" {
  internal        = %(internal)s
  subnets         = [aws_subnet.public.id]
  security_groups = [aws_security_group.lb.id]
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.front.arn
  port              = 80
  protocol          = %(protocol)s

  default_action {
    %(action)s
  }
}
"""
FORWARD = 'type             = "forward"\n    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1"'
REDIRECT = 'type = "redirect"\n    redirect {\n      port        = "443"\n      protocol    = "HTTPS"\n      status_code = "HTTP_301"\n    }'


def lb_tf(
    cidr: str = '"0.0.0.0/0"',
    internal: str = "false",
    protocol: str = '"HTTP"',
    action: str = FORWARD,
) -> str:
    return LB % {"cidr": cidr, "internal": internal, "protocol": protocol, "action": action}


def test_plaintext_internet_listener_fires_on_the_listener(tf_repo) -> None:  # type: ignore[no-untyped-def]
    assert _findings(tf_repo({"lb.tf": lb_tf()}), TLS) == {
        ("TM-TLS-001", "aws_lb_listener.http", "lb.tf", 19, "high")
    }


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ({"action": REDIRECT}, "redirects to HTTPS"),
        ({"internal": "true"}, "internal load balancer"),
        ({"cidr": '"10.0.0.0/8"'}, "security group does not admit the internet"),
        ({"protocol": "var.listener_protocol"}, "protocol unknown"),
        ({"protocol": '"HTTPS"'}, "TLS"),
    ],
)
def test_listener_rule_silent_cases(tf_repo, variant, why) -> None:  # type: ignore[no-untyped-def]
    repo = tf_repo({"lb.tf": lb_tf(**variant), "vars.tf": 'variable "listener_protocol" {}\n'})
    assert _findings(repo, TLS) == set(), why


REST = """
resource "aws_api_gateway_rest_api" "api" {
  name = "api"
%(endpoint)s}

resource "aws_api_gateway_method" "get" {
  rest_api_id      = aws_api_gateway_rest_api.api.id
  resource_id      = aws_api_gateway_rest_api.api.root_resource_id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = %(key)s
}

resource "aws_api_gateway_stage" "live" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = "abc123"
  stage_name    = "live"
}
%(extra)s
"""
USAGE_PLAN = """
resource "aws_api_gateway_usage_plan" "partners" {
  name = "partners"

  api_stages {
    api_id = aws_api_gateway_rest_api.api.id
    stage  = aws_api_gateway_stage.live.stage_name
  }

  throttle_settings {
    rate_limit  = 20
    burst_limit = 40
  }
}
"""
METHOD_SETTINGS = """
resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.live.stage_name
  method_path = "*/*"

  settings {
    throttling_rate_limit  = 100
    throttling_burst_limit = 50
  }
}
"""
WAF = """
resource "aws_wafv2_web_acl_association" "live" {
  resource_arn = aws_api_gateway_stage.live.arn
  web_acl_arn  = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/edge/1"
}
"""
PRIVATE = '\n  endpoint_configuration {\n    types = ["PRIVATE"]\n  }\n'


def rest_tf(endpoint: str = "", key: str = "false", extra: str = "") -> str:
    return REST % {"endpoint": endpoint, "key": key, "extra": extra}


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ({}, {("TM-RATE-001", "aws_api_gateway_stage.live", "api.tf", 14, "high")}),
        ({"extra": METHOD_SETTINGS}, set()),
        ({"extra": WAF}, set()),
        ({"endpoint": PRIVATE}, set()),
        # A usage plan throttles only requests with an API key.
        ({"extra": USAGE_PLAN, "key": "true"}, set()),
        (
            {"extra": USAGE_PLAN, "key": "false"},
            {("TM-RATE-001", "aws_api_gateway_stage.live", "api.tf", 14, "high")},
        ),
    ],
)
def test_rest_api_rate_limit(tf_repo, variant, expected) -> None:  # type: ignore[no-untyped-def]
    assert _findings(tf_repo({"api.tf": rest_tf(**variant)}, network=False), RATE) == expected


def test_http_api_stage_without_default_route_throttling(tf_repo) -> None:  # type: ignore[no-untyped-def]
    http = """
resource "aws_apigatewayv2_api" "hooks" {
  name          = "hooks"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.hooks.id
  name        = "$default"
  auto_deploy = true
}
"""
    assert _findings(tf_repo({"http.tf": http}, network=False), RATE) == {
        ("TM-RATE-001", "aws_apigatewayv2_stage.default", "http.tf", 7, "high")
    }


class _Broken(Rule):
    """A rule that fails."""

    meta = RuleMeta("TM-TEST-999", "broken", "Broken", ("T",), ("tls",), Severity.LOW, "n/a")

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        raise RuntimeError("boom")


def test_a_failing_rule_becomes_a_diagnostic_and_others_still_run() -> None:
    base = scan(SHOP, rules=[])
    result = evaluate(base.graph, [_Broken(), *builtin_rules()])
    assert [(d.level, d.source, d.message) for d in result.diagnostics] == [
        ("error", "rule TM-TEST-999", "rule raised RuntimeError: boom")
    ]
    assert summary(result.findings) == SHOP_FINDINGS


def test_registry_ids_are_unique_and_documented() -> None:
    ids = [r.meta.id for r in RULES]
    assert ids == sorted(set(ids), key=ids.index)
    for rule in RULES:
        doc = rule.documentation()
        assert "Why it matters" in doc and "Remediation" in doc, rule.meta.id


def test_redirecting_listener_with_a_forwarding_rule_still_serves_plaintext(tf_repo) -> None:  # type: ignore[no-untyped-def]
    rule = """
resource "aws_lb_listener_rule" "health" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/h/1"
  }

  condition {
    path_pattern {
      values = ["/healthz"]
    }
  }
}
"""
    repo = tf_repo({"lb.tf": lb_tf(action=REDIRECT), "rule.tf": rule})
    assert _findings(repo, TLS) == {("TM-TLS-001", "aws_lb_listener.http", "lb.tf", 19, "high")}
