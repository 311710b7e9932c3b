"""Env values that name AWS datastores (joined to them when the AWS sources are scanned)."""

from __future__ import annotations

import pytest

from collectors.kubernetes.workloads import aws_key


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("INVOICE_BUCKET", "shop-invoices-eu", "s3:bucket:shop-invoices-eu"),
        ("ARCHIVE", "s3://orders-archive/2026/", "s3:bucket:orders-archive"),
        ("ARCHIVE_ARN", "arn:aws:s3:::orders-archive/exports/*", "s3:bucket:orders-archive"),
        (
            "JOBS",
            "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs.fifo",
            "sqs:queue:jobs.fifo",
        ),
        ("JOBS_QUEUE_ARN", "arn:aws:sqs:eu-west-1:111122223333:jobs", "sqs:queue:jobs"),
        ("EVENTS", "arn:aws:sns:eu-west-1:111122223333:order-events", "sns:topic:order-events"),
        ("ORDERS_TABLE", "orders", "dynamodb:table:orders"),
        (
            "T",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026",
            "dynamodb:table:orders",
        ),
        ("CLICKS_STREAM", "clicks", "kinesis:stream:clicks"),
        ("ORDERS_BUCKET_NAME", "orders-archive", "s3:bucket:orders-archive"),
        # A credential-named variable is never read for a name, whatever its ending.
        ("MINIO_BUCKET_SECRET_KEY", "wJalrXUtnFEMIbPxRfiCYEXAMPLEKEY", None),
        ("BUCKET_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE", None),
        ("TOPIC_TOKEN", "abc123def456", None),
        ("SECRET_ARN", "arn:aws:sqs:eu-west-1:111122223333:jobs", None),
        # Other systems' topics and tables, and values that are not names.
        ("KAFKA_TOPIC", "orders", None),
        ("ROUTING_TABLE", "main", None),
        ("QUEUE_SIZE", "1000", None),
        ("UPSTREAM_NAME", "orders-dev", None),
        ("STREAM_ENABLED", "true", None),
        ("JOBS_QUEUE", "1000", None),
        # Not resources: a value in a variable named for a secret is never taken.
        ("DB_SECRET", "hunter2-hunter2", None),
        ("BUCKET_URL", "https://cdn.example.com", None),
        ("ROLE", "arn:aws:iam::111122223333:role/app", None),
        ("LOG_LEVEL", "info", None),
        ("TABLE", "has spaces", None),
    ],
)
def test_aws_key(name: str, value: str, key: str | None) -> None:
    assert aws_key(name, value) == key
