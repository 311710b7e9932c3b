"""Datastores in a VPC (Aurora/RDS clusters, ElastiCache, OpenSearch, Redshift, EFS):
their elements, zones, facts, flows and the exposure findings they lead to.

fixtures/aws/datastores_vpc is a small ledger system on AWS provider v5 with three
seeded weaknesses (a public Aurora reporting cluster, a public Elasticsearch domain
serving plaintext HTTP, a Redshift cluster left publicly accessible by the provider
default) and their correctly configured counterparts. The variants are about exposure
(TM-PUB-001): they compare that rule's findings only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import pytest

from collectors.terraform.services.datastores_vpc import RESOURCES
from collectors.terraform.values import address_type
from scanner.model import Element, Fact, Finding
from scanner.pipeline import ScanResult, scan
from tests.conftest import REPO

TfRepo = Callable[..., Path]
FIXTURE = REPO / "fixtures" / "aws" / "datastores_vpc"

ACCOUNT = "tf:.//account"
VPC = "tf:.//aws_vpc.main"
PUBLIC, PRIVATE, ISOLATED = f"{VPC}/public", f"{VPC}/private", f"{VPC}/isolated"
# The family's own resources, and the workloads of the fixture that use them.
SHOWN = set(RESOURCES) | {"aws_lambda_function", "aws_instance"}


def tf(address: str) -> str:
    return f"tf:.//{address}"


def elements(result: ScanResult) -> set[tuple[str, str, str | None, tuple[tuple[str, Fact], ...]]]:
    return {
        (e.type, e.resource, e.boundary, tuple(sorted(e.props.items())))
        for e in result.graph.elements
        if address_type(e.resource) in SHOWN
    }


def flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    ours = {e.id for e in result.graph.elements if address_type(e.resource) in SHOWN}
    return {
        (f.source, f.target, f.protocol, f.port, f.basis)
        for f in result.graph.flows
        if f.source in ours or f.target in ours
    }


PUB = ("TM-PUB-001",)


def summary(
    findings: Iterable[Finding], rules: Collection[str] | None = None
) -> set[tuple[str, str, str, int, str]]:
    """(rule, resource, file, line, confidence) of the findings, of `rules` only if given."""
    out = [
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in findings
        if rules is None or f.rule in rules
    ]
    assert len(out) == len(set(out)), f"duplicate findings: {out}"
    return set(out)


def element(result: ScanResult, resource: str) -> Element:
    (found,) = [e for e in result.graph.elements if e.resource == resource]
    return found


# --- the fixture system -------------------------------------------------------------------


def test_fixture_elements_are_placed_in_their_tiers_with_their_facts() -> None:
    result = scan(FIXTURE)
    assert elements(result) == {
        ("relational-db", "aws_rds_cluster.ledger", ISOLATED, (
            ("encryption_at_rest", True), ("engine", "aurora-postgresql"),
            ("iam_database_authentication", True), ("port", 5432), ("protocol", "postgres"),
            ("publicly_accessible", False),
        )),
        ("relational-db", "aws_rds_cluster.reporting", PUBLIC, (
            ("encryption_at_rest", False), ("engine", "aurora-mysql"),
            ("iam_database_authentication", False), ("port", 3306), ("protocol", "mysql"),
            ("publicly_accessible", True),
        )),
        ("cache", "aws_elasticache_replication_group.sessions", ISOLATED, (
            ("authn", "token"), ("encryption_at_rest", True), ("engine", "redis"),
            ("port", 6379), ("protocol", "redis"), ("tls", True),
        )),
        ("cache", "aws_elasticache_cluster.rates", ISOLATED, (
            ("authn", "none"), ("engine", "memcached"), ("port", 11211),
            ("protocol", "memcached"), ("tls", False),
        )),
        ("search-index", "aws_opensearch_domain.orders", ISOLATED, (
            ("encryption_at_rest", True), ("fine_grained_access_control", False),
            ("internet_facing", False), ("node_to_node_encryption", True), ("port", 443),
            ("protocol", "https"), ("tls", True),
        )),
        ("search-index", "aws_elasticsearch_domain.audit", ACCOUNT, (
            ("encryption_at_rest", False), ("fine_grained_access_control", False),
            ("internet_facing", True), ("node_to_node_encryption", False), ("port", 443),
            ("protocol", "https"), ("public", True), ("tls", False),
        )),
        ("relational-db", "aws_redshift_cluster.warehouse", PUBLIC, (
            ("encryption_at_rest", True), ("engine", "redshift"), ("port", 5439),
            ("protocol", "postgres"), ("publicly_accessible", True),
        )),
        ("file-system", "aws_efs_file_system.statements", PRIVATE, (
            ("encryption_at_rest", False), ("port", 2049), ("protocol", "nfs"),
        )),
        ("function", "aws_lambda_function.api", PRIVATE, ()),
        ("function", "aws_lambda_function.exporter", PRIVATE, ()),
        ("vm", "aws_instance.statements", PRIVATE, (("public_ip", False),)),
    }  # fmt: skip


def test_fixture_elements_carry_keys_and_parts() -> None:
    result = scan(FIXTURE)
    keys = {e.resource: e.key for e in result.graph.elements if e.type != "internet"}
    assert keys["aws_rds_cluster.ledger"] == "rds:cluster:ledger-prod"
    assert keys["aws_elasticache_replication_group.sessions"] == (
        "elasticache:replicationgroup:ledger-sessions"
    )
    assert keys["aws_elasticache_cluster.rates"] == "elasticache:cluster:ledger-rates"
    assert keys["aws_opensearch_domain.orders"] == "es:domain:ledger-orders"
    assert keys["aws_elasticsearch_domain.audit"] == "es:domain:ledger-audit"
    assert keys["aws_redshift_cluster.warehouse"] == "redshift:cluster:ledger-warehouse"
    assert keys["aws_efs_file_system.statements"] is None  # no name or identifier in config
    parts = {
        e.resource: [(p.kind, p.resource, dict(p.props)) for p in e.parts]
        for e in result.graph.elements
    }
    assert parts["aws_rds_cluster.ledger"] == [
        ("instance", "aws_rds_cluster_instance.ledger[0]", {"publicly_accessible": False}),
        ("instance", "aws_rds_cluster_instance.ledger[1]", {"publicly_accessible": False}),
    ]
    assert parts["aws_efs_file_system.statements"] == [
        ("mount-target", "aws_efs_mount_target.statements[0]", {}),
        ("mount-target", "aws_efs_mount_target.statements[1]", {}),
    ]


API, EXPORTER = tf("aws_lambda_function.api"), tf("aws_lambda_function.exporter")
HOST = tf("aws_instance.statements")
LEDGER, REPORTING = tf("aws_rds_cluster.ledger"), tf("aws_rds_cluster.reporting")
SESSIONS = tf("aws_elasticache_replication_group.sessions")
RATES = tf("aws_elasticache_cluster.rates")
ORDERS, AUDIT = tf("aws_opensearch_domain.orders"), tf("aws_elasticsearch_domain.audit")
WAREHOUSE = tf("aws_redshift_cluster.warehouse")
STATEMENTS = tf("aws_efs_file_system.statements")


def test_fixture_flows_from_env_vars_user_data_security_groups_and_the_internet() -> None:
    assert flows(scan(FIXTURE)) == {
        # Every leg stated: public address, public subnets, 0.0.0.0/0 on the port.
        ("internet", REPORTING, "mysql", 3306, "reachable"),
        ("internet", WAREHOUSE, "postgres", 5439, "reachable"),
        # A public endpoint whose access policy grants "*" and does not enforce HTTPS.
        ("internet", AUDIT, "http", 80, "reachable"),
        # Env vars and user data naming an endpoint: called flows on the service port.
        (API, LEDGER, "postgres", 5432, "called"),
        (API, SESSIONS, "redis", 6379, "called"),
        (API, ORDERS, "https", 443, "called"),
        (EXPORTER, WAREHOUSE, "postgres", 5439, "called"),
        (EXPORTER, RATES, "memcached", 11211, "called"),
        (HOST, STATEMENTS, "nfs", 2049, "called"),
        # Everything else the security groups admit (by group, or by the app CIDRs).
        (API, WAREHOUSE, "postgres", 5439, "reachable"),
        (API, RATES, "memcached", 11211, "reachable"),
        (API, STATEMENTS, "nfs", 2049, "reachable"),
        (EXPORTER, LEDGER, "postgres", 5432, "reachable"),
        (EXPORTER, SESSIONS, "redis", 6379, "reachable"),
        (EXPORTER, ORDERS, "https", 443, "reachable"),
        (EXPORTER, STATEMENTS, "nfs", 2049, "reachable"),
        (HOST, LEDGER, "postgres", 5432, "reachable"),
        (HOST, SESSIONS, "redis", 6379, "reachable"),
        (HOST, RATES, "memcached", 11211, "reachable"),
        (HOST, ORDERS, "https", 443, "reachable"),
        (HOST, WAREHOUSE, "postgres", 5439, "reachable"),
    }


def test_fixture_findings_are_exactly_the_seeded_weaknesses() -> None:
    result = scan(FIXTURE)
    assert summary(result.findings) == {
        # Located at the instance that makes the cluster's address public.
        ("TM-PUB-001", "aws_rds_cluster.reporting", "aurora.tf", 48, "high"),
        # Located at the policy that grants "*".
        ("TM-PUB-001", "aws_elasticsearch_domain.audit", "search.tf", 68, "high"),
        ("TM-PUB-001", "aws_redshift_cluster.warehouse", "redshift.tf", 6, "high"),
        # Unencrypted at rest: storage_encrypted, encrypt_at_rest and encrypted unset
        # (the provider defaults are off).
        ("TM-ENC-001", "aws_rds_cluster.reporting", "aurora.tf", 37, "high"),
        ("TM-ENC-001", "aws_elasticsearch_domain.audit", "search.tf", 50, "high"),
        ("TM-ENC-001", "aws_efs_file_system.statements", "efs.tf", 1, "high"),
        # No fine-grained access control: the audit domain is open to the internet, the
        # orders domain is reached by the two Lambdas and the statements host.
        ("TM-AUTHZ-001", "aws_elasticsearch_domain.audit", "search.tf", 50, "high"),
        ("TM-AUTHZ-001", "aws_opensearch_domain.orders", "search.tf", 5, "high"),
        # No aws_flow_log anywhere in the sources: unconfirmed.
        ("TM-LOG-002", "aws_vpc.main", "network.tf", 8, "low"),
    }
    by_resource = {f.resource: f for f in result.findings if f.rule in PUB}
    assert by_resource["aws_rds_cluster.reporting"].asset == "rds:cluster:ledger-reporting"
    assert by_resource["aws_redshift_cluster.warehouse"].path == ("internet", WAREHOUSE)
    legs = {(ev.file, ev.address) for ev in by_resource["aws_rds_cluster.reporting"].evidence}
    assert legs == {
        ("aurora.tf", "aws_rds_cluster_instance.reporting"),
        ("aurora.tf", "aws_rds_cluster.reporting"),
        ("network.tf", "aws_route_table.public"),
        ("network.tf", "aws_route_table_association.public[0]"),
        ("security_groups.tf", "aws_security_group.reporting_db"),
    }


def test_plaintext_search_endpoint_is_not_a_listener_finding() -> None:
    # The audit domain accepts HTTP, but as a reachable datastore endpoint (TM-PUB-001),
    # not as an entry point's listener: TM-TLS-001 needs a called flow to a listener.
    (flow,) = [f for f in scan(FIXTURE).graph.flows if f.target == AUDIT]
    assert (flow.tls, flow.authn) == (False, "none")


# --- Aurora / RDS clusters ----------------------------------------------------------------

AURORA = """
resource "aws_db_subnet_group" "db" {
  name       = "orders"
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

resource "aws_rds_cluster" "orders" {
  cluster_identifier     = "orders"
  engine                 = "aurora-postgresql"
  master_username        = "orders"
  master_password        = "change-me-in-secrets-manager"
  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id]
}

