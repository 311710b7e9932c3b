"""docs/aws-live.md's custom policy lists exactly the IAM actions of the calls tmscan makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SOURCES = [*sorted((REPO / "collectors" / "aws_live" / "services").glob("*.py"))]
SOURCES.append(REPO / "collectors" / "aws_live" / "session.py")

# Operations whose IAM action is not "<service>:<operation>".
SPECIAL = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock s3:GetAccountPublicAccessBlock",
}
# API Gateway (REST and HTTP) authorises every read as apigateway:GET.
APIGATEWAY = {
    "GetRestApis",
    "GetStages",
    "GetResources",
    "GetAuthorizers",
    "GetUsagePlans",
    "GetDomainNames",
    "GetBasePathMappings",
    "GetApis",
    "GetIntegrations",
    "GetApiMappings",
}
NEED_NO_PERMISSION = {"GetCallerIdentity"}


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
        ops |= {
            m.replace("_", " ").title().replace(" ", "")
            for m in re.findall(r"\.(describe_regions|get_caller_identity)\(", text)
        }
    return ops - NEED_NO_PERMISSION


def test_every_call_is_allowed_by_the_documented_policy() -> None:
    policy = documented()
    missing = []
    for op in sorted(called()):
        if op in APIGATEWAY:
            wanted = {"apigateway:GET"}
        elif op in SPECIAL:
            wanted = set(SPECIAL[op].split())
        else:
            wanted = {a for a in policy if a.endswith(f":{op}")}
        if not wanted or not wanted <= policy:
            missing.append(op)
    assert missing == []


def test_the_documented_policy_has_nothing_tmscan_does_not_call() -> None:
    ops = called()
    used = {"apigateway:GET"} | {a for op in ops for a in SPECIAL.get(op, "").split()}
    unused = sorted(a for a in documented() if a not in used and a.split(":", 1)[1] not in ops)
    assert unused == []
