"""Read-only by construction: a botocore hook that refuses every operation but reads.

Registered on the session's event system, so every client made from the session (and
the credential providers' own STS clients) is guarded before a request is built.
"""

from __future__ import annotations

from typing import Any

from scanner.errors import CollectorError

READ_PREFIXES = ("Describe", "List", "Get")
# Not named like reads, but they only read or only obtain credentials to read with.
ALLOWED = frozenset(
    {
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
        "sso:GetRoleCredentials",
    }
)
# Named like reads, but they read data or secrets rather than configuration, or mint
# credentials: tmscan describes the system, it never reads what the system holds.
REFUSED = frozenset(
    {
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "s3:GetObject",
        "s3:GetObjectTorrent",
        "kms:GetParametersForImport",
        "ecr:GetAuthorizationToken",
        "sts:GetSessionToken",
        "sts:GetFederationToken",
        "lambda:GetFunction",  # returns a pre-signed URL to the code
        "ec2:GetPasswordData",
        "ec2:GetConsoleOutput",
        "ec2:GetConsoleScreenshot",
        "rds:GenerateDbAuthToken",
        "dynamodb:GetItem",
        "sqs:ReceiveMessage",
    }
)


class ReadOnlyViolation(CollectorError):
    """Something tried to call an AWS operation that is not a read."""


def is_read(service: str, operation: str) -> bool:
    """Whether tmscan may call `operation` of `service` (boto3's client name, e.g. "ec2")."""
    name = f"{service}:{operation}"
    if name in REFUSED:
        return False
    return name in ALLOWED or operation.startswith(READ_PREFIXES)


def refuse_writes(model: Any = None, **_: Any) -> None:
    """The `before-parameter-build` handler: raise unless the operation is a read."""
    if model is None:
        return
    service = str(model.service_model.service_name)
    if not is_read(service, str(model.name)):
        raise ReadOnlyViolation(
            f"{service}:{model.name}: refused, tmscan only calls read operations"
        )


def guard(botocore_session: Any) -> None:
    """Install the read-only hook on a botocore session (idempotent)."""
    botocore_session.unregister("before-parameter-build", unique_id="tmscan-read-only")
    botocore_session.register("before-parameter-build", refuse_writes, unique_id="tmscan-read-only")