resource "aws_rds_cluster_instance" "writer" {
  identifier          = "orders-writer"
  cluster_identifier  = aws_rds_cluster.orders.id
  instance_class      = "db.r6g.large"
  engine              = aws_rds_cluster.orders.engine
  publicly_accessible = %(public)s
}

resource "aws_rds_cluster_instance" "reader" {
  identifier         = "orders-reader"
  cluster_identifier = aws_rds_cluster.orders.id
  instance_class     = "db.r6g.large"
  engine             = aws_rds_cluster.orders.engine
}
"""
WORLD = '["0.0.0.0/0"]'
OPEN_AURORA = {"subnet": "public", "cidrs": WORLD, "public": "true"}
ORDERS_DB = tf("aws_rds_cluster.orders")


@pytest.mark.parametrize(
    ("change", "exposed"),
    [
        ({}, True),
        ({"public": "false"}, False),  # no public address
        ({"subnet": "private"}, False),  # no route from the internet gateway
        ({"cidrs": '["10.0.0.0/16"]'}, False),  # the security group admits the VPC only
    ],
    ids=["every-leg", "not-publicly-accessible", "private-subnets", "vpc-only-rule"],
)
def test_aurora_cluster_is_reachable_only_when_every_leg_is_stated(
    tf_repo: TfRepo, change: dict[str, str], exposed: bool
) -> None:
    result = scan(tf_repo({"db.tf": AURORA % {**OPEN_AURORA, **change}}))
    internet = {("internet", ORDERS_DB, "postgres", 5432, "reachable")}
    assert flows(result) == (internet if exposed else set())
    # Located at the writer instance: the block that gives the cluster a public address.
    expected = {("TM-PUB-001", "aws_rds_cluster.orders", "db.tf", 27, "high")}
    assert summary(result.findings, PUB) == (expected if exposed else set())
    db = element(result, "aws_rds_cluster.orders")
    assert db.fact("publicly_accessible") is (change.get("public", "true") == "true")


def test_aurora_instance_that_may_not_exist_makes_the_exposure_unconfirmed(
    tf_repo: TfRepo,
) -> None:
    text = AURORA % OPEN_AURORA
    text = text.replace(
        '  identifier          = "orders-writer"', "  count = var.public_writer ? 1 : 0\n"
    )
    result = scan(tf_repo({"db.tf": 'variable "public_writer" {}\n' + text}))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_rds_cluster.orders", "db.tf", 28, "low")
    }


def test_aurora_instance_of_an_unknown_cluster_leaves_public_access_unknown(
    tf_repo: TfRepo,
) -> None:
    extra = """
