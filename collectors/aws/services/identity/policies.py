"""IAM policy statements against datastores: managed policies, data actions, resources."""

from __future__ import annotations

import re
from dataclasses import dataclass

from collectors.aws.services.identity.records import Statement
from scanner.model import Element

# --- AWS managed policies ----------------------------------------------------------------


# AWS managed policy documents (AWS Managed Policy Reference Guide), abridged to the
# statements that grant datastore actions (all on Resource "*"). Others grant none.
_MANAGED = {
    "AdministratorAccess": "*",
    "AmazonS3FullAccess": "s3:* s3-object-lambda:*",
    "AmazonS3ReadOnlyAccess": "s3:Get* s3:List* s3:Describe*",
    "AmazonDynamoDBFullAccess": "dynamodb:*",
    "AmazonDynamoDBReadOnlyAccess": "dynamodb:BatchGetItem dynamodb:GetItem dynamodb:Query "
    "dynamodb:Scan",
    "AmazonSQSFullAccess": "sqs:*",
    "AmazonSNSFullAccess": "sns:*",
    "AmazonKinesisFullAccess": "kinesis:*",
    "SecretsManagerReadWrite": "secretsmanager:*",
}
MANAGED = {k: (Statement("Allow", tuple(a.split()), ("*",)),) for k, a in _MANAGED.items()}
MANAGED["PowerUserAccess"] = (
    Statement("Allow", ("iam:*", "organizations:*", "account:*"), ("*",), not_action=True),
)
MANAGED_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?(?P<name>[^/]+)$")

# --- datastores and the actions that read or write them ----------------------------------

_DATA = {
    "s3": "GetObject PutObject DeleteObject",
    "dynamodb": "GetItem BatchGetItem Query Scan PutItem UpdateItem DeleteItem BatchWriteItem",
    "sqs": "SendMessage ReceiveMessage",
    "sns": "Publish",
    "kinesis": "PutRecord PutRecords GetRecords",
    "secretsmanager": "GetSecretValue",
    "kms": "Decrypt Encrypt GenerateDataKey",
    "rds-db": "connect",
    "ssm": "GetParameter GetParameters GetParametersByPath PutParameter",
}
DATA_ACTIONS = {svc: tuple(f"{svc}:{a}" for a in names.split()) for svc, names in _DATA.items()}
_ALIASES = {"rds": "rds-db"}  # key / ARN service -> the IAM service of its data actions
_TF_SERVICE = {"aws_s3_bucket": "s3", "aws_db_instance": "rds", "aws_rds_cluster": "rds"}
_TF_SERVICE |= {"aws_dynamodb_table": "dynamodb", "aws_sqs_queue": "sqs", "aws_sns_topic": "sns"}
_TF_SERVICE |= {"aws_kinesis_stream": "kinesis", "aws_kms_key": "kms", "aws_ssm_parameter": "ssm"}
_TF_SERVICE |= {"aws_secretsmanager_secret": "secretsmanager"}
_BY_TYPE = {"object-store": "s3", "relational-db": "rds", "document-db": "dynamodb"}
_BY_TYPE |= {"stream": "kinesis", "key-store": "kms"}  # queue and secret-store: ambiguous
_TF_TYPE = re.compile(r"(?:^|\.)(aws_[a-z0-9_]+)\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?$")
_SECRET_SUFFIX = re.compile(r"-(?:[A-Za-z0-9?]{6}|\*)$")  # the random suffix of secret ARNs


@dataclass(frozen=True)
class Store:
    element: Element
    ref: str
    service: str
    name: str | None


def glob_match(pattern: str, text: str, fold: bool = False) -> bool:
    """IAM wildcard match: `*` any run, `?` one character."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, re.IGNORECASE if fold else 0) is not None


def service_of(el: Element) -> str | None:
    """The IAM service whose data actions reach a datastore element: from its key, ARN
    or Terraform type, and only when none says, from its catalogue type."""
    m = _TF_TYPE.search(el.resource)
    if el.key:
        named = el.key.split(":", 1)[0]
    elif el.resource.startswith("arn:"):
        named = el.resource.split(":")[2]
    else:
        named = _TF_SERVICE.get(m[1], "") if m else _BY_TYPE.get(el.type, "")
    service = _ALIASES.get(named, named)
    return service if service in DATA_ACTIONS else None


def _arn_name(service: str, resource: str) -> str:
    """The name part of an ARN's resource (bucket, table/NAME, secret:NAME, ...)."""
    if service in ("sqs", "sns"):
        return resource
    if service == "s3":
        return resource.split("/", 1)[0]
    if service == "secretsmanager":
        return resource.removeprefix("secret:")
    if service == "rds-db":
        return resource.removeprefix("dbuser:").split("/", 1)[0]
    if service == "ssm":  # parameter/NAME, the name's leading "/" dropped
        return resource.removeprefix("parameter/")
    return resource.split("/")[1] if "/" in resource else resource


def _names(pattern: str, store: Store) -> bool:
    """Does a literal Resource pattern cover the datastore?"""
    if pattern == "*" or (
        store.element.resource.startswith("arn:") and glob_match(pattern, store.element.resource)
    ):
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not glob_match(parts[2], store.service):
        return False
    name = _arn_name(store.service, parts[5])
    if not name.strip("*"):
        return True
    if store.name is None:
        return False
    if store.service == "secretsmanager" and glob_match(_SECRET_SUFFIX.sub("", name), store.name):
        return True
    return glob_match(name, store.name.lstrip("/") if store.service == "ssm" else store.name)


def covers(st: Statement, store: Store) -> bool:
    named = store.ref in st.resource_refs or any(_names(p, store) for p in st.resources)
    return not named if st.not_resource else named


def named_actions(st: Statement, service: str) -> set[str]:
    """The service's data actions a statement names."""
    acts = DATA_ACTIONS[service]
    hit = {a for a in acts if any(glob_match(p, a, fold=True) for p in st.actions)}
    return set(acts) - hit if st.not_action else hit
