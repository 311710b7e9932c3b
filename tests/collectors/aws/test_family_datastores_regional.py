"""Regional datastores: DynamoDB, SQS, SNS, Kinesis, Secrets Manager and KMS.

The fixture is one event-driven order pipeline; every test scans Terraform end to end and
checks the exact elements, flows or findings (rule, resource, file, line, confidence).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import pytest

from scanner.model import Element, Finding
from scanner.pipeline import ScanResult, scan
from tests.conftest import REPO

TfRepo = Callable[..., Path]
Summary = tuple[str, str, str, int, str]

FIXTURE = REPO / "fixtures" / "aws" / "datastores_regional"
ACCOUNT = "tf:.//account"
API = {"protocol": "https", "port": 443}
SYMMETRIC = {"key_spec": "SYMMETRIC_DEFAULT"}  # no customer_master_key_spec: the default
PUB = ("TM-PUB-001",)  # the policy tests are about public exposure


def summary(findings: Iterable[Finding], rules: Collection[str] | None = None) -> set[Summary]:
    """(rule, resource, file, line, confidence) of the findings, of `rules` only if given."""
    out = [
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in findings
        if rules is None or f.rule in rules
    ]
    assert len(out) == len(set(out)), f"duplicate findings: {out}"
    return set(out)


def flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    return {(f.source, f.target, f.protocol, f.port, f.basis) for f in result.graph.flows}


def element(result: ScanResult, resource: str) -> Element:
    (found,) = [e for e in result.graph.elements if e.resource == resource]
    return found


def tf(address: str) -> str:
    return f"tf:.//{address}"


# --- the fixture: one order pipeline ------------------------------------------------------

FIXTURE_ELEMENTS: list[tuple[str, str, dict[str, object]]] = [
    (
        "document-db",
        "aws_dynamodb_table.orders",
        {
            **API,
            "encryption_at_rest": True,
            "kms_managed": True,
            "customer_managed_key": True,
            "point_in_time_recovery": True,
            "public": False,
        },
    ),
    (
        "document-db",
        "aws_dynamodb_table.sessions",
        {
            **API,
            "encryption_at_rest": True,
            "kms_managed": False,
            "customer_managed_key": False,
            "point_in_time_recovery": False,
            "public": False,
        },
    ),
    (
        "queue",
        "aws_sqs_queue.fulfilment",
        # Principal "*" narrowed by aws:SourceArn: conditions are not evaluated, so the
        # policy is neither public nor private as far as the scan knows.
        {**API, "encryption_at_rest": True, "kms_managed": True},
    ),
    (
        "queue",
        "aws_sqs_queue.fulfilment_dlq",
        {**API, "encryption_at_rest": True, "kms_managed": False, "public": False},
    ),
    (
        "queue",
        "aws_sqs_queue.invoice_uploads",
        {**API, "encryption_at_rest": True, "kms_managed": False, "public": False},
    ),
    (
        "queue",
        "aws_sqs_queue.partner_returns",
        {**API, "encryption_at_rest": False, "kms_managed": False, "public": True},
    ),
    (
        "queue",
        "aws_sns_topic.order_placed",
        {**API, "encryption_at_rest": True, "kms_managed": True, "public": False},
    ),
    (
        "stream",
        "aws_kinesis_stream.clickstream",
        {**API, "encryption_at_rest": True, "kms_managed": True, "public": False},
    ),
    (
        "stream",
        "aws_kinesis_stream.audit",
        {**API, "encryption_at_rest": False, "kms_managed": False, "public": False},
    ),
    (
        "secret-store",
        "aws_secretsmanager_secret.stripe",
        {
            **API,
            "encryption_at_rest": True,
            "kms_managed": True,
            "customer_managed_key": True,
            "public": False,
        },
    ),
    (
        "secret-store",
        "aws_secretsmanager_secret.partner_sftp",
        {
            **API,
            "encryption_at_rest": True,
            "kms_managed": True,
            "customer_managed_key": False,
            "public": True,
        },
    ),
    (
        "key-store",
        "aws_kms_key.orders",
        {**API, "aliases": "alias/orders-data", "key_rotation": True, **SYMMETRIC, "public": False},
    ),
    (
        "key-store",
        "aws_kms_key.partner_exports",
        {
            **API,
            "aliases": "alias/orders-partner-exports",
            "key_rotation": False,
            **SYMMETRIC,
            "public": True,
        },
    ),
    ("function", "aws_lambda_function.order_api", {}),
    ("function", "aws_lambda_function.fulfilment", {}),
    ("function", "aws_lambda_function.notifier", {}),
    ("function", "aws_lambda_function.analytics", {}),
    (
        "object-store",
        "aws_s3_bucket.invoices",
        {"encryption_at_rest": True, "kms_managed": False, "public": False, "versioning": False},
    ),
]

FIXTURE_FLOWS = {
    # Resource policies that grant anyone access.
    ("internet", tf("aws_sqs_queue.partner_returns"), "https", 443, "reachable"),
    ("internet", tf("aws_secretsmanager_secret.partner_sftp"), "https", 443, "reachable"),
    ("internet", tf("aws_kms_key.partner_exports"), "https", 443, "reachable"),
    # SNS subscriptions (the email one has no element to reach).
    (tf("aws_sns_topic.order_placed"), tf("aws_sqs_queue.fulfilment"), "https", 443, "called"),
    (tf("aws_sns_topic.order_placed"), tf("aws_lambda_function.notifier"), "https", 443, "called"),
    # Event source mappings: queue, stream and table stream to their functions.
    (tf("aws_sqs_queue.fulfilment"), tf("aws_lambda_function.fulfilment"), "https", 443, "called"),
    (
        tf("aws_kinesis_stream.clickstream"),
        tf("aws_lambda_function.analytics"),
        "https",
        443,
        "called",
    ),
    (
        tf("aws_dynamodb_table.orders"),
        tf("aws_lambda_function.analytics"),
        "https",
        443,
        "called",
    ),
    # S3 event notifications.
    (tf("aws_s3_bucket.invoices"), tf("aws_sqs_queue.invoice_uploads"), "https", 443, "called"),
    (tf("aws_s3_bucket.invoices"), tf("aws_lambda_function.analytics"), "https", 443, "called"),
    # Lambda environment variables naming the stores.
    (tf("aws_lambda_function.order_api"), tf("aws_dynamodb_table.orders"), "https", 443, "called"),
    (
        tf("aws_lambda_function.order_api"),
        tf("aws_dynamodb_table.sessions"),
        "https",
        443,
        "called",
    ),
    (tf("aws_lambda_function.order_api"), tf("aws_sns_topic.order_placed"), "https", 443, "called"),
    (
        tf("aws_lambda_function.order_api"),
        tf("aws_secretsmanager_secret.stripe"),
        "https",
        443,
        "called",
    ),
    (
        tf("aws_lambda_function.order_api"),
        tf("aws_kinesis_stream.clickstream"),
        "https",
        443,
        "called",
    ),
    (
        tf("aws_lambda_function.fulfilment"),
        tf("aws_dynamodb_table.orders"),
        "https",
        443,
        "called",
    ),
    (
        tf("aws_lambda_function.fulfilment"),
        tf("aws_sqs_queue.partner_returns"),
        "https",
        443,
        "called",
    ),
}

FIXTURE_FINDINGS = {
    ("TM-PUB-001", "aws_sqs_queue.partner_returns", "messaging.tf", 83, "high"),
    ("TM-PUB-001", "aws_secretsmanager_secret.partner_sftp", "secrets.tf", 29, "high"),
    ("TM-PUB-001", "aws_kms_key.partner_exports", "kms.tf", 37, "high"),
    # Encryption at rest: the audit stream never turned it on, the returns queue has
    # SSE-SQS off, and the partner key has no rotation.
    ("TM-ENC-001", "aws_kinesis_stream.audit", "streams.tf", 13, "high"),
    ("TM-ENC-001", "aws_sqs_queue.partner_returns", "messaging.tf", 83, "high"),
    ("TM-ENC-003", "aws_kms_key.partner_exports", "kms.tf", 37, "high"),
    # The orders table and the Stripe secret use the orders CMK; these use AWS-held keys
    # (DynamoDB's default, SSE-S3, SSE-SQS, aws/secretsmanager).
    ("TM-ENC-002", "aws_dynamodb_table.sessions", "dynamodb.tf", 41, "high"),
    ("TM-ENC-002", "aws_s3_bucket.invoices", "storage.tf", 1, "high"),
    ("TM-ENC-002", "aws_secretsmanager_secret.partner_sftp", "secrets.tf", 25, "high"),
    ("TM-ENC-002", "aws_sqs_queue.fulfilment_dlq", "messaging.tf", 27, "high"),
    ("TM-ENC-002", "aws_sqs_queue.invoice_uploads", "storage.tf", 13, "high"),
}


@pytest.fixture(scope="module")
def pipeline() -> ScanResult:
    return scan(FIXTURE)


def test_fixture_elements_are_exactly_the_stores_and_their_facts(pipeline: ScanResult) -> None:
    found = {
        (e.type, e.resource, e.boundary, tuple(sorted(e.props.items())))
        for e in pipeline.graph.elements
        if e.type != "internet"
    }
    expected = {
        (type_, resource, ACCOUNT, tuple(sorted(props.items())))
        for type_, resource, props in FIXTURE_ELEMENTS
    }
    assert found == expected


def test_fixture_flows_are_exactly_the_declared_and_inferred_ones(pipeline: ScanResult) -> None:
    assert flows(pipeline) == FIXTURE_FLOWS


def test_fixture_findings_are_the_public_policies_and_encryption_gaps(
    pipeline: ScanResult,
) -> None:
    assert summary(pipeline.findings) == FIXTURE_FINDINGS


def test_public_flow_puts_the_policy_first_and_names_it(pipeline: ScanResult) -> None:
    (flow,) = [
        f for f in pipeline.graph.flows if f.target == tf("aws_secretsmanager_secret.partner_sftp")
    ]
    assert flow.authn == "aws-iam"  # any AWS account, with a signed request
    assert flow.derivation == (
        "inferred: aws_secretsmanager_secret_policy.partner_sftp grants access to anyone"
    )
    first = flow.evidence[0]
    assert (first.file, first.line, first.address, first.fact) == (
        "secrets.tf",
        29,
        "aws_secretsmanager_secret_policy.partner_sftp",
        "public_policy",
    )
    (inline,) = [
        f
        for f in pipeline.graph.flows
        if f.target == tf("aws_sqs_queue.partner_returns") and f.source == "internet"
    ]
    assert inline.derivation == (
        "inferred: the inline policy of aws_sqs_queue.partner_returns grants access to anyone"
    )
    by_resource = {f.resource: f for f in pipeline.findings if f.rule in PUB}
    assert by_resource["aws_secretsmanager_secret.partner_sftp"].asset == (
        "secretsmanager:secret:orders/partner-sftp-credentials"
    )


def test_delivery_flows_say_what_declares_them(pipeline: ScanResult) -> None:
    derivations = {
        (f.source, f.target): f.derivation for f in pipeline.graph.flows if f.basis == "called"
    }
    assert derivations[(tf("aws_sns_topic.order_placed"), tf("aws_sqs_queue.fulfilment"))] == (
        "declared: subscription aws_sns_topic_subscription.fulfilment (sqs)"
    )
    assert derivations[(tf("aws_sqs_queue.fulfilment"), tf("aws_lambda_function.fulfilment"))] == (
        "declared: event source mapping aws_lambda_event_source_mapping.fulfilment"
    )
    assert derivations[(tf("aws_s3_bucket.invoices"), tf("aws_sqs_queue.invoice_uploads"))] == (
        "declared: bucket notification aws_s3_bucket_notification.invoices"
    )
    assert element(pipeline, "aws_kms_key.orders").name == "alias/orders-data"
    assert element(pipeline, "aws_dynamodb_table.orders").key == "dynamodb:table:orders-orders"


# --- resource policies, service by service ------------------------------------------------

PUBLIC = 'Principal = "*"'
ANY_AWS = 'Principal = { AWS = "*" }'
ACCOUNT_ONLY = 'Principal = { AWS = "arn:aws:iam::123456789012:root" }'
ORG_ONLY = (
    'Principal = "*"\n        Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-abc123" } }'
)

STATEMENT = """jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "*"
        Resource  = "*"
        %s
      }
    ]
  })"""

# service: (store file, policy file or None for an inline policy, store address)
SERVICES: dict[str, tuple[str, str | None, str]] = {
    "sqs-inline": (
        '\nresource "aws_sqs_queue" "jobs" {\n  name   = "jobs"\n  policy = %s\n}\n',
        None,
        "aws_sqs_queue.jobs",
    ),
    "sqs-queue-policy": (
        '\nresource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n',
        '\nresource "aws_sqs_queue_policy" "jobs" {\n'
        "  queue_url = aws_sqs_queue.jobs.id\n  policy    = %s\n}\n",
        "aws_sqs_queue.jobs",
    ),
    "sns-inline": (
        '\nresource "aws_sns_topic" "events" {\n  name   = "events"\n  policy = %s\n}\n',
        None,
        "aws_sns_topic.events",
    ),
    "sns-topic-policy": (
        '\nresource "aws_sns_topic" "events" {\n  name = "events"\n}\n',
        '\nresource "aws_sns_topic_policy" "events" {\n'
        "  arn    = aws_sns_topic.events.arn\n  policy = %s\n}\n",
        "aws_sns_topic.events",
    ),
    "secret-inline": (
        '\nresource "aws_secretsmanager_secret" "db" {\n  name   = "db"\n  policy = %s\n}\n',
        None,
        "aws_secretsmanager_secret.db",
    ),
    "secret-policy": (
        '\nresource "aws_secretsmanager_secret" "db" {\n  name = "db"\n}\n',
        '\nresource "aws_secretsmanager_secret_policy" "db" {\n'
        "  secret_arn = aws_secretsmanager_secret.db.arn\n  policy     = %s\n}\n",
        "aws_secretsmanager_secret.db",
    ),
    "kms-inline": (
        '\nresource "aws_kms_key" "data" {\n  description = "data"\n  policy      = %s\n}\n',
        None,
        "aws_kms_key.data",
    ),
    "kms-key-policy": (
        '\nresource "aws_kms_key" "data" {\n  description = "data"\n}\n',
        '\nresource "aws_kms_key_policy" "data" {\n'
        "  key_id = aws_kms_key.data.id\n  policy = %s\n}\n",
        "aws_kms_key.data",
    ),
    "dynamodb-resource-policy": (
        '\nresource "aws_dynamodb_table" "t" {\n  name     = "t"\n  hash_key = "pk"\n\n'
        '  attribute {\n    name = "pk"\n    type = "S"\n  }\n}\n',
        '\nresource "aws_dynamodb_resource_policy" "t" {\n'
        "  resource_arn = aws_dynamodb_table.t.arn\n  policy       = %s\n}\n",
        "aws_dynamodb_table.t",
    ),
    "kinesis-resource-policy": (
        '\nresource "aws_kinesis_stream" "s" {\n  name        = "s"\n  shard_count = 1\n}\n',
        '\nresource "aws_kinesis_resource_policy" "s" {\n'
        "  resource_arn = aws_kinesis_stream.s.arn\n  policy       = %s\n}\n",
        "aws_kinesis_stream.s",
    ),
}


def policy_repo(tf_repo: TfRepo, service: str, policy: str) -> Path:
    store, attached, _ = SERVICES[service]
    files = {"vars.tf": 'variable "policy" {}\n'}
    if attached is None:
        files["store.tf"] = store % policy
    else:
        files["store.tf"], files["policy.tf"] = store, attached % policy
    return tf_repo(files, network=False)


@pytest.mark.parametrize("principal", [PUBLIC, ANY_AWS], ids=["star", "aws-star"])
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_policy_granting_anyone_fires_at_the_policy(
    tf_repo: TfRepo, service: str, principal: str
) -> None:
    result = scan(policy_repo(tf_repo, service, STATEMENT % principal))
    _, attached, address = SERVICES[service]
    where = "store.tf" if attached is None else "policy.tf"
    assert summary(result.findings, PUB) == {("TM-PUB-001", address, where, 2, "high")}
    assert flows(result) == {("internet", tf(address), "https", 443, "reachable")}
    assert element(result, address).fact("public") is True


@pytest.mark.parametrize(
    ("policy", "public"),
    [
        (STATEMENT % ACCOUNT_ONLY, False),
        (STATEMENT % ORG_ONLY, None),  # a condition narrows it: not confirmed either way
        ("var.policy", None),  # a policy the files do not give
    ],
    ids=["account-only", "conditioned", "unknown"],
)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_restricted_or_unknown_policy_is_silent(
    tf_repo: TfRepo, service: str, policy: str, public: bool | None
) -> None:
    result = scan(policy_repo(tf_repo, service, policy))
    address = SERVICES[service][2]
    assert summary(result.findings, PUB) == set()
    assert flows(result) == set()
    assert element(result, address).fact("public") is public


def test_secret_policy_with_block_public_policy_cannot_be_public(tf_repo: TfRepo) -> None:
    policy = STATEMENT % PUBLIC + "\n  block_public_policy = true"
    result = scan(policy_repo(tf_repo, "secret-policy", policy))
    assert summary(result.findings, PUB) == set()
    assert element(result, "aws_secretsmanager_secret.db").fact("public") is False


def test_policy_document_data_source_granting_anyone_fires(tf_repo: TfRepo) -> None:
    document = """