variable "cluster_id" {}

resource "aws_rds_cluster_instance" "adhoc" {
  cluster_identifier  = var.cluster_id
  instance_class      = "db.r6g.large"
  engine              = "aurora-postgresql"
  publicly_accessible = true
}
"""
    result = scan(tf_repo({"db.tf": AURORA % {**OPEN_AURORA, "public": "false"}, "x.tf": extra}))
    assert element(result, "aws_rds_cluster.orders").fact("publicly_accessible") is None
    assert flows(result) == set()  # unknown is not exposure


def test_multi_az_db_cluster_states_public_access_on_the_cluster(tf_repo: TfRepo) -> None:
    cluster = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_security_group" "db" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port        = 3306
    to_port          = 3306
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }
}

resource "aws_rds_cluster" "billing" {
  cluster_identifier        = "billing"
  engine                    = "mysql"
  db_cluster_instance_class = "db.m6gd.large"
  storage_type              = "io1"
  allocated_storage         = 100
  iops                      = 1000
  master_username           = "billing"
  manage_master_user_password = true
  db_subnet_group_name      = aws_db_subnet_group.db.name
  vpc_security_group_ids    = [aws_security_group.db.id]
  publicly_accessible       = true
}
"""
    result = scan(tf_repo({"db.tf": cluster}))
    billing = tf("aws_rds_cluster.billing")
    assert flows(result) == {("internet", billing, "mysql", 3306, "reachable")}
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_rds_cluster.billing", "db.tf", 17, "high")
    }


