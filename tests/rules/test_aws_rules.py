"""The AWS rules' unknown-versus-confirmed decisions: what stays silent, what is unconfirmed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rules.aws_access import (
    ClusterEndpointOpenToInternet,
    ManagementPortOpenToInternet,
)
from rules.aws_audit import AccountAuditTrailIncomplete, VpcWithoutFlowLogs
from rules.aws_compute import InstanceMetadataV1OnExposedHost
from rules.aws_data import (
    AwsManagedKeyAmongCustomerKeys,
    DatastoreNotEncryptedAtRest,
    KmsKeyWithoutRotation,
    SearchDomainWithoutFineGrainedAccess,
)
from rules.aws_tls import OutdatedTlsPolicyOnInternetListener, minimum_tls
from rules.engine import Rule
from scanner.pipeline import ScanOptions, scan

TfRepo = Callable[..., Path]
Row = tuple[str, str, str]  # resource, severity, confidence


def findings(rule: Rule, root: Path) -> set[Row]:
    result = scan(root, rules=[rule], options=ScanOptions(use_cache=False))
    return {(f.resource, f.severity.label, f.confidence.label) for f in result.findings}


VARIABLE = """
variable "encrypted" {
  type = bool
}
"""


def db(name: str, encrypted: str | None) -> str:
    setting = f"\n  storage_encrypted = {encrypted}" if encrypted is not None else ""
    return f"""
resource "aws_db_instance" "{name}" {{
  identifier     = "{name}"
  engine         = "postgres"
  instance_class = "db.t4g.medium"{setting}
}}
"""


def test_a_datastore_whose_encryption_is_unknown_yields_nothing(tf_repo: TfRepo) -> None:
    root = tf_repo(
        {
            "db.tf": VARIABLE
            + db("unknown", "var.encrypted")
            + db("unset", None)
            + db("on", "true"),
        },
        network=False,
    )
    # Only the instance whose setting is known to be off (the provider default) fires.
    assert findings(DatastoreNotEncryptedAtRest(), root) == {
        ("aws_db_instance.unset", "medium", "high")
    }


TABLE = """
resource "aws_dynamodb_table" "{name}" {{
  name     = "{name}"
  hash_key = "id"

  attribute {{
    name = "id"
    type = "S"
  }}
{sse}}}
"""
CMK = """
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }
"""
KEY = 'resource "aws_kms_key" "data" {\n  enable_key_rotation = true\n}\n'


def test_aws_managed_keys_are_judged_only_beside_customer_keys(tf_repo: TfRepo) -> None:
    alone = tf_repo({"t.tf": TABLE.format(name="sessions", sse="")}, network=False)
    assert findings(AwsManagedKeyAmongCustomerKeys(), alone) == set()
    both = tf_repo(
        {"t.tf": KEY + TABLE.format(name="orders", sse=CMK) + TABLE.format(name="carts", sse="")},
        network=False,
    )
    assert findings(AwsManagedKeyAmongCustomerKeys(), both) == {
        ("aws_dynamodb_table.carts", "low", "high")
    }


def test_key_rotation_is_not_judged_on_asymmetric_keys_and_unconfirmed_on_unknown_specs(
    tf_repo: TfRepo,
) -> None:
    root = tf_repo(
        {
            "kms.tf": """
variable "spec" {
  type = string
}

resource "aws_kms_key" "data" {}

resource "aws_kms_key" "signing" {
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "RSA_2048"
}

resource "aws_kms_key" "whatever" {
  customer_master_key_spec = var.spec
}
"""
        },
        network=False,
    )
    assert findings(KmsKeyWithoutRotation(), root) == {
        ("aws_kms_key.data", "low", "high"),
        ("aws_kms_key.whatever", "low", "low"),
    }


TRAIL = """
resource "aws_cloudtrail" "main" {{
  name           = "main"
  s3_bucket_name = "acme-trail"
{body}
}}
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # No trail in the sources: an organisation trail may record the account.
        (None, set()),
        # A trail that may not exist (count from a variable without a value): unknown.
        (
            "  count = var.trail ? 1 : 0\n  is_multi_region_trail = false",
            set(),
        ),
        # Stopped: confirmed, whatever else it says.
        ("  enable_logging = false", {("aws_cloudtrail.main", "medium", "high")}),
        # Single region only: a fact of the trail, but others may cover the rest.
        (
            "  is_multi_region_trail = false\n  enable_log_file_validation = true",
            {("aws_cloudtrail.main", "medium", "medium")},
        ),
        # Validation off only: low, confirmed.
        (
            "  is_multi_region_trail = true\n  enable_log_file_validation = false",
            {("aws_cloudtrail.main", "low", "high")},
        ),
        (
            "  is_multi_region_trail = true\n  enable_log_file_validation = true",
            set(),
        ),
    ],
)
def test_account_trail_is_judged_only_when_the_sources_declare_one(
    tf_repo: TfRepo, body: str | None, expected: set[Row]
) -> None:
    files = {"main.tf": 'variable "trail" {\n  type = bool\n}\n'}
    if body is not None:
        files["trail.tf"] = TRAIL.format(body=body)
    root = tf_repo(files, network=False)
    assert findings(AccountAuditTrailIncomplete(), root) == expected


