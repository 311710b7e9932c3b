"""VPC endpoints, peering and NAT gateways as VPC facts; bucket encryption, logging and
versioning as bucket facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.pipeline import scan

TfRepo = Callable[..., Path]

EXTRAS = """
resource "aws_vpc" "peer" {
  cidr_block = "10.9.0.0/16"
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
}

resource "aws_vpc_endpoint" "sm" {
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.eu-west-1.secretsmanager"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
}

resource "aws_vpc_peering_connection" "partner" {
  vpc_id        = aws_vpc.main.id
  peer_vpc_id   = aws_vpc.peer.id
  peer_owner_id = "210987654321"
}

resource "aws_nat_gateway" "main" {
  subnet_id     = aws_subnet.public.id
  allocation_id = "eipalloc-0a1b2c3d"
}

resource "aws_instance" "app" {
  subnet_id = aws_subnet.private.id
}
"""


def test_network_extras_are_facts_of_the_vpc_zone(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"extras.tf": EXTRAS}))
    vpc = result.graph.boundary("tf:.//aws_vpc.main")
    assert dict(vpc.props) == {
        "cidr": "10.0.0.0/16",
        "cross_account_peering": True,
        "nat_gateway": True,
        "peered_with": "aws_vpc.peer",
        "vpc_endpoints": "s3,secretsmanager",
    }
    assert {(ev.file, ev.address) for ev in vpc.evidence} >= {("extras.tf", "aws_vpc_endpoint.s3")}


BUCKETS = """
resource "aws_s3_bucket" "plain" {
  bucket = "acme-plain"
}

resource "aws_s3_bucket" "managed" {
  bucket = "acme-managed"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "managed" {
  bucket = aws_s3_bucket.managed.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "arn:aws:kms:eu-west-1:111122223333:key/0a1b"
    }
  }
}

resource "aws_s3_bucket_logging" "managed" {
  bucket        = aws_s3_bucket.managed.id
  target_bucket = aws_s3_bucket.plain.id
  target_prefix = "logs/"
}

resource "aws_s3_bucket_versioning" "managed" {
  bucket = aws_s3_bucket.managed.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket" "legacy" {
  bucket = "acme-legacy"

  versioning {
    enabled = true
  }

  logging {
    target_bucket = "acme-logs"
  }
}
"""


def test_bucket_settings_and_aws_defaults(tf_repo: TfRepo) -> None:
    result = scan(tf_repo({"s3.tf": BUCKETS}, network=False))
    props = {e.resource: dict(e.props) for e in result.graph.by_type("object-store")}
    assert props == {
        # Every new bucket is encrypted with SSE-S3; versioning is off until turned on;
        # logging not in the files may be configured elsewhere (unknown).
        "aws_s3_bucket.plain": {
            "encryption_at_rest": True,
            "kms_managed": False,
            "public": False,
            "versioning": False,
        },
        "aws_s3_bucket.managed": {
            "access_logging": True,
            "encryption_at_rest": True,
            "kms_managed": True,
            "public": False,
            "versioning": True,
        },
        "aws_s3_bucket.legacy": {
            "access_logging": True,
            "encryption_at_rest": True,
            "kms_managed": False,
            "public": False,
            "versioning": True,
        },
    }