@pytest.mark.parametrize(
    ("setting", "encrypted"),
    [
        ("", False),  # provider default for the provisioned engine mode
        ('engine_mode = "serverless"', True),  # provider default for serverless
        ('snapshot_identifier = "orders-final"', None),  # inherits the snapshot's
        ("storage_encrypted = true", True),
    ],
)
def test_aurora_storage_encryption_follows_provider_defaults(
    tf_repo: TfRepo, setting: str, encrypted: bool | None
) -> None:
    cluster = f"""
resource "aws_rds_cluster" "orders" {{
  engine = "aurora-mysql"
  {setting}
}}
"""
    result = scan(tf_repo({"db.tf": cluster}))
    db = element(result, "aws_rds_cluster.orders")
    assert db.fact("encryption_at_rest") is encrypted
    assert (db.boundary, db.fact("port"), db.fact("protocol")) == (ACCOUNT, 3306, "mysql")


# --- Redshift -----------------------------------------------------------------------------

REDSHIFT = """
resource "aws_redshift_subnet_group" "dw" {
  name       = "dw"
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_security_group" "dw" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 5439
    to_port     = 5439
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_redshift_cluster" "dw" {
  cluster_identifier        = "dw"
  node_type                 = "ra3.xlplus"
  master_username           = "dw"
  manage_master_password    = true
  cluster_subnet_group_name = "dw"
  vpc_security_group_ids    = [aws_security_group.dw.id]
  %(setting)s
}
"""


