"""The identity family: IAM permission flows, CloudTrail and VPC flow logs.

The fixture (fixtures/aws/identity) is scanned end to end and its exact elements, flows,
zone facts and findings are checked; small repositories check one IAM semantic each;
records built directly check `role_of` and datastores of the other families.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services import identity as idn
from scanner.model import Element, Evidence, Finding, Flow
from scanner.pipeline import ScanResult, scan

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "fixtures" / "aws" / "identity"
TfRepo = Callable[..., Path]

ACCOUNT = "tf:.//account"
VPC = "tf:.//aws_vpc.main"


def tf(address: str) -> str:
    return f"tf:.//{address}"


def flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    return {(f.source, f.target, f.protocol, f.port, f.basis) for f in result.graph.flows}


def derivations(result: ScanResult) -> dict[str, str]:
    return {f.id: f.derivation for f in result.graph.flows}


def summary(
    findings: Iterable[Finding], rules: Collection[str] | None = None
) -> set[tuple[str, str, str, int, str]]:
    """(rule, resource, file, line, confidence) of the findings, of `rules` only if given."""
    out = set()
    for f in findings:
        if rules is not None and f.rule not in rules:
            continue
        loc = f.location
        out.add((f.rule, f.resource, str(loc["file"]), int(loc["line"]), f.confidence.label))
    return out


BUCKET = (
    ("encryption_at_rest", True),
    ("kms_managed", False),
    ("public", False),
    ("versioning", False),
)  # AWS defaults: SSE-S3, no versioning

# --- the fixture --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media() -> ScanResult:
    return scan(FIXTURE)


def test_fixture_elements(media: ScanResult) -> None:
    got = {
        (e.type, e.resource, e.boundary, tuple(sorted(e.props.items())))
        for e in media.graph.elements
    }
    private = f"{VPC}/isolated"
    assert got == {
        ("internet", "internet", "internet", ()),
        (
            "relational-db",
            "aws_db_instance.catalog",
            private,
            (
                ("encryption_at_rest", True),
                ("engine", "postgres"),
                ("iam_database_authentication", True),
                ("port", 5432),
                ("publicly_accessible", False),
            ),
        ),
        (
            "vm",
            "aws_instance.app",
            private,
            (("imds_v2_required", True), ("name_tag", "media-prod-app"), ("public_ip", False)),
        ),
        (
            "vm",
            "aws_instance.bastion",
            f"{VPC}/public",
            (("name_tag", "media-prod-bastion"), ("public_ip", True)),
        ),
        ("function", "aws_lambda_function.reports", ACCOUNT, ()),
        ("function", "aws_lambda_function.thumbnailer", ACCOUNT, ()),
        ("object-store", "aws_s3_bucket.audit_logs", ACCOUNT, BUCKET),
        ("object-store", "aws_s3_bucket.thumbnails", ACCOUNT, BUCKET),
        ("object-store", "aws_s3_bucket.uploads", ACCOUNT, BUCKET),
    }


def test_fixture_permission_flows(media: ScanResult) -> None:
    app, reports = tf("aws_instance.app"), tf("aws_lambda_function.reports")
    thumbnailer = tf("aws_lambda_function.thumbnailer")
    uploads, thumbnails = tf("aws_s3_bucket.uploads"), tf("aws_s3_bucket.thumbnails")
    catalog = tf("aws_db_instance.catalog")
    assert flows(media) == {
        # Inline policy on the uploads bucket's objects (a Ref inside a template); the
        # s3:ListBucket statement names no data action.
        (app, uploads, "https", 443, "reachable"),
        # rds-db:connect on dbuser:*/catalog_app: IAM database authentication.
        (app, catalog, "postgres", 5432, "reachable"),
        # AmazonS3ReadOnlyAccess on "*", minus the explicit Deny on the audit log bucket.
        (reports, uploads, "https", 443, "reachable"),
        (reports, thumbnails, "https", 443, "reachable"),
        # Literal ARNs matched by bucket name; the PutObject statement has a Condition.
        (thumbnailer, uploads, "https", 443, "reachable"),
        (thumbnailer, thumbnails, "https", 443, "reachable"),
        # Security groups (not this family): the bastion may SSH to the app server.
        (tf("aws_instance.bastion"), app, "tcp", 22, "reachable"),
    }
    got = derivations(media)
    assert {k: got[k] for k in got if "aws_iam_role" in got[k]} == {
        f"{app}->{uploads}:https/443": (
            "inferred: aws_iam_role.app allows s3:GetObject, s3:PutObject on aws_s3_bucket.uploads"
        ),
        f"{app}->{catalog}:postgres/5432": (
            "inferred: aws_iam_role.app allows rds-db:connect on aws_db_instance.catalog"
        ),
        f"{reports}->{uploads}:https/443": (
            "inferred: aws_iam_role.reports allows s3:Get* on aws_s3_bucket.uploads"
        ),
        f"{reports}->{thumbnails}:https/443": (
            "inferred: aws_iam_role.reports allows s3:Get* on aws_s3_bucket.thumbnails"
        ),
        f"{thumbnailer}->{uploads}:https/443": (
            "inferred: aws_iam_role.thumbnailer allows s3:GetObject on aws_s3_bucket.uploads"
        ),
        f"{thumbnailer}->{thumbnails}:https/443": (
            "inferred (conditional): aws_iam_role.thumbnailer allows s3:PutObject "
            "on aws_s3_bucket.thumbnails"
        ),
    }


def test_fixture_flow_evidence_is_the_policy_block(media: ScanResult) -> None:
    by_id = {f.id: f for f in media.graph.flows}
    app = tf("aws_instance.app")

    def where(flow_id: str) -> list[tuple[str | None, int | None, str | None]]:
        return [(e.file, e.line, e.address) for e in by_id[flow_id].evidence]

    assert where(f"{app}->{tf('aws_s3_bucket.uploads')}:https/443") == [
        ("iam.tf", 36, "aws_iam_role_policy.app_uploads")
    ]
    assert where(f"{app}->{tf('aws_db_instance.catalog')}:postgres/5432") == [
        ("iam.tf", 59, "aws_iam_policy.catalog_db_connect"),
        ("iam.tf", 73, "aws_iam_role_policy_attachment.app_catalog_db"),
    ]
    thumbnails = f"{tf('aws_lambda_function.thumbnailer')}->{tf('aws_s3_bucket.thumbnails')}"
    assert where(f"{thumbnails}:https/443") == [("iam.tf", 106, "aws_iam_role.thumbnailer")]


def test_fixture_audit_zones(media: ScanResult) -> None:
    assert dict(media.graph.boundary(ACCOUNT).props) == {
        "audit_trail": True,
        "audit_multi_region": True,
        "audit_global_events": True,
        "audit_log_validation": True,
    }
    assert dict(media.graph.boundary(VPC).props) == {
        "cidr": "10.20.0.0/16",
        "flow_logs": True,
        "flow_log_traffic": "ALL",
    }
    assert [e.address for e in media.graph.boundary(ACCOUNT).evidence] == ["aws_cloudtrail.main"]
    assert "aws_flow_log.vpc" in [e.address for e in media.graph.boundary(VPC).evidence]


def test_fixture_findings(media: ScanResult) -> None:
    # IAM flows start at compute elements, which do not forward connections: a role that
    # may read a bucket does not put the bucket on the internet.
    assert summary(media.findings) == set()


# --- IAM semantics, one small repository each ---------------------------------------------

STORES = """
resource "aws_s3_bucket" "media" {
  bucket = "shop-media"
}