data "aws_iam_policy_document" "jobs" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
"""
    repo = policy_repo(tf_repo, "sqs-queue-policy", "data.aws_iam_policy_document.jobs.json")
    (repo / "document.tf").write_text(document)
    assert summary(scan(repo).findings, PUB) == {
        ("TM-PUB-001", "aws_sqs_queue.jobs", "policy.tf", 2, "high")
    }


def test_policy_naming_its_queue_by_literal_url_applies_to_that_queue_only(
    tf_repo: TfRepo,
) -> None:
    policy = (
        '\nresource "aws_sqs_queue_policy" "jobs" {\n'
        '  queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"\n'
        f"  policy    = {STATEMENT % PUBLIC}\n}}\n"
    )
    # A table with the same name is another service's resource: the policy is not its.
    store = SERVICES["sqs-queue-policy"][0] + SERVICES["dynamodb-resource-policy"][0].replace(
        '"t"', '"jobs"'
    )
    result = scan(tf_repo({"store.tf": store, "policy.tf": policy}, network=False))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_sqs_queue.jobs", "policy.tf", 2, "high")
    }
    assert element(result, "aws_dynamodb_table.jobs").fact("public") is False


def test_public_policy_whose_count_is_unknown_is_unconfirmed(tf_repo: TfRepo) -> None:
    policy = (
        '\nresource "aws_sqs_queue_policy" "jobs" {\n'
        "  count     = var.open ? 1 : 0\n"
        "  queue_url = aws_sqs_queue.jobs.id\n"
        f"  policy    = {STATEMENT % PUBLIC}\n}}\n"
    )
    store = SERVICES["sqs-queue-policy"][0]
    files = {"store.tf": store, "policy.tf": policy, "vars.tf": 'variable "open" {}\n'}
    result = scan(tf_repo(files, network=False))
    assert summary(result.findings, PUB) == {
        ("TM-PUB-001", "aws_sqs_queue.jobs", "policy.tf", 2, "low")
    }
    (finding,) = [f for f in result.findings if f.rule in PUB]
    assert "count/for_each of aws_sqs_queue_policy.jobs" in finding.message


# --- encryption facts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "encrypted", "kms"),
    [
        ("", True, False),  # AWS default since 2022: SSE-SQS
        ("sqs_managed_sse_enabled = true", True, False),
        ("sqs_managed_sse_enabled = false", False, False),
        ('kms_master_key_id = "alias/aws/sqs"', True, True),
        ("kms_master_key_id = var.key", None, None),
    ],
)
def test_sqs_encryption_at_rest(
    tf_repo: TfRepo, attributes: str, encrypted: bool | None, kms: bool | None
) -> None:
    queue = f'resource "aws_sqs_queue" "jobs" {{\n  name = "jobs"\n  {attributes}\n}}\n'
    result = scan(tf_repo({"q.tf": queue, "vars.tf": 'variable "key" {}\n'}, network=False))
    el = element(result, "aws_sqs_queue.jobs")
    assert (el.fact("encryption_at_rest"), el.fact("kms_managed")) == (encrypted, kms)


@pytest.mark.parametrize(
    ("sse", "kms", "customer"),
    [
        ("", False, False),  # the AWS owned key
        ("server_side_encryption {\n    enabled = false\n  }", False, False),
        ("server_side_encryption {\n    enabled = true\n  }", True, False),  # aws/dynamodb
        (
            "server_side_encryption {\n    enabled     = true\n"
            "    kms_key_arn = aws_kms_key.k.arn\n  }",
            True,
            True,
        ),
        ("server_side_encryption {\n    enabled = var.sse\n  }", None, None),
    ],
    ids=["default", "disabled", "aws-managed", "customer-key", "unknown"],
)
def test_dynamodb_is_always_encrypted_and_kms_only_when_chosen(
    tf_repo: TfRepo, sse: str, kms: bool | None, customer: bool | None
) -> None:
    table = (
        'resource "aws_kms_key" "k" {}\n\n'
        'resource "aws_dynamodb_table" "t" {\n  name     = "t"\n  hash_key = "pk"\n'
        f'  {sse}\n\n  attribute {{\n    name = "pk"\n    type = "S"\n  }}\n}}\n'
    )
    result = scan(tf_repo({"t.tf": table, "vars.tf": 'variable "sse" {}\n'}, network=False))
    el = element(result, "aws_dynamodb_table.t")
    assert el.fact("encryption_at_rest") is True
    assert (el.fact("kms_managed"), el.fact("customer_managed_key")) == (kms, customer)


@pytest.mark.parametrize(
    ("attributes", "encrypted"),
    [("", False), ('encryption_type = "KMS"\n  kms_key_id = "alias/aws/kinesis"', True)],
    ids=["default-none", "kms"],
)
def test_kinesis_encryption_type(tf_repo: TfRepo, attributes: str, encrypted: bool) -> None:
    stream = f'resource "aws_kinesis_stream" "s" {{\n  name = "s"\n  {attributes}\n}}\n'
    result = scan(tf_repo({"s.tf": stream}, network=False))
    assert element(result, "aws_kinesis_stream.s").fact("encryption_at_rest") is encrypted


@pytest.mark.parametrize(
    ("attributes", "encrypted"),
    [
        ("", False),
        ('kms_master_key_id = "alias/aws/sns"', True),
        ("kms_master_key_id = var.key", None),
    ],
    ids=["default-off", "kms", "unknown"],
)
def test_sns_encryption_is_off_unless_a_key_is_named(
    tf_repo: TfRepo, attributes: str, encrypted: bool | None
) -> None:
    topic = f'resource "aws_sns_topic" "t" {{\n  name = "t"\n  {attributes}\n}}\n'
    result = scan(tf_repo({"t.tf": topic, "vars.tf": 'variable "key" {}\n'}, network=False))
    assert element(result, "aws_sns_topic.t").fact("encryption_at_rest") is encrypted


# --- references and deliveries ------------------------------------------------------------


def test_lambda_env_naming_a_queue_and_a_table_gives_called_flows(tf_repo: TfRepo) -> None:
    stores = """
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = "arn:aws:iam::123456789012:role/worker"
  runtime       = "python3.12"
  handler       = "worker.handler"
  filename      = "worker.zip"

  environment {
    variables = {
      JOBS_QUEUE_URL = aws_sqs_queue.jobs.url
      ORDERS_TABLE   = aws_dynamodb_table.orders.name
      LOG_LEVEL      = "info"
    }
  }
}
"""
    result = scan(tf_repo({"main.tf": stores}, network=False))
    worker = tf("aws_lambda_function.worker")
    assert flows(result) == {
        (worker, tf("aws_sqs_queue.jobs"), "https", 443, "called"),
        (worker, tf("aws_dynamodb_table.orders"), "https", 443, "called"),
    }
    assert {f.tls for f in result.graph.flows} == {True}


def test_deliveries_by_literal_arn_and_to_nothing_known(tf_repo: TfRepo) -> None:
    main = """
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = "arn:aws:iam::123456789012:role/worker"
  runtime       = "python3.12"
  handler       = "worker.handler"
  filename      = "worker.zip"
}

resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn = "arn:aws:sqs:eu-west-1:123456789012:jobs"
  function_name    = "worker"
}

resource "aws_lambda_event_source_mapping" "elsewhere" {
  event_source_arn = "arn:aws:sqs:eu-west-1:123456789012:another-teams-queue"
  function_name    = aws_lambda_function.worker.arn
}

resource "aws_sns_topic_subscription" "webhook" {
  topic_arn = "arn:aws:sns:eu-west-1:123456789012:unknown-topic"
  protocol  = "https"
  endpoint  = "https://hooks.example.com/orders"
}
"""
    result = scan(tf_repo({"main.tf": main}, network=False))
    assert flows(result) == {
        (tf("aws_sqs_queue.jobs"), tf("aws_lambda_function.worker"), "https", 443, "called")
    }