@pytest.mark.parametrize(
    ("setting", "exposed"),
    [
        # The provider default flipped between v5 (true) and v6 (false): unknown.
        ("", False),
        ("publicly_accessible = true", True),
        ("publicly_accessible = false", False),
        ("port = 5440", False),  # the open rule is for another port
    ],
    ids=["provider-default", "stated-true", "stated-false", "other-port"],
)
def test_redshift_cluster_exposure(tf_repo: TfRepo, setting: str, exposed: bool) -> None:
    result = scan(tf_repo({"dw.tf": REDSHIFT % {"setting": setting}}))
    dw = element(result, "aws_redshift_cluster.dw")
    # Placed by the literal subnet group name; encryption unstated: unknown (AWS encrypts
    # every cluster created since January 2025, older ones kept the v5 default of false).
    assert (dw.boundary, dw.fact("encryption_at_rest")) == (PUBLIC, None)
    port = 5440 if "5440" in setting else 5439
    internet = {("internet", dw.id, "postgres", port, "reachable")}
    assert flows(result) == (internet if exposed else set())
    expected = {("TM-PUB-001", "aws_redshift_cluster.dw", "dw.tf", 18, "high")}
    assert summary(result.findings, PUB) == (expected if exposed else set())


# --- OpenSearch / Elasticsearch -----------------------------------------------------------

