"""The documented IAM policy (docs/aws-live.md), the read-only guard's allow-list
(collectors/aws_live/readonly.py) and the operations the code calls agree exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

from collectors.aws_live.readonly import READS

REPO = Path(__file__).resolve().parents[3]
SOURCES = [*sorted((REPO / "collectors" / "aws_live" / "services").glob("*.py"))]
SOURCES.append(REPO / "collectors" / "aws_live" / "session.py")

# boto3 client -> IAM service prefix, where they differ.
PREFIX = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing", "opensearch": "es"}
# Operations whose IAM action is not "<prefix>:<operation>".
SPECIAL = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
}
NEED_NO_PERMISSION = {"sts:GetCallerIdentity"}


def iam_action(call: str) -> str:
    service, operation = call.split(":")
    if service in ("apigateway", "apigatewayv2"):
        return "apigateway:GET"  # API Gateway authorises every read as GET
    return SPECIAL.get(call) or f"{PREFIX.get(service, service)}:{operation}"


def documented() -> set[str]:
    text = (REPO / "docs" / "aws-live.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```json\n(.*?)```", text, re.S)
    (statement,) = json.loads(block)["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return set(statement["Action"])


def called() -> set[str]:
    """Every operation name the live collector's code passes to AWS."""
    ops: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        ops |= set(re.findall(r'"((?:Describe|Get|List)[A-Z][A-Za-z0-9]+)"', text))
        for method in re.findall(r"\.(describe_regions|get_caller_identity)\(", text):
            ops.add(method.replace("_", " ").title().replace(" ", ""))
    return ops


def test_the_guard_allows_exactly_what_the_code_calls() -> None:
    assert {call.split(":")[1] for call in READS} == called()


def test_the_documented_policy_is_exactly_the_guards_reads() -> None:
    assert documented() == {iam_action(c) for c in READS - NEED_NO_PERMISSION}