resource "aws_s3_bucket" "exports" {
  bucket = "shop-exports"
}

resource "aws_db_subnet_group" "main" {
  name       = "main"
  subnet_ids = [aws_subnet.private.id]
}

resource "aws_db_instance" "orders" {
  identifier           = "orders"
  engine               = "mysql"
  instance_class       = "db.t3.micro"
  db_subnet_group_name = aws_db_subnet_group.main.name
}

resource "aws_iam_role" "worker" {
  name = "worker"

  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.worker.arn
  runtime       = "python3.12"
  handler       = "worker.handler"
  filename      = "worker.zip"
}
"""
WORKER = tf("aws_lambda_function.worker")
MEDIA = tf("aws_s3_bucket.media")
EXPORTS = tf("aws_s3_bucket.exports")
ORDERS = tf("aws_db_instance.orders")


def inline(*statements: str) -> str:
    return """
resource "aws_iam_role_policy" "worker" {
  name = "worker"
  role = aws_iam_role.worker.id

  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [STATEMENTS]
  })
}
""".replace("STATEMENTS", ", ".join(statements))


def iam_flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    return {f for f in flows(result) if f[0] == WORKER}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.media.arn}/*" }'
            ),
            {(WORKER, MEDIA, "https", 443, "reachable")},
            id="resource-by-reference",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = ["s3:PutObject"], Resource = ["arn:aws:s3:::shop-ex*/*"] }'
            ),
            {(WORKER, EXPORTS, "https", 443, "reachable")},
            id="resource-by-arn-pattern",
        ),
        pytest.param(
            inline('{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }'),
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
            },
            id="wildcard-resource-every-bucket",
        ),
        pytest.param(
            inline('{ Effect = "Allow", Action = "*", Resource = "*" }'),
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
                # Not the orders database: it takes no IAM tokens, so rds-db:connect
                # opens nothing there.
            },
            id="action-and-resource-wildcard-every-datastore",
        ),
        pytest.param(
            inline('{ Effect = "Allow", NotAction = ["iam:*", "rds-db:*"], Resource = "*" }'),
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
            },
            id="not-action",
        ),
        pytest.param(
            inline('{ Effect = "Allow", Action = "s3:*", NotResource = aws_s3_bucket.media.arn }'),
            {(WORKER, EXPORTS, "https", 443, "reachable")},
            id="not-resource",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = ["s3:ListBucket", "s3:GetBucketPolicy"], Resource = "*" }'
            ),
            set(),
            id="no-data-action",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = "s3:*", Resource = "*" }',
                '{ Effect = "Deny", Action = "s3:*", Resource = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"] }',
            ),
            {(WORKER, EXPORTS, "https", 443, "reachable")},
            id="explicit-deny-removes",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "*" }',
                '{ Effect = "Deny", Action = "s3:PutObject", Resource = "*" }',
            ),
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
            },
            id="deny-of-some-actions-keeps-the-rest",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = "s3:*", Resource = "*" }',
                '{ Effect = "Deny", Action = "s3:*", Resource = "*", Condition = { Bool = { "aws:SecureTransport" = "false" } } }',
            ),
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
            },
            id="conditional-deny-keeps",
        ),
        pytest.param(
            inline('{ Effect = var.effect, Action = "s3:*", Resource = "*" }')
            + 'variable "effect" {}\n',
            set(),
            id="unknown-effect",
        ),
        pytest.param(
            """