DOMAIN = """
resource "aws_opensearch_domain" "logs" {
  domain_name    = "logs"
  engine_version = "OpenSearch_2.11"

  cluster_config {
    instance_type = "t3.small.search"
  }

  domain_endpoint_options {
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }
%(vpc)s}

resource "aws_opensearch_domain_policy" "logs" {
  domain_name = aws_opensearch_domain.logs.domain_name

  access_policies = jsonencode({
    Version = "2012-10-17"
    Statement = [merge({
      Effect    = "Allow"
      Principal = "*"
      Action    = "es:ESHttpGet"
      Resource  = "${aws_opensearch_domain.logs.arn}/*"
    }, %(condition)s)]
  })
}
"""
IN_VPC = """
  vpc_options {
    subnet_ids         = [aws_subnet.private.id]
    security_group_ids = [aws_security_group.search.id]
  }
"""
SEARCH_SG = """
resource "aws_security_group" "search" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.1.0/24"]
  }
}

resource "aws_instance" "shipper" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
}
"""
IP_CONDITION = '{ Condition = { IpAddress = { "aws:SourceIp" = ["198.51.100.0/24"] } } }'
LOGS = tf("aws_opensearch_domain.logs")
SHIPPER = tf("aws_instance.shipper")


@pytest.mark.parametrize(
    ("vpc", "condition", "boundary", "expected_flows", "findings"),
    [
        # Public endpoint, "*" without a condition: anyone on the internet.
        ("", "{}", ACCOUNT, {("internet", LOGS, "https", 443, "reachable")},
         {("TM-PUB-001", "aws_opensearch_domain.logs", "search.tf", 15, "high")}),
        # A source-IP condition is not evaluated: not confirmed public, so no flow.
        ("", IP_CONDITION, ACCOUNT, set(), set()),
        # In a VPC the endpoint is private whatever the policy; peers come from the SG.
        (IN_VPC, "{}", ISOLATED, {(SHIPPER, LOGS, "https", 443, "reachable")}, set()),
    ],
    ids=["public-endpoint", "ip-condition", "vpc-endpoint"],
)  # fmt: skip
def test_search_domain_exposure(
    tf_repo: TfRepo,
    vpc: str,
    condition: str,
    boundary: str,
    expected_flows: set[tuple[str, str, str, int, str]],
    findings: set[tuple[str, str, str, int, str]],
) -> None:
    files = {"search.tf": DOMAIN % {"vpc": vpc, "condition": condition}, "sg.tf": SEARCH_SG}
    result = scan(tf_repo(files))
    logs = element(result, "aws_opensearch_domain.logs")
    assert logs.boundary == boundary
    assert logs.fact("tls") is True  # enforce_https defaults to true inside the block
    assert flows(result) == expected_flows
    assert summary(result.findings, PUB) == findings
    public = [f for f in result.graph.flows if f.source == "internet"]
    assert [(f.tls, f.authn) for f in public] == ([(True, "none")] if findings else [])


@pytest.mark.parametrize(
    ("old", "new", "findings"),
    [
        # A policy that may not exist: the exposure stands, unconfirmed.
        (
            "  domain_name = aws_opensearch_domain.logs.domain_name",
            "  count       = var.open_logs ? 1 : 0\n  domain_name = aws_opensearch_domain.logs.domain_name",
            {("TM-PUB-001", "aws_opensearch_domain.logs", "search.tf", 17, "low")},
        ),
        # A policy whose domain is not known might be this domain's: public is unknown.
        (
            "  domain_name = aws_opensearch_domain.logs.domain_name",
            "  domain_name = var.domain",
            set(),
        ),
    ],
    ids=["conditional-policy", "policy-of-an-unknown-domain"],
)
def test_search_domain_policy_that_may_not_apply(
    tf_repo: TfRepo, old: str, new: str, findings: set[tuple[str, str, str, int, str]]
) -> None:
    text = DOMAIN % {"vpc": "", "condition": "{}"}
    variables = 'variable "open_logs" {}\nvariable "domain" {}\n'
    result = scan(tf_repo({"search.tf": variables + text.replace(old, new)}))
    assert summary(result.findings, PUB) == findings
    assert element(result, "aws_opensearch_domain.logs").fact("public") is (
        True if findings else None
    )


