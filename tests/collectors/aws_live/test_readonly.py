"""tmscan never changes an account: writes are refused before a request is built."""

from __future__ import annotations

import pytest

from collectors.aws_live.api import Ledger
from collectors.aws_live.collector import collect_aws
from collectors.aws_live.readonly import ReadOnlyViolation, is_read
from collectors.aws_live.session import AwsOptions, open_accounts

from .moto_env import MotoServer, setup_client


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("ec2", "DescribeSecurityGroups", True),
        ("s3", "GetBucketPolicy", True),
        ("iam", "GetAccountAuthorizationDetails", True),
        # A read, but not one tmscan makes: only the calls it is built to make pass.
        ("iam", "ListRoles", False),
        ("s3", "HeadBucket", True),  # botocore's own S3 region redirect
        ("ec2", "DescribeInstanceAttribute", False),  # would return user data
        ("ssm", "GetParameterHistory", False),  # returns parameter values
        ("sts", "AssumeRole", True),
        ("sts", "AssumeRoleWithWebIdentity", True),
        ("ec2", "AuthorizeSecurityGroupIngress", False),
        ("ec2", "CreateVpc", False),
        ("s3", "PutBucketPolicy", False),
        ("s3", "DeleteBucket", False),
        ("iam", "AttachRolePolicy", False),
        ("lambda", "InvokeFunction", False),
        ("lambda", "Invoke", False),
        # Named like reads, but they read data, secrets or code, or mint credentials.
        ("secretsmanager", "GetSecretValue", False),
        ("s3", "GetObject", False),
        ("ssm", "GetParameters", False),
        ("lambda", "GetFunction", False),
        ("sts", "GetSessionToken", False),
        ("ec2", "GetPasswordData", False),
    ],
)
def test_only_reads_are_allowed(service: str, operation: str, allowed: bool) -> None:
    assert is_read(service, operation) is allowed


def test_a_write_through_the_scanners_session_fails_and_changes_nothing(
    aws: MotoServer,
) -> None:
    owner = setup_client("ec2")
    before = sorted(v["VpcId"] for v in owner.describe_vpcs()["Vpcs"])
    ledger = Ledger()
    (account,), _ = open_accounts(AwsOptions(regions=("eu-west-1",)), ledger, [])
    client = account.client("ec2", "eu-west-1")
    with pytest.raises(ReadOnlyViolation, match=r"ec2:CreateVpc: refused"):
        client.create_vpc(CidrBlock="10.99.0.0/16")
    s3 = account.client("s3", "eu-west-1")
    with pytest.raises(ReadOnlyViolation, match=r"s3:CreateBucket: refused"):
        s3.create_bucket(Bucket="tmscan-must-not-create")
    # A session made anew from the same account (assumed roles go the same way).
    other = account.session.client("iam")
    with pytest.raises(ReadOnlyViolation, match=r"iam:CreateRole: refused"):
        other.create_role(RoleName="x", AssumeRolePolicyDocument="{}")
    assert sorted(v["VpcId"] for v in owner.describe_vpcs()["Vpcs"]) == before
    assert setup_client("s3").list_buckets()["Buckets"] == []
    # Reads work, and are counted; refused writes never reached the wire.
    client.describe_vpcs()
    assert ledger.calls == {"sts:GetCallerIdentity": 1, "ec2:DescribeVpcs": 1}


def test_a_module_that_tries_to_write_stops_the_scan(aws: MotoServer) -> None:
    class Rogue:
        __name__ = "rogue"
        CLIENTS = ("ec2",)
        GLOBAL = False

        @staticmethod
        def read(apis: dict[str, object]) -> dict[str, object]:
            apis["ec2"].client.delete_vpc(VpcId="vpc-12345678")  # type: ignore[attr-defined]
            return {}

        @staticmethod
        def transform(raw: object, where: object) -> list[object]:
            return []

    with pytest.raises(ReadOnlyViolation):
        collect_aws(AwsOptions(regions=("eu-west-1",)), modules=(Rogue,))  # type: ignore[arg-type]
