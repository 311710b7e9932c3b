"""The live scan end to end: the shop's account (account.py) built in moto in server mode,
read through its HTTP endpoint on 127.0.0.1, against the same account in Terraform
(fixtures/aws-live)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner

from collectors.aws_live import session as aws_session
from collectors.aws_live.api import Ledger
from collectors.aws_live.session import AwsOptions, open_accounts, regions_of
from scanner.cli import main
from scanner.errors import CollectorError
from scanner.model import Confidence, Finding, Severity
from scanner.pipeline import ScanOptions, ScanResult, scan
from scanner.reporters import render

from .moto_env import ACCOUNT

REPO = Path(__file__).resolve().parents[3]
REGIONS = ("eu-west-1", "eu-central-1")


def live(concurrency: int = 8, **options: Any) -> ScanResult:
    aws = AwsOptions(regions=REGIONS, concurrency=concurrency, **options)
    return scan(None, options=ScanOptions(aws=aws, use_cache=False))


@pytest.fixture(scope="module")
def result(shop: dict[str, str]) -> ScanResult:
    return live()


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/{instance_id}"


def test_live_findings_are_exactly_the_seeded_weaknesses(
    shop: dict[str, str], result: ScanResult
) -> None:
    web = instance_arn(shop["aws_instance.euw1_web"])
    vpc = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc/{shop['aws_vpc.euw1']}"
    got = {(f.rule, f.resource, f.severity, f.confidence) for f in result.findings}
    high = Confidence.HIGH
    assert got == {
        ("TM-PUB-001", shop["aws_db_instance.euw1_orders"], Severity.HIGH, high),
        ("TM-ENC-001", shop["aws_db_instance.euw1_orders"], Severity.MEDIUM, high),
        # Live, the bucket's and the account's public access blocks are read: confirmed
        # (the Terraform alone cannot rule out a block set elsewhere).
        ("TM-PUB-001", shop["aws_s3_bucket.euw1_assets"], Severity.HIGH, high),
        ("TM-TLS-001", shop["aws_lb_listener.euw1_http"], Severity.MEDIUM, high),
        ("TM-RATE-001", shop["aws_api_gateway_stage.euw1_prod"], Severity.MEDIUM, high),
        ("TM-NET-001", web, Severity.MEDIUM, high),
        ("TM-IAM-001", web, Severity.HIGH, high),
        ("TM-IAM-002", shop["aws_iam_role.euw1_web"], Severity.CRITICAL, high),
        # Every flow log of the account is seen: the missing one is confirmed.
        ("TM-LOG-002", vpc, Severity.MEDIUM, high),
        ("TM-LOG-003", shop["aws_lb.euw1"], Severity.LOW, high),
    }


def _same(live_resource: str, built: str) -> bool:
    """A live resource (ARN) is the one the builder made (an ARN, or an EC2 id)."""
    return live_resource == built or live_resource.endswith(f"/{built}")


def test_the_same_account_as_terraform_gives_the_same_findings(
    shop: dict[str, str], result: ScanResult
) -> None:
    terraform = scan(REPO / "fixtures" / "aws-live", options=ScanOptions(use_cache=False))
    by_address: dict[tuple[str, str], Finding] = {
        (f.rule, f.resource): f for f in terraform.findings
    }
    matched = set()
    for f in result.findings:
        twin = [k for k in by_address if k[0] == f.rule and _same(f.resource, shop[k[1]])]
        assert len(twin) == 1, (f.rule, f.resource)
        matched.add(twin[0])
        tf = by_address[twin[0]]
        assert (f.severity, f.asset) == (tf.severity, tf.asset), f.rule
    assert matched == set(by_address)


def test_live_locations_are_the_arn_account_and_region(
    shop: dict[str, str], result: ScanResult
) -> None:
    db = shop["aws_db_instance.euw1_orders"]
    finding = next(f for f in result.findings if f.rule == "TM-PUB-001" and f.resource == db)
    assert finding.evidence[0].location() == {
        "uri": db,
        "account": ACCOUNT,
        "region": "eu-west-1",
    }
    assert finding.asset == "rds:db-instance:orders-db"
    report = json.loads(render("json", result))
    (entry,) = [x for x in report["findings"] if x["rule"] == "TM-PUB-001" and x["resource"] == db]
    assert entry["location"] == {"uri": db, "account": ACCOUNT, "region": "eu-west-1"}
    sarif = json.loads(render("sarif", result))
    (hit,) = [
        x
        for x in sarif["runs"][0]["results"]
        if x["ruleId"].startswith("TM-PUB-001")
        and x["locations"][0].get("logicalLocations", [{}])[0].get("fullyQualifiedName") == db
    ]
    assert "physicalLocation" not in hit["locations"][0]


def test_scanning_is_deterministic_and_counts_its_calls(result: ScanResult) -> None:
    sequential = live(concurrency=1)
    assert render("json", sequential) == render("json", result)
    calls = [d for d in result.diagnostics if d.source == "aws" and "API calls" in d.message]
    assert [d.message for d in calls] == [
        f"131 API calls; accounts read: {ACCOUNT} (eu-west-1, eu-central-1)"
    ]


def test_coverage_per_account_and_region(result: ScanResult) -> None:
    coverage = {d.source: d.message for d in result.diagnostics if d.level == "info"}
    regional = (
        "apigateway, apigatewayv2, cloudtrail, dynamodb, ec2, ecs, eks, elasticache, elb, "
        "elbv2, kms, opensearch, rds, redshift, secretsmanager, sns, sqs, wafv2"
    )
    # moto has no ListFunctionUrlConfigs: Lambda is read, its function URLs are not.
    assert coverage[f"aws {ACCOUNT}/eu-west-1"] == f"read {regional}; incomplete: lambda"
    assert coverage[f"aws {ACCOUNT}/eu-central-1"] == f"read {regional}; incomplete: lambda"
    assert coverage[f"aws {ACCOUNT}/global"] == "read iam, s3, s3control"
    warnings = sorted((d.source, d.message) for d in result.diagnostics if d.level == "warning")
    assert warnings == [
        (f"aws {ACCOUNT}/{region} lambda:ListFunctionUrlConfigs", "failed (404)")
        for region in ("eu-central-1", "eu-west-1")
    ]


def _deny(service: str) -> Any:
    """A before-call handler answering every call of `service` with AccessDenied, as
    AWS does for a principal without the permission."""

    def handler(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {
            "Error": {
                "Code": "AccessDenied",
                "Message": f"User is not authorized to perform: {service}:{model.name}",
            },
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://denied.invalid", 403, {}, None), body

    return handler


def test_access_denied_on_one_service_keeps_the_rest(
    shop: dict[str, str], result: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = aws_session._guarded

    def denying_rds(ledger: Ledger, **kwargs: Any) -> Any:
        made = guarded(ledger, **kwargs)
        made._session.register("before-call.rds", _deny("rds"))
        return made

    monkeypatch.setattr(aws_session, "_guarded", denying_rds)
    denied = live()
    db = shop["aws_db_instance.euw1_orders"]
    assert {(f.rule, f.resource) for f in denied.findings} == {
        (f.rule, f.resource) for f in result.findings if f.resource != db
    }
    warnings = {d.source: d.message for d in denied.diagnostics if d.level == "warning"}
    for region in REGIONS:
        for operation in ("DescribeDBInstances", "DescribeDBClusters", "DescribeDBSubnetGroups"):
            assert warnings[f"aws {ACCOUNT}/{region} rds:{operation}"] == (
                f"access denied (AccessDenied: User is not authorized to perform: rds:{operation})"
            )
    coverage = {d.source: d.message for d in denied.diagnostics if d.level == "info"}
    assert coverage[f"aws {ACCOUNT}/eu-west-1"].endswith("; incomplete: lambda, rds")


@pytest.mark.parametrize(
    "event",
    [
        "ec2.DescribeFlowLogs",
        "ec2.DescribeNetworkAcls",
        "ec2.DescribeSecurityGroups",
        "ec2.DescribeRouteTables",
        "s3.GetBucketPolicy",
        "s3.GetPublicAccessBlock",
        "s3-control.GetPublicAccessBlock",
        "cloudtrail.DescribeTrails",
        "apigateway.GetUsagePlans",
        "elastic-load-balancing-v2.DescribeLoadBalancerAttributes",
        "iam.GetAccountAuthorizationDetails",
    ],
)
def test_a_call_denied_never_adds_a_finding(
    shop: dict[str, str], result: ScanResult, monkeypatch: pytest.MonkeyPatch, event: str
) -> None:
    """What a refused call would have said is unknown: findings may go, none may come."""
    guarded = aws_session._guarded

    def denying(ledger: Ledger, **kwargs: Any) -> Any:
        made = guarded(ledger, **kwargs)
        made._session.register(f"before-call.{event}", _deny(event.split(".", maxsplit=1)[0]))
        return made

    monkeypatch.setattr(aws_session, "_guarded", denying)
    denied = live()
    before = {(f.rule, f.resource): f.confidence for f in result.findings}
    after = {(f.rule, f.resource): f.confidence for f in denied.findings}
    assert set(after) <= set(before), set(after) - set(before)
    # ...and those that stay are no surer (a public bucket whose blocks could not be
    # read is unconfirmed).
    assert all(after[k] <= before[k] for k in after)
    operation = event.split(".")[1]
    assert any(
        d.level == "warning" and d.source.endswith(f":{operation}") and "access denied" in d.message
        for d in denied.diagnostics
    )


def test_cli_scans_the_account_and_exits_on_findings(shop: dict[str, str]) -> None:
    run = CliRunner().invoke(
        main,
        ["scan", "--aws", "--region", "eu-west-1", "--no-cache", "--format", "json"],
    )
    assert run.exit_code == 1, run.output
    report = json.loads(run.stdout)
    assert report["scan"]["root"] == f"account {ACCOUNT}"
    rules = sorted({f["rule"] for f in report["findings"]})
    assert rules == [
        "TM-ENC-001",
        "TM-IAM-001",
        "TM-IAM-002",
        "TM-LOG-002",
        "TM-LOG-003",
        "TM-NET-001",
        "TM-PUB-001",
        "TM-RATE-001",
        "TM-TLS-001",
    ]


def test_files_and_the_account_make_one_scan(shop: dict[str, str]) -> None:
    both = scan(
        REPO / "fixtures" / "aws-live",
        options=ScanOptions(aws=AwsOptions(regions=REGIONS), use_cache=False),
    )
    assert both.root == f"aws-live + account {ACCOUNT}"
    # Each resource is one element holding both trails, the file first (what CI marks);
    # tests/collectors/aws_live/test_twins.py checks the pairing itself.
    sources = {
        tuple(dict.fromkeys(ev.source for ev in e.evidence))
        for e in both.graph.elements
        if e.evidence
    }
    assert sources == {("terraform", "aws")}


def test_a_role_per_account(shop: dict[str, str], result: ScanResult) -> None:
    roles = (
        "arn:aws:iam::111122223333:role/tmscan-audit",
        f"arn:aws:iam::{ACCOUNT}:role/tmscan-audit",
    )
    both = live(role_arns=roles, external_id="tmscan-7f3e9a")
    assert both.root == f"account 111122223333 + account {ACCOUNT}"
    coverage = {d.source: d.message for d in both.diagnostics if d.level == "info"}
    for account in ("111122223333", ACCOUNT):
        assert coverage[f"aws {account}/eu-west-1"].startswith("read apigateway, apigatewayv2")
    # The shop lives in the second account only: its findings, each once.
    assert sorted(f.resource for f in both.findings) == sorted(f.resource for f in result.findings)


def test_all_regions_are_the_enabled_regions(shop: dict[str, str]) -> None:
    (account,), home = open_accounts(AwsOptions(all_regions=True), Ledger(), [])
    regions = regions_of(account, AwsOptions(all_regions=True), home)
    assert regions is not None
    assert set(REGIONS) <= set(regions)
    assert regions == sorted(regions)
    assert len(regions) > 10


def test_no_region_is_a_fatal_error(shop: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CollectorError, match="no region: pass --region"):
        open_accounts(AwsOptions(), Ledger(), [])
    run = CliRunner().invoke(main, ["scan", "--aws"])
    assert run.exit_code == 2
    assert "no region" in run.stderr


def test_a_role_sts_refuses_is_named_in_the_fatal_error(
    shop: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = aws_session._guarded

    def denying_sts(ledger: Ledger, **kwargs: Any) -> Any:
        made = guarded(ledger, **kwargs)
        made._session.register("before-call.sts.AssumeRole", _deny("sts"))
        return made

    monkeypatch.setattr(aws_session, "_guarded", denying_sts)
    role = f"arn:aws:iam::{ACCOUNT}:role/tmscan-audit"
    with pytest.raises(CollectorError) as caught:
        open_accounts(AwsOptions(regions=REGIONS, role_arns=(role,)), Ledger(), [])
    assert str(caught.value) == (
        f"aws: no role could be assumed (aws sts:AssumeRole {role}: not read: AccessDenied: "
        "User is not authorized to perform: sts:AssumeRole)"
    )


def test_a_role_that_cannot_be_assumed_is_reported_and_the_others_read(
    shop: dict[str, str],
) -> None:
    diagnostics: list[Any] = []
    good = f"arn:aws:iam::{ACCOUNT}:role/tmscan-audit"
    accounts, _ = open_accounts(
        AwsOptions(regions=REGIONS, role_arns=("arn:aws:iam::1:r", good)), Ledger(), diagnostics
    )
    assert [a.where.account for a in accounts] == [ACCOUNT]
    assert [(d.level, d.source) for d in diagnostics] == [
        ("error", "aws sts:AssumeRole arn:aws:iam::1:r")
    ]
    assert diagnostics[0].message.startswith("not read: ParamValidationError")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "eu-west-1", "."], "--region needs --aws"),
        (["--profile", "p", "--role-arn", "r", "."], "--profile, --role-arn need --aws"),
        (["--aws", "--region", "eu-west-1", "--all-regions"], "exclude each other"),
        (["--aws", "--external-id", "abc"], "--external-id goes with --role-arn"),
        (["--aws", "--aws-concurrency", "0"], "0 is not in the range 1<=x<=64"),
    ],
)
def test_aws_options_are_checked(args: list[str], message: str) -> None:
    run = CliRunner().invoke(main, ["scan", *args])
    assert run.exit_code == 2
    assert message in run.stderr


def test_progress_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.cli_aws import aws_settings

    class Tty:
        @staticmethod
        def isatty() -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Tty())
    monkeypatch.delenv("CI", raising=False)
    assert aws_settings(True, 4, regions=("eu-west-1",)) == AwsOptions(
        regions=("eu-west-1",), concurrency=4, progress=True
    )
    monkeypatch.setenv("CI", "true")
    options = aws_settings(True, 4, regions=("eu-west-1",))
    assert options is not None and options.progress is False
    assert aws_settings(False, 8) is None