def test_search_domain_with_unreadable_policy_is_not_public(tf_repo: TfRepo) -> None:
    domain = """
variable "policy" {}

resource "aws_elasticsearch_domain" "legacy" {
  domain_name     = "legacy"
  access_policies = var.policy
}
"""
    result = scan(tf_repo({"es.tf": domain}))
    legacy = element(result, "aws_elasticsearch_domain.legacy")
    assert "public" not in legacy.props and "tls" not in legacy.props
    assert flows(result) == set()


def test_search_domain_whose_vpc_options_are_not_known_is_not_public(tf_repo: TfRepo) -> None:
    dynamic_vpc = """
variable "private_subnet_ids" {
  type = list(string)
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"

  dynamic "vpc_options" {
    for_each = length(var.private_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids = var.private_subnet_ids
    }
  }

  dynamic "domain_endpoint_options" {
    for_each = length(var.private_subnet_ids) > 0 ? [1] : []
    content {
      enforce_https = true
    }
  }

  access_policies = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "es:*", Resource = "*" }]
  })
}
"""
    result = scan(tf_repo({"search.tf": dynamic_vpc}))
    logs = element(result, "aws_opensearch_domain.logs")
    assert logs.boundary == ACCOUNT
    assert not {"internet_facing", "public", "tls"} & set(logs.props)
    assert flows(result) == set()
    assert summary(result.findings, PUB) == set()


# --- ElastiCache --------------------------------------------------------------------------

CACHE = """
resource "aws_elasticache_subnet_group" "cache" {
  name       = "cache"
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_security_group" "cache" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_elasticache_replication_group" "sessions" {
  replication_group_id = "sessions"
  description          = "sessions"
  node_type            = "cache.t4g.micro"
  subnet_group_name    = "cache"
  security_group_ids   = [aws_security_group.cache.id]
  %(setting)s
}

resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}
"""


@pytest.mark.parametrize(
    ("setting", "tls", "authn"),
    [
        ("", False, "none"),  # no TLS, hence no AUTH: anyone who can connect
        ("transit_encryption_enabled = true", True, None),  # a token may be set elsewhere
        (
            "transit_encryption_enabled = true\n  auth_token = var.redis_token",
            True,
            "token",
        ),
        ('transit_encryption_enabled = true\n  user_group_ids = ["app"]', True, "rbac"),
    ],
    ids=["defaults", "tls-only", "auth-token", "rbac"],
)
def test_cache_in_a_public_subnet_is_never_internet_reachable(
    tf_repo: TfRepo, setting: str, tls: bool, authn: str | None
) -> None:
    token = 'variable "redis_token" {\n  default = "0123456789abcdef0123"\n}\n'
    result = scan(tf_repo({"cache.tf": token + CACHE % {"setting": setting}}))
    cache = element(result, "aws_elasticache_replication_group.sessions")
    assert cache.boundary == PUBLIC
    assert (cache.fact("tls"), cache.fact("authn")) == (tls, authn)
    assert cache.fact("encryption_at_rest") is False  # provider default for redis
    # ElastiCache has no public endpoint: the world-open rule makes no internet flow
    # (and, like every world rule, no flow from each VPC peer either).
    assert flows(result) == set()
    assert summary(result.findings, PUB) == set()


def test_member_cluster_of_a_replication_group_is_a_node_of_it(tf_repo: TfRepo) -> None:
    replica = """
resource "aws_elasticache_cluster" "replica" {
  cluster_id           = "sessions-replica"
  replication_group_id = aws_elasticache_replication_group.sessions.id
}
"""
    result = scan(tf_repo({"cache.tf": CACHE % {"setting": ""}, "replica.tf": replica}))
    assert not [e for e in result.graph.elements if e.resource == "aws_elasticache_cluster.replica"]
    cache = element(result, "aws_elasticache_replication_group.sessions")
    assert [(p.kind, p.resource) for p in cache.parts] == [
        ("node", "aws_elasticache_cluster.replica")
    ]


