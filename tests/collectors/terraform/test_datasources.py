"""`data "aws_iam_policy_document"` is evaluated offline into the policy it renders."""

from __future__ import annotations

from pathlib import Path

from collectors.terraform.datasources import policy_document
from collectors.terraform.evaluate import Ref, Unknown
from scanner.pipeline import scan

BUCKET = """
resource "aws_s3_bucket" "b" {
  bucket = "acme-b"
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.b.arn}/*"]

    principals {
      type        = "%s"
      identifiers = ["%s"]
    }
%s  }
}

resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_s3_bucket_public_access_block" "b" {
  bucket = aws_s3_bucket.b.id
}

resource "aws_s3_account_public_access_block" "this" {
  block_public_acls = true
}
"""
CONDITION = """
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-0a1b2c3d"]
    }
"""


def _findings(tmp_path: Path, text: str) -> set[tuple[str, str, str, int, str]]:
    (tmp_path / "s3.tf").write_text(text)
    return {
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in scan(tmp_path).findings
    }


def test_public_policy_from_a_policy_document(tmp_path: Path) -> None:
    assert _findings(tmp_path, BUCKET % ("*", "*", "")) == {
        ("TM-PUB-001", "aws_s3_bucket.b", "s3.tf", 19, "high")
    }


def test_conditioned_or_account_policy_document_is_not_public(tmp_path: Path) -> None:
    assert _findings(tmp_path, BUCKET % ("*", "*", CONDITION)) == set()
    account = "arn:aws:iam::111122223333:root"
    assert _findings(tmp_path, BUCKET % ("AWS", account, "")) == set()


def test_policy_document_structure() -> None:
    rendered = policy_document(
        {
            "statement": [
                {
                    "actions": ["sqs:SendMessage"],
                    "resources": [Ref("aws_sqs_queue.q", "arn")],
                    "principals": [{"type": "Service", "identifiers": ["sns.amazonaws.com"]}],
                    "condition": [
                        {"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["arn:x"]}
                    ],
                }
            ]
        }
    )
    assert rendered["json"] == Unknown(
        frozenset({"aws_sqs_queue.q"}),
        partial={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [Ref("aws_sqs_queue.q", "arn")],
                    "Principal": {"Service": ["sns.amazonaws.com"]},
                    "Condition": {"ArnEquals": {"aws:SourceArn": ["arn:x"]}},
                }
            ],
        },
    )
    known = policy_document({"statement": [{"actions": ["s3:*"], "resources": ["*"]}]})
    assert known["json"] == (
        '{"Statement":[{"Action":["s3:*"],"Effect":"Allow","Resource":["*"]}],'
        '"Version":"2012-10-17"}'
    )


QUEUE = """
resource "aws_sqs_queue" "q" {
  name = "q"
}

%s

resource "aws_sqs_queue_policy" "q" {
  queue_url = aws_sqs_queue.q.id
  policy    = data.aws_iam_policy_document.q.json
}
"""
OPEN = """
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.q.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
%s  }
"""


def _queue_public(tmp_path: Path, document: str) -> object:
    (tmp_path / "q.tf").write_text(QUEUE % document + 'variable "conditions" {}\n')
    queue = next(e for e in scan(tmp_path).graph.elements if e.resource == "aws_sqs_queue.q")
    return queue.fact("public")


def test_a_dynamic_condition_over_unknown_items_is_not_dropped(tmp_path: Path) -> None:
    dynamic = """
    dynamic "condition" {
      for_each = var.conditions
      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
"""
    open_doc = 'data "aws_iam_policy_document" "q" {%s}' % (OPEN % "")
    assert _queue_public(tmp_path, open_doc) is True
    conditioned = 'data "aws_iam_policy_document" "q" {%s}' % (OPEN % dynamic)
    assert _queue_public(tmp_path, conditioned) is None


def test_source_policy_documents_are_merged(tmp_path: Path) -> None:
    documents = (
        'data "aws_iam_policy_document" "base" {%s}\n\n'
        'data "aws_iam_policy_document" "q" {\n'
        "  source_policy_documents = [data.aws_iam_policy_document.base.json]\n}\n"
    ) % (OPEN % "")
    assert _queue_public(tmp_path, documents) is True
