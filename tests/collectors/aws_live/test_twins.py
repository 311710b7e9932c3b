"""The same account as files and live: one element per resource, drift where they differ
(fixtures/aws-live and its twin built in moto by account.py; TM-DRIFT-001's fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.aws_live.session import AwsOptions
from scanner.pipeline import ScanOptions, ScanResult, scan

from .moto_env import setup_client

REPO = Path(__file__).resolve().parents[3]
CODE = REPO / "fixtures" / "aws-live"
REGIONS = ("eu-west-1", "eu-central-1")


def both() -> ScanResult:
    options = ScanOptions(aws=AwsOptions(regions=REGIONS), use_cache=False)
    return scan(CODE, options=options)


def test_each_resource_is_one_element_with_both_evidence_trails(shop: dict[str, str]) -> None:
    result = both()
    ids = sorted(e.id for e in result.graph.elements)
    assert [i for i in ids if i.startswith("aws:")] == []  # every live element has its code
    boundaries = {b.id for b in result.graph.boundaries}
    twins = sorted(
        (j.target, j.subject)
        for j in result.joins
        if j.kind == "twin" and j.target not in boundaries
    )
    zones = sorted(
        (j.target, j.subject) for j in result.joins if j.kind == "twin" and j.target in boundaries
    )
    assert [code for code, _ in zones] == [
        "tf:.//account",
        "tf:.//aws_vpc.euc1",
        "tf:.//aws_vpc.euw1",
    ]
    assert [code for code, _ in twins] == [
        f"tf:.//{a}"
        for a in (
            "aws_api_gateway_rest_api.euc1_orders",
            "aws_api_gateway_rest_api.euw1_orders",
            "aws_db_instance.euc1_orders",
            "aws_db_instance.euw1_orders",
            "aws_instance.euc1_web",
            "aws_instance.euw1_web",
            "aws_lambda_function.euc1_orders_api",
            "aws_lambda_function.euw1_orders_api",
            "aws_lb.euc1",
            "aws_lb.euw1",
            "aws_s3_bucket.euc1_assets",
            "aws_s3_bucket.euc1_logs",
            "aws_s3_bucket.euw1_assets",
        )
    ]
    db = result.graph.element("tf:.//aws_db_instance.euw1_orders")
    assert [(e.source, e.file, e.uri) for e in db.evidence[:2]] == [
        ("terraform", "database.tf", None),
        ("aws", None, shop["aws_db_instance.euw1_orders"]),
    ]
    # The VPC zones are one zone each (paired by CIDR block).
    assert sorted(b.id for b in result.graph.boundaries if b.type == "vpc") == [
        "tf:.//aws_vpc.euc1",
        "tf:.//aws_vpc.euw1",
    ]
    # As the code says, and each finding once, confirmed by the live read.
    assert sorted((f.rule, f.resource) for f in result.findings) == [
        ("TM-ENC-001", "aws_db_instance.euw1_orders"),
        ("TM-IAM-001", "aws_instance.euw1_web"),
        ("TM-IAM-002", "aws_iam_role.euw1_web"),
        ("TM-LOG-002", "aws_vpc.euw1"),
        ("TM-LOG-003", "aws_lb.euw1"),
        ("TM-NET-001", "aws_instance.euw1_web"),
        ("TM-PUB-001", "aws_db_instance.euw1_orders"),
        ("TM-PUB-001", "aws_s3_bucket.euw1_assets"),
        ("TM-RATE-001", "aws_api_gateway_stage.euw1_prod"),
        ("TM-TLS-001", "aws_lb_listener.euw1_http"),
    ]


def test_a_security_group_opened_by_hand_is_exactly_one_drift(shop: dict[str, str]) -> None:
    ec2 = setup_client("ec2", "eu-west-1")
    group = shop["aws_security_group.euw1_web"]
    hole = {
        "IpProtocol": "tcp",
        "FromPort": 8080,
        "ToPort": 8080,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "debugging, remove"}],
    }
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[hole])
    try:
        result = both()
    finally:
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[hole])
    drift = [f for f in result.findings if f.rule == "TM-DRIFT-001"]
    assert [(f.resource, f.severity.label, f.confidence.label) for f in drift] == [
        ("aws_instance.euw1_web", "high", "high")
    ]
    (finding,) = drift
    assert finding.message == (
        "aws_instance.euw1_web differs from its code: internet_reachable is reachable in the "
        "account but not reachable in the code."
    )
    # The live security group rule that admits it, then the routes that make it public.
    sg = f"arn:aws:ec2:eu-west-1:123456789012:security-group/{group}"
    first = finding.evidence[0]
    assert (first.source, first.address, first.detail) == (
        "aws",
        sg,
        "ingress tcp/8080-8080 from 0.0.0.0/0",
    )
    assert [e.detail.split(" ")[0] for e in finding.evidence[1:] if e.detail] == [
        "association",
        "route",
    ]


def test_a_fact_changed_by_hand_is_drift_on_that_fact(shop: dict[str, str]) -> None:
    rds = setup_client("rds", "eu-west-1")
    rds.modify_db_instance(
        DBInstanceIdentifier="orders-db", PubliclyAccessible=False, ApplyImmediately=True
    )
    try:
        result = both()
    finally:
        rds.modify_db_instance(
            DBInstanceIdentifier="orders-db", PubliclyAccessible=True, ApplyImmediately=True
        )
    drift = [
        (f.resource, f.message, f.severity.label)
        for f in result.findings
        if f.rule == "TM-DRIFT-001"
    ]
    assert drift == [
        (
            "aws_db_instance.euw1_orders",
            "aws_db_instance.euw1_orders differs from its code: publicly_accessible is False "
            "in the account but True in the code.",
            "medium",
        )
    ]
    # What runs decides: the database is no longer reachable from the internet.
    assert ("TM-PUB-001", "aws_db_instance.euw1_orders") not in {
        (f.rule, f.resource) for f in result.findings
    }


def test_made_public_by_hand_is_one_high_drift(shop: dict[str, str]) -> None:
    rds = setup_client("rds", "eu-central-1")
    rds.modify_db_instance(
        DBInstanceIdentifier="orders-db-euc1", PubliclyAccessible=True, ApplyImmediately=True
    )
    try:
        result = both()
    finally:
        rds.modify_db_instance(
            DBInstanceIdentifier="orders-db-euc1", PubliclyAccessible=False, ApplyImmediately=True
        )
    drift = [(f.resource, f.severity.label) for f in result.findings if f.rule == "TM-DRIFT-001"]
    assert drift == [("aws_db_instance.euc1_orders", "high")]


def test_an_unreadable_account_side_is_not_drift(
    shop: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Security groups denied: the account's paths are unknown, so the code's stay and
    nothing is reported as changed."""
    from collectors.aws_live import session as aws_session

    from .test_live_scan import _deny

    guarded = aws_session._guarded

    def denying(ledger: Any, **kwargs: Any) -> Any:
        made = guarded(ledger, **kwargs)
        made._session.register("before-call.ec2.DescribeSecurityGroups", _deny("ec2"))
        return made

    monkeypatch.setattr(aws_session, "_guarded", denying)
    result = both()
    assert [f for f in result.findings if f.rule == "TM-DRIFT-001"] == []
    assert ("TM-NET-001", "aws_instance.euw1_web") in {
        (f.rule, f.resource) for f in result.findings
    }