PRIVATE_DB = """
resource "aws_db_subnet_group" "db" {
  name       = "db"
  subnet_ids = [aws_subnet.private.id]
}

resource "aws_db_instance" "db" {
  identifier           = "db"
  engine               = "postgres"
  instance_class       = "db.t4g.medium"
  storage_encrypted    = true
  db_subnet_group_name = aws_db_subnet_group.db.name
}
"""
OTHER_VPC = """
resource "aws_vpc" "other" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "other" {
  vpc_id     = aws_vpc.other.id
  cidr_block = "10.1.1.0/24"
}

resource "aws_instance" "other" {
  subnet_id = aws_subnet.other.id
}

resource "aws_flow_log" "other" {
  vpc_id       = aws_vpc.other.id
  traffic_type = "ALL"
}
"""


def test_missing_flow_logs_are_unconfirmed_unless_the_sources_manage_flow_logs(
    tf_repo: TfRepo,
) -> None:
    root = tf_repo({"db.tf": PRIVATE_DB})
    assert findings(VpcWithoutFlowLogs(), root) == {("aws_vpc.main", "low", "low")}
    (root / "other.tf").write_text(OTHER_VPC)
    assert findings(VpcWithoutFlowLogs(), root) == {("aws_vpc.main", "low", "medium")}


def test_a_vpc_the_sources_only_refer_to_is_not_judged(tf_repo: TfRepo) -> None:
    root = tf_repo(
        {
            "shared.tf": """
data "aws_vpc" "shared" {
  tags = { Name = "shared-services" }
}

resource "aws_subnet" "data" {
  vpc_id     = data.aws_vpc.shared.id
  cidr_block = "10.8.20.0/24"
}
"""
            + PRIVATE_DB.replace("aws_subnet.private", "aws_subnet.data")
        },
        network=False,
    )
    assert findings(VpcWithoutFlowLogs(), root) == set()


EKS = """
variable "admin_cidrs" {{
  type = list(string)
}}

resource "aws_eks_cluster" "main" {{
  name     = "main"
  role_arn = "arn:aws:iam::123456789012:role/eks"

  vpc_config {{
    subnet_ids = [aws_subnet.private.id]
{access}
  }}
}}
"""


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        ("", {("aws_eks_cluster.main", "medium", "high")}),  # provider default: 0.0.0.0/0
        ('    public_access_cidrs = ["203.0.113.0/24"]', set()),
        ("    public_access_cidrs = var.admin_cidrs", {("aws_eks_cluster.main", "medium", "low")}),
        ("    endpoint_public_access = false", set()),
    ],
)
def test_cluster_endpoint_cidrs_decide_confirmation(
    tf_repo: TfRepo, access: str, expected: set[Row]
) -> None:
    root = tf_repo({"eks.tf": EKS.format(access=access)})
    assert findings(ClusterEndpointOpenToInternet(), root) == expected


def host(tokens: str | None, subnet: str, open_port: str | None) -> str:
    metadata = f'\n  metadata_options {{\n    http_tokens = "{tokens}"\n  }}\n' if tokens else ""
    ingress = (
        f"""
  ingress {{
    from_port   = {open_port}
    to_port     = {open_port}
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
"""
        if open_port
        else ""
    )
    return f"""
resource "aws_security_group" "host" {{
  vpc_id = aws_vpc.main.id
{ingress}}}

resource "aws_launch_template" "host" {{
  name_prefix            = "host-"
  vpc_security_group_ids = [aws_security_group.host.id]
{metadata}}}

resource "aws_autoscaling_group" "host" {{
  min_size            = 1
  max_size            = 1
  vpc_zone_identifier = [aws_subnet.{subnet}.id]

  launch_template {{
    id = aws_launch_template.host.id
  }}
}}
"""


