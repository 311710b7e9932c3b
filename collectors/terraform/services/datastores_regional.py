"""Terraform resources of DynamoDB, SQS, SNS, Kinesis, Secrets Manager and KMS to records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from collectors.aws.records import Record
from collectors.aws.services import datastores_regional as d
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.resource_policy import policy_is_public


def _customer_key(value: object) -> bool | None:
    """Does an attribute name a customer managed KMS key (not an alias/aws/... key)?"""
    named = v.string(value)
    if named is not None and named.startswith("alias/aws/"):
        return False
    return v.is_set(value)


def _policy(b: Block, target: str | None, service: str) -> d.ResourcePolicy:
    document = v.json_document(b.body.get("policy"))
    return d.ResourcePolicy(
        b.address,
        b.address,
        b.evidence(),
        target=target,
        service=service,
        public=policy_is_public(document),
    )


def _with_inline_policy(b: Block, rec: Record, service: str) -> list[Record]:
    """The record, plus its inline `policy` as a policy on itself when one is set."""
    if b.body.get("policy") in (None, ""):
        return [rec]
    return [rec, _policy(b, b.address, service)]


# --- DynamoDB -----------------------------------------------------------------------------


def dynamodb_table(b: Block) -> d.DynamoTable:
    name = v.string(b.body.get("name"))
    sse = v.first_block(b.body, "server_side_encryption")
    pitr = v.first_block(b.body, "point_in_time_recovery")
    # Provider/AWS defaults: without server_side_encryption (or enabled = false) the table
    # is encrypted with an AWS owned key; with enabled = true and no kms_key_arn, with the
    # AWS managed aws/dynamodb key. Point-in-time recovery is off unless enabled.
    kms: bool | None = False
    customer: bool | None = False
    if sse is not None:
        kms = v.boolean(sse.get("enabled", False))
        customer = _customer_key(sse.get("kms_key_arn")) if kms else kms
    return d.DynamoTable(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("dynamodb", "table", name),
        name=name,
        kms_managed=kms,
        customer_managed_key=customer,
        point_in_time_recovery=v.boolean(pitr.get("enabled", False)) if pitr else False,
    )


def dynamodb_resource_policy(b: Block) -> d.ResourcePolicy:
    return _policy(b, v.ref(b.body.get("resource_arn")), "dynamodb")


# --- SQS and SNS --------------------------------------------------------------------------


def sqs_queue(b: Block) -> list[Record]:
    name = v.string(b.body.get("name"))
    kms = v.is_set(b.body.get("kms_master_key_id"))
    sqs_sse = v.boolean(b.body.get("sqs_managed_sse_enabled"))
    encrypted: bool | None
    if kms is not False:
        encrypted = kms
    elif "sqs_managed_sse_enabled" in b.body:
        encrypted = sqs_sse
    else:
        # AWS default since October 2022: new queues get SSE-SQS unless told otherwise
        # (the provider's sqs_managed_sse_enabled is computed from what AWS sets).
        encrypted = True
    queue = d.SqsQueue(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("sqs", "queue", name),
        name=name,
        encrypted=encrypted,
        kms_managed=kms,
    )
    return _with_inline_policy(b, queue, "sqs")


def sqs_queue_policy(b: Block) -> d.ResourcePolicy:
    return _policy(b, v.ref(b.body.get("queue_url")), "sqs")


def sns_topic(b: Block) -> list[Record]:
    name = v.string(b.body.get("name"))
    topic = d.SnsTopic(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("sns", "topic", name),
        name=name,
        # Server-side encryption is off unless a KMS key is named (no provider default).
        encrypted=v.is_set(b.body.get("kms_master_key_id")),
    )
    return _with_inline_policy(b, topic, "sns")


def sns_topic_policy(b: Block) -> d.ResourcePolicy:
    return _policy(b, v.ref(b.body.get("arn")), "sns")


def sns_topic_subscription(b: Block) -> d.Subscription:
    protocol = v.string(b.body.get("protocol"))
    return d.Subscription(
        b.address,
        b.address,
        b.evidence(),
        topic=v.ref(b.body.get("topic_arn")),
        protocol=protocol.lower() if protocol else None,
        endpoint=v.ref(b.body.get("endpoint")),
    )


# --- Kinesis ------------------------------------------------------------------------------


def kinesis_stream(b: Block) -> d.KinesisStream:
    name = v.string(b.body.get("name"))
    encryption = v.string(b.body.get("encryption_type", "NONE"))  # provider default: NONE
    return d.KinesisStream(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("kinesis", "stream", name),
        name=name,
        encrypted=encryption.upper() == "KMS" if encryption else None,
    )


def kinesis_resource_policy(b: Block) -> d.ResourcePolicy:
    return _policy(b, v.ref(b.body.get("resource_arn")), "kinesis")


# --- Secrets Manager ----------------------------------------------------------------------


def secret(b: Block) -> list[Record]:
    name = v.string(b.body.get("name"))
    rec = d.Secret(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("secretsmanager", "secret", name),
        name=name,
        customer_managed_key=_customer_key(b.body.get("kms_key_id")),
    )
    return _with_inline_policy(b, rec, "secretsmanager")


def secret_policy(b: Block) -> d.ResourcePolicy:
    pol = _policy(b, v.ref(b.body.get("secret_arn")), "secretsmanager")
    if v.boolean(b.body.get("block_public_policy")) is True and pol.public is not False:
        # Secrets Manager refuses to attach a policy that grants broad access.
        return replace(pol, public=False)
    return pol


# --- KMS ----------------------------------------------------------------------------------


def kms_key(b: Block) -> list[Record]:
    key = d.KmsKey(
        b.address,
        b.address,
        b.evidence(),
        key=None,  # key ids are generated by AWS
        description=v.string(b.body.get("description")),
        key_rotation=v.boolean(b.body.get("enable_key_rotation", False)),  # default: off
        # Only symmetric encryption keys rotate automatically (the default spec).
        key_spec=v.string(b.body.get("customer_master_key_spec", "SYMMETRIC_DEFAULT")),
    )
    # Without a policy, KMS attaches the default key policy: the owning account only.
    return _with_inline_policy(b, key, "kms")


def kms_key_policy(b: Block) -> d.ResourcePolicy:
    return _policy(b, v.ref(b.body.get("key_id")), "kms")


def kms_alias(b: Block) -> d.KmsAlias:
    name = v.string(b.body.get("name"))
    return d.KmsAlias(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("kms", "alias", name),
        name=name,
        target_key=v.ref(b.body.get("target_key_id")),
    )


# --- event delivery -----------------------------------------------------------------------


def event_source_mapping(b: Block) -> d.EventSourceMapping:
    return d.EventSourceMapping(
        b.address,
        b.address,
        b.evidence(),
        source=v.ref(b.body.get("event_source_arn")),
        function=v.ref(b.body.get("function_name")),
    )


def bucket_notification(b: Block) -> d.BucketNotification:
    targets = []
    for kind, attr in (
        ("queue", "queue_arn"),
        ("topic", "topic_arn"),
        ("lambda_function", "lambda_function_arn"),
    ):
        for block in v.blocks(b.body, kind):
            if (target := v.ref(block.get(attr))) is not None:
                targets.append((target, b.nested_evidence(block, "notification")))
    return d.BucketNotification(
        b.address,
        b.address,
        b.evidence(),
        bucket=v.ref(b.body.get("bucket")),
        targets=tuple(targets),
    )


# resource type -> builder of the family's records
RESOURCES: dict[str, Callable[[Block], Record | list[Record]]] = {
    "aws_dynamodb_table": dynamodb_table,
    "aws_dynamodb_resource_policy": dynamodb_resource_policy,
    "aws_sqs_queue": sqs_queue,
    "aws_sqs_queue_policy": sqs_queue_policy,
    "aws_sns_topic": sns_topic,
    "aws_sns_topic_policy": sns_topic_policy,
    "aws_sns_topic_subscription": sns_topic_subscription,
    "aws_kinesis_stream": kinesis_stream,
    "aws_kinesis_resource_policy": kinesis_resource_policy,
    "aws_secretsmanager_secret": secret,
    "aws_secretsmanager_secret_policy": secret_policy,
    "aws_kms_key": kms_key,
    "aws_kms_key_policy": kms_key_policy,
    "aws_kms_alias": kms_alias,
    "aws_lambda_event_source_mapping": event_source_mapping,
    "aws_s3_bucket_notification": bucket_notification,
}