def test_valkey_is_encrypted_at_rest_by_default_and_speaks_redis(tf_repo: TfRepo) -> None:
    valkey = 'engine = "valkey"'
    result = scan(tf_repo({"cache.tf": CACHE % {"setting": valkey}}))
    cache = element(result, "aws_elasticache_replication_group.sessions")
    assert (cache.fact("encryption_at_rest"), cache.fact("protocol")) == (True, "redis")


# --- EFS ----------------------------------------------------------------------------------

EFS = """
resource "aws_efs_file_system" "shared" {
  creation_token = "shared"
  encrypted      = true
}

resource "aws_security_group" "efs" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 2049
    to_port     = 2049
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_efs_mount_target" "shared" {
  for_each = {
    public  = aws_subnet.public.id
    private = aws_subnet.private.id
  }

  file_system_id  = aws_efs_file_system.shared.id
  subnet_id       = each.value
  security_groups = [aws_security_group.efs.id]
}

resource "aws_lambda_function" "thumbs" {
  function_name = "thumbs"
  role          = "arn:aws:iam::111122223333:role/thumbs"
  runtime       = "python3.12"
  handler       = "thumbs.handler"
  filename      = "thumbs.zip"

  vpc_config {
    subnet_ids         = [aws_subnet.private.id]
    security_group_ids = [aws_security_group.efs.id]
  }

  environment {
    variables = {
      EFS_HOST = aws_efs_file_system.shared.dns_name
    }
  }
}
"""


def test_file_system_sits_with_its_mount_targets_and_is_never_internet_reachable(
    tf_repo: TfRepo,
) -> None:
    result = scan(tf_repo({"efs.tf": EFS}))
    fs = element(result, "aws_efs_file_system.shared")
    # One mount target in a public subnet: the least trusted tier it spans.
    assert fs.boundary == PUBLIC
    assert dict(fs.props) == {"encryption_at_rest": True, "port": 2049, "protocol": "nfs"}
    assert flows(result) == {
        (tf("aws_lambda_function.thumbs"), fs.id, "nfs", 2049, "called"),
    }
    assert summary(result.findings, PUB) == set()


# --- env vars naming each kind of endpoint ------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "attribute", "protocol", "port"),
    [
        ("aws_rds_cluster.orders", "reader_endpoint", "postgres", 5432),
        ("aws_redshift_cluster.dw", "dns_name", "postgres", 5439),
        ("aws_opensearch_domain.logs", "endpoint", "https", 443),
        ("aws_elasticache_replication_group.sessions", "primary_endpoint_address", "redis", 6379),
    ],
)
def test_lambda_env_var_naming_an_endpoint_is_a_called_flow(
    tf_repo: TfRepo, resource: str, attribute: str, protocol: str, port: int
) -> None:
    stores = {
        "db.tf": AURORA % {**OPEN_AURORA, "subnet": "private"},
        "dw.tf": REDSHIFT % {"setting": "publicly_accessible = false"},
        "search.tf": DOMAIN % {"vpc": "", "condition": IP_CONDITION},
        "cache.tf": CACHE % {"setting": ""},
    }
    fn = f"""
resource "aws_lambda_function" "worker" {{
  function_name = "worker"
  role          = "arn:aws:iam::111122223333:role/worker"
  runtime       = "nodejs20.x"
  handler       = "index.handler"
  filename      = "worker.zip"

  environment {{
    variables = {{
      TARGET = {resource}.{attribute}
    }}
  }}
}}
"""
    result = scan(tf_repo({**stores, "fn.tf": fn}))
    worker = tf("aws_lambda_function.worker")
    assert {f for f in flows(result) if f[0] == worker} == {
        (worker, tf(resource), protocol, port, "called")
    }