@pytest.mark.parametrize(
    ("tokens", "subnet", "port", "expected"),
    [
        # Metadata options not stated: the AMI and account defaults decide.
        (None, "public", "443", set()),
        ("optional", "public", "443", {("aws_launch_template.host", "high", "high")}),
        ("optional", "public", None, {("aws_launch_template.host", "medium", "high")}),
        ("optional", "private", None, set()),
        ("required", "public", "443", set()),
    ],
)
def test_imds_v1_severity_follows_exposure_and_unknown_is_silent(
    tf_repo: TfRepo, tokens: str | None, subnet: str, port: str | None, expected: set[Row]
) -> None:
    root = tf_repo({"host.tf": host(tokens, subnet, port)})
    assert findings(InstanceMetadataV1OnExposedHost(), root) == expected


def test_a_port_range_open_to_the_internet_is_unconfirmed(tf_repo: TfRepo) -> None:
    text = host(None, "public", "22").replace("to_port     = 22", "to_port     = 9000")
    root = tf_repo({"host.tf": text})
    assert findings(ManagementPortOpenToInternet(), root) == {
        ("aws_autoscaling_group.host", "high", "low")
    }


LISTENER = """
variable "tls_policy" {{
  type = string
}}

resource "aws_security_group" "lb" {{
  vpc_id = aws_vpc.main.id

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_lb" "web" {{
  subnets         = [aws_subnet.public.id]
  security_groups = [aws_security_group.lb.id]
}}

resource "aws_lb_listener" "https" {{
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
{policy}
}}
"""


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("", {("aws_lb_listener.https", "medium", "high")}),  # the API default, 2016-08
        (
            '  ssl_policy = "ELBSecurityPolicy-TLS-1-1-2017-01"',
            {("aws_lb_listener.https", "medium", "high")},
        ),
        ('  ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"', set()),
        ("  ssl_policy = var.tls_policy", set()),  # not known: not the default
    ],
)
def test_tls_policy_unset_is_the_default_and_unresolved_is_silent(
    tf_repo: TfRepo, policy: str, expected: set[Row]
) -> None:
    root = tf_repo({"lb.tf": LISTENER.format(policy=policy)})
    assert findings(OutdatedTlsPolicyOnInternetListener(), root) == expected


@pytest.mark.parametrize(
    ("policy", "oldest"),
    [
        ("ELBSecurityPolicy-2016-08", "1.0"),
        ("ELBSecurityPolicy-FS-2018-06", "1.0"),
        ("ELBSecurityPolicy-TLS-1-1-2017-01", "1.1"),
        ("ELBSecurityPolicy-FS-1-1-2019-08", "1.1"),
        ("ELBSecurityPolicy-TLS13-1-0-2021-06", "1.0"),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "1.2"),
        ("ELBSecurityPolicy-FS-1-2-Res-2020-10", "1.2"),
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", "1.2"),
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", "1.3"),
        ("TLSv1", "1.0"),
        ("TLSv1_2016", "1.0"),
        ("TLSv1.1_2016", "1.1"),
        ("TLSv1.2_2021", "1.2"),
        ("SSLv3", "SSL 3.0"),
        ("acme-custom-negotiation", None),
    ],
)
def test_minimum_tls_of_aws_policy_names(policy: str, oldest: str | None) -> None:
    assert minimum_tls(policy) == oldest


def test_search_domain_with_one_caller_is_not_judged(tf_repo: TfRepo) -> None:
    domain = """
resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"

  vpc_options {
    subnet_ids = [aws_subnet.private.id]
  }
}
"""
    caller = """
resource "aws_lambda_function" "{name}" {{
  function_name = "{name}"
  role          = "arn:aws:iam::123456789012:role/fn"
  environment {{
    variables = {{ SEARCH = aws_opensearch_domain.logs.endpoint }}
  }}
}}
"""
    root = tf_repo({"search.tf": domain + caller.format(name="shipper")})
    assert findings(SearchDomainWithoutFineGrainedAccess(), root) == set()
    (root / "reader.tf").write_text(caller.format(name="reader"))
    assert findings(SearchDomainWithoutFineGrainedAccess(), root) == {
        ("aws_opensearch_domain.logs", "medium", "high")
    }
