"""Facts the AWS rules decide on: ALB access logs, listener TLS policy defaults, KMS key specs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.pipeline import scan

TfRepo = Callable[..., Path]

LOAD_BALANCERS = """
resource "aws_lb" "quiet" {
  name    = "quiet"
  subnets = [aws_subnet.public.id]
}

resource "aws_lb" "logged" {
  name    = "logged"
  subnets = [aws_subnet.public.id]

  access_logs {
    bucket  = "acme-lb-logs"
    enabled = true
  }
}

resource "aws_lb" "bucket_only" {
  name    = "bucket-only"
  subnets = [aws_subnet.public.id]

  access_logs {
    bucket = "acme-lb-logs"
  }
}

resource "aws_lb" "switched" {
  name    = "switched"
  subnets = [aws_subnet.public.id]

  access_logs {
    bucket  = "acme-lb-logs"
    enabled = var.lb_logs
  }
}

variable "lb_logs" {
  type = bool
}

variable "tls_policy" {
  type = string
}

resource "aws_lb_listener" "unset" {
  load_balancer_arn = aws_lb.quiet.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
}

resource "aws_lb_listener" "stated" {
  load_balancer_arn = aws_lb.logged.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
}

resource "aws_lb_listener" "from_variable" {
  load_balancer_arn = aws_lb.bucket_only.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.tls_policy
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
}

resource "aws_lb_listener" "plain" {
  load_balancer_arn = aws_lb.switched.arn
  port              = 80
  protocol          = "HTTP"
}
"""

KEYS = """
resource "aws_kms_key" "data" {
  description = "data"
}

resource "aws_kms_key" "signing" {
  description              = "JWT signing"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "RSA_2048"
}
"""


def test_alb_access_logs_follow_the_provider_default(tf_repo: TfRepo) -> None:
    graph = scan(tf_repo({"lb.tf": LOAD_BALANCERS})).graph
    logging = {
        e.resource: e.fact("access_logging") for e in graph.elements if e.type == "load-balancer"
    }
    # No block, or a block without enabled = true: off; an unresolved switch: unknown.
    assert logging == {
        "aws_lb.quiet": False,
        "aws_lb.logged": True,
        "aws_lb.bucket_only": False,
        "aws_lb.switched": None,
    }


def test_tls_listener_without_ssl_policy_gets_the_api_default(tf_repo: TfRepo) -> None:
    graph = scan(tf_repo({"lb.tf": LOAD_BALANCERS})).graph
    policies = {
        p.resource: p.fact("ssl_policy")
        for e in graph.elements
        for p in e.parts
        if p.kind == "listener"
    }
    assert policies == {
        "aws_lb_listener.unset": "ELBSecurityPolicy-2016-08",
        "aws_lb_listener.stated": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "aws_lb_listener.from_variable": None,  # not known: not the default
        "aws_lb_listener.plain": None,  # plaintext listeners have no policy
    }


def test_kms_keys_carry_their_spec(tf_repo: TfRepo) -> None:
    graph = scan(tf_repo({"kms.tf": KEYS}, network=False)).graph
    specs = {e.resource: e.fact("key_spec") for e in graph.elements if e.type == "key-store"}
    assert specs == {"aws_kms_key.data": "SYMMETRIC_DEFAULT", "aws_kms_key.signing": "RSA_2048"}


def test_a_trail_alone_keeps_the_account_zone_and_its_facts(tf_repo: TfRepo) -> None:
    # An account baseline whose trail writes to the organisation's log archive bucket.
    trail = """
resource "aws_cloudtrail" "org_member" {
  name           = "member-events"
  s3_bucket_name = "acme-org-cloudtrail-archive"
}
"""
    graph = scan(tf_repo({"trail.tf": trail}, network=False)).graph
    (account,) = [b for b in graph.boundaries if b.type == "account"]
    assert dict(account.props) == {
        "audit_trail": True,
        "audit_multi_region": False,
        "audit_global_events": True,
        "audit_log_validation": False,
    }


def test_redshift_encryption_unstated_is_unknown(tf_repo: TfRepo) -> None:
    clusters = """
resource "aws_redshift_cluster" "new" {
  cluster_identifier = "new"
  node_type          = "ra3.xlplus"
}

resource "aws_redshift_cluster" "legacy" {
  cluster_identifier = "legacy"
  node_type          = "dc2.large"
  encrypted          = false
}
"""
    graph = scan(tf_repo({"redshift.tf": clusters}, network=False)).graph
    facts = {e.resource: e.fact("encryption_at_rest") for e in graph.elements if e.key}
    # Created since January 2025 it is encrypted whatever the file says; before, not.
    assert facts == {"aws_redshift_cluster.new": None, "aws_redshift_cluster.legacy": False}