resource "aws_iam_policy" "read" {
  name   = "worker-read"
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop-media/*"}
      ]
    }
  EOT
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = "worker"
  policy_arn = "arn:aws:iam::123456789012:policy/worker-read"
}
""",
            {(WORKER, MEDIA, "https", 443, "reachable")},
            id="heredoc-policy-attached-by-arn-to-role-by-name",
        ),
        pytest.param(
            """
resource "aws_iam_policy_attachment" "admins" {
  name       = "admins"
  roles      = [aws_iam_role.worker.name]
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
""",
            {
                (WORKER, MEDIA, "https", 443, "reachable"),
                (WORKER, EXPORTS, "https", 443, "reachable"),
                # Not the orders database: it takes no IAM tokens, so rds-db:connect
                # opens nothing there.
            },
            id="aws-managed-administrator",
        ),
        pytest.param(
            """
resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.worker.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}
""",
            set(),
            id="aws-managed-without-data-actions",
        ),
    ],
)
def test_permission_flows(tf_repo: TfRepo, policy: str, expected: set[Any]) -> None:
    result = scan(tf_repo({"stores.tf": STORES, "iam.tf": policy}))
    assert iam_flows(result) == expected


def test_conditional_allow_keeps_the_flow_marked_conditional(tf_repo: TfRepo) -> None:
    policy = inline(
        '{ Effect = "Allow", Action = "s3:GetObject", Resource = "*", '
        'Condition = { StringEquals = { "aws:PrincipalTag/team" = "media" } } }',
        '{ Effect = "Allow", Action = "s3:PutObject", Resource = aws_s3_bucket.exports.arn }',
    )
    result = scan(tf_repo({"stores.tf": STORES, "iam.tf": policy}))
    assert derivations(result)[f"{WORKER}->{MEDIA}:https/443"] == (
        "inferred (conditional): aws_iam_role.worker allows s3:GetObject on aws_s3_bucket.media"
    )
    # An unconditional Allow decides; the conditional one is not listed.
    assert derivations(result)[f"{WORKER}->{EXPORTS}:https/443"] == (
        "inferred: aws_iam_role.worker allows s3:PutObject on aws_s3_bucket.exports"
    )


def test_instance_runs_as_its_instance_profile_role(tf_repo: TfRepo) -> None:
    files = {
        "stores.tf": STORES,
        "iam.tf": inline(
            '{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::shop-media/*" }'
        ),
        "ec2.tf": """
resource "aws_iam_instance_profile" "worker" {
  name = "worker"
  role = aws_iam_role.worker.name
}

resource "aws_instance" "batch" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  subnet_id            = aws_subnet.private.id
  iam_instance_profile = "worker"
}

resource "aws_instance" "other" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}
""",
    }
    result = scan(tf_repo(files))
    assert {f for f in flows(result) if f[1] == MEDIA} == {
        (WORKER, MEDIA, "https", 443, "reachable"),
        (tf("aws_instance.batch"), MEDIA, "https", 443, "reachable"),
    }


def test_public_instance_with_broad_role_does_not_expose_the_bucket(tf_repo: TfRepo) -> None:
    files = {
        "stores.tf": STORES,
        "ec2.tf": """
resource "aws_security_group" "ssh" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_iam_instance_profile" "worker" {
  name = "worker"
  role = aws_iam_role.worker.name
}

resource "aws_iam_role_policy_attachment" "s3" {
  role       = aws_iam_role.worker.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
}

resource "aws_instance" "jump" {
  ami                    = "ami-0c55b159cbfafe1f0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
  iam_instance_profile   = aws_iam_instance_profile.worker.name
}
""",
    }
    result = scan(tf_repo(files))
    jump = tf("aws_instance.jump")
    assert {f for f in flows(result) if jump in f[:2]} == {
        ("internet", jump, "tcp", 22, "reachable"),
        (jump, MEDIA, "https", 443, "reachable"),
        (jump, EXPORTS, "https", 443, "reachable"),
    }
    assert summary(result.findings, ("TM-PUB-001",)) == set()


# --- role_of and other families' datastores, from records built directly -------------------

EV = Evidence("aws", uri="arn:aws:iam::123456789012:role/x")


@dataclass(frozen=True)
class Worker(r.Record):
    """A compute record of another family that states its role (an ECS task, say)."""

    role: str | None = None


@dataclass(frozen=True)
class Store(r.Record):
    name: str | None = None


def ctx_of(inv: r.Inventory, elements: dict[str, Element]) -> Any:
    return SimpleNamespace(inv=inv, element=elements.get, eid=lambda ref: f"aws:{ref}")


IAM = (
    idn.IamRole("role/app", "arn:aws:iam::123456789012:role/service/app", EV, name="app"),
    idn.IamRole("role/batch", "arn:aws:iam::123456789012:role/batch", EV, name="batch"),
    idn.InstanceProfile("profile/app", "app-profile", EV, name="app-profile", role="app"),
)


@pytest.mark.parametrize(
    ("record", "role"),
    [
        (
            r.LambdaFunction("fn", "fn", EV, role="arn:aws:iam::123456789012:role/service/app"),
            "role/app",
        ),
        (r.LambdaFunction("fn", "fn", EV, role="role/batch"), "role/batch"),
        (r.LambdaFunction("fn", "fn", EV, role="arn:aws:iam::123456789012:role/elsewhere"), None),
        (r.LambdaFunction("fn", "fn", EV), None),
        (r.Instance("fn", "fn", EV, instance_profile="app-profile"), "role/app"),
        (r.Instance("fn", "fn", EV, instance_profile="profile/app"), "role/app"),
        (r.Instance("fn", "fn", EV, instance_profile="unknown-profile"), None),
        (Worker("fn", "fn", EV, role="batch"), "role/batch"),
    ],
)
def test_role_of(record: r.Record, role: str | None) -> None:
    if isinstance(record, r.LambdaFunction):
        inv = r.Inventory(functions=(record,), extra=IAM)
    elif isinstance(record, r.Instance):
        inv = r.Inventory(instances=(record,), extra=IAM)
    else:
        inv = r.Inventory(extra=(*IAM, record))
    assert idn.role_of(ctx_of(inv, {}), "fn") == role


def test_records_built_directly_map_to_flows() -> None:
    """The mapping is source-neutral: live records (ARNs, literal names) give the same flows."""
    bucket = r.Bucket("b", "arn:aws:s3:::media", EV, key="s3:bucket:media", name="media")
    inv = r.Inventory(
        functions=(r.LambdaFunction("fn", "fn", EV, role="arn:aws:iam::123456789012:role/app"),),
        buckets=(bucket,),
        extra=(
            idn.IamRole("role/app", "app", EV, name="app"),
            idn.IamPolicy(
                "p",
                "p",
                EV,
                role="app",
                statements=(idn.Statement("Allow", ("s3:Get*",), ("arn:aws:s3:::media/*",)),),
            ),
        ),
    )
    fragment = to_fragment(inv, "aws:", "account")
    got = {(f.source, f.target, f.protocol, f.port, f.basis, f.derivation) for f in fragment.flows}
    assert got == {
        (
            "aws:fn",
            "aws:b",
            "https",
            443,
            "reachable",
            "inferred: app allows s3:Get* on arn:aws:s3:::media",
        )
    }


def _datastore(ref: str, type_: str, resource: str, key: str | None) -> Element:
    return Element(f"aws:{ref}", "datastore", type_, ref, resource, key=key)


def test_datastores_of_other_families_by_key_arn_and_address() -> None:
    stores = {
        "orders": _datastore(
            "orders", "document-db", "aws_dynamodb_table.orders", "dynamodb:table:orders"
        ),
        "jobs": _datastore("jobs", "queue", "aws_sqs_queue.jobs", None),
        "events": _datastore("events", "queue", "arn:aws:sns:eu-west-1:123456789012:events", None),
        "db-creds": _datastore("db-creds", "secret-store", "aws_secretsmanager_secret.db", None),
        "db-password": _datastore("db-password", "secret-store", "aws_ssm_parameter.db", None),
        # No IAM data action reaches these: a cache, and a secret store of unknown kind.
        "cache": _datastore("cache", "cache", "aws_elasticache_cluster.cache", None),
        "vault": _datastore("vault", "secret-store", "module.vault.aws_instance.vault", None),
    }
    names = {"db-creds": "prod/db", "db-password": "/prod/db/password"}
    worker = Element("aws:w", "process", "container", "w", "aws_ecs_service.w")
    statements = (
        idn.Statement(
            "Allow",
            ("dynamodb:Query",),
            ("arn:aws:dynamodb:*:*:table/orders/index/*", "arn:aws:dynamodb:*:*:table/orders"),
        ),
        idn.Statement("Allow", ("sqs:SendMessage",), ("arn:aws:sqs:eu-west-1:123456789012:jobs",)),
        idn.Statement("Allow", ("sns:Publish",), ("arn:aws:sns:eu-west-1:123456789012:events",)),
        idn.Statement(
            "Allow",
            ("secretsmanager:GetSecretValue",),
            ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????",),
        ),
        idn.Statement(
            "Allow",
            ("ssm:GetParameter*",),
            ("arn:aws:ssm:eu-west-1:123456789012:parameter/prod/*",),
        ),
        idn.Statement("Allow", ("elasticache:*", "secretsmanager:*"), ("*",)),
    )
    inv = r.Inventory(
        extra=(
            Worker("w", "w", EV, role="role/w"),
            *(Store(ref, ref, EV, name=names.get(ref, ref)) for ref in stores),
            idn.IamRole("role/w", "role/w", EV, name="w"),
            idn.IamPolicy("p", "p", EV, role="role/w", statements=statements),
        )
    )
    got = idn.permission_flows(ctx_of(inv, {"w": worker, **stores}))
    assert {(f.source, f.target, f.protocol, f.port, f.basis) for f in got} == {
        ("aws:w", f"aws:{ref}", "https", 443, "reachable")
        for ref in ("orders", "jobs", "events", "db-creds", "db-password")
    }
    assert all(isinstance(f, Flow) and f.tls is True and f.authn == "aws-iam" for f in got)


# --- audit: CloudTrail on the account, flow logs on the VPC --------------------------------

APP = """
resource "aws_instance" "app" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}
"""


def trail(attributes: str, name: str = "main") -> str:
    return f"""
resource "aws_cloudtrail" "{name}" {{
  name           = "{name}"
  s3_bucket_name = "org-audit-logs"
{attributes}}}
"""


@pytest.mark.parametrize(
    ("trails", "props"),
    [
        pytest.param(
            trail(""),
            {
                "audit_trail": True,
                "audit_multi_region": False,
                "audit_global_events": True,
                "audit_log_validation": False,
            },
            id="provider-defaults",
        ),
        pytest.param(trail("  enable_logging = false\n"), {"audit_trail": False}, id="logging-off"),
        pytest.param(
            'variable "logging" {}\n' + trail("  enable_logging = var.logging\n"),
            {},
            id="logging-unknown",
        ),
        pytest.param(
            trail("  enable_logging = false\n  is_multi_region_trail = true\n")
            + trail("  include_global_service_events = false\n", "regional"),
            {
                "audit_trail": True,
                "audit_multi_region": False,
                "audit_global_events": False,
                "audit_log_validation": False,
            },
            id="only-logging-trails-count",
        ),
        pytest.param("", {}, id="no-trail-is-unknown"),
    ],
)
def test_cloudtrail_zone_facts(tf_repo: TfRepo, trails: str, props: dict[str, Any]) -> None:
    result = scan(tf_repo({"app.tf": APP, "audit.tf": trails}))
    assert dict(result.graph.boundary(ACCOUNT).props) == props


def flow_log(name: str, traffic: str) -> str:
    return f"""
resource "aws_flow_log" "{name}" {{
  vpc_id               = aws_vpc.main.id
  traffic_type         = "{traffic}"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::org-flow-logs"
}}
"""


@pytest.mark.parametrize(
    ("logs", "props"),
    [
        pytest.param(
            flow_log("all", "ALL"), {"flow_logs": True, "flow_log_traffic": "ALL"}, id="all"
        ),
        pytest.param(
            flow_log("rejected", "REJECT"),
            {"flow_logs": True, "flow_log_traffic": "REJECT"},
            id="reject",
        ),
        pytest.param(
            flow_log("accepted", "ACCEPT") + flow_log("rejected", "REJECT"),
            {"flow_logs": True, "flow_log_traffic": "ALL"},
            id="accept-and-reject",
        ),
        pytest.param("", {}, id="none"),
    ],
)
def test_flow_log_zone_facts(tf_repo: TfRepo, logs: str, props: dict[str, Any]) -> None:
    result = scan(tf_repo({"app.tf": APP, "logs.tf": logs}))
    assert dict(result.graph.boundary(VPC).props) == {"cidr": "10.0.0.0/16", **props}


def test_unknown_exclusions_and_actions_claim_nothing() -> None:
    from collectors.terraform.evaluate import Ref, Unknown
    from collectors.terraform.services.identity import _statement

    assert _statement({"Effect": "Allow", "Action": "s3:*", "NotResource": Unknown()}) is None
    assert _statement({"Effect": "Allow", "Action": Unknown(), "Resource": "*"}) is None
    known = _statement(
        {"Effect": "Allow", "Action": "s3:*", "NotResource": Ref("aws_s3_bucket.b", "arn")}
    )
    assert known is not None
    assert (known.actions, known.not_resource) == (("s3:*",), True)


@pytest.mark.parametrize(
    ("policy", "admin"),
    [
        pytest.param(inline('{ Effect = "Allow", Action = "*", Resource = "*" }'), True, id="star"),
        pytest.param(
            inline('{ Effect = "Allow", Action = ["*:*"], Resource = ["*"] }'), True, id="star-star"
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = "*", Resource = "*" }',
                '{ Effect = "Deny", Action = "iam:*", Resource = "*" }',
            ),
            None,
            id="a-deny-may-carve-it-back",
        ),
        pytest.param(
            inline(
                '{ Effect = "Allow", Action = "*", Resource = "*", '
                'Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } } }'
            ),
            None,
            id="conditional",
        ),
        pytest.param(
            inline('{ Effect = "Allow", Action = "s3:*", Resource = "*" }'), None, id="one-service"
        ),
        pytest.param(
            inline('{ Effect = "Allow", Action = "*", Resource = aws_s3_bucket.media.arn }'),
            None,
            id="one-resource",
        ),
        pytest.param(
            """
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.worker.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
""",
            True,
            id="aws-managed-administrator",
        ),
    ],
)
def test_administrator_roles_are_marked_on_their_compute(
    tf_repo: TfRepo, policy: str, admin: bool | None
) -> None:
    result = scan(tf_repo({"stores.tf": STORES, "iam.tf": policy}))
    worker = result.graph.element(WORKER)
    assert worker.fact("iam_admin") is admin
    parts = [(p.kind, p.name, p.resource) for p in worker.parts if p.kind == "iam-role"]
    assert parts == ([("iam-role", "worker", "aws_iam_role.worker")] if admin else [])
