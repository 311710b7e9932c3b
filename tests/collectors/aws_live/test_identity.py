"""The live identity module: IAM roles, policies and instance profiles through moto.

The account: a web server's instance role with an inline `"Action": "*"` on `"*"` (the
classic over-privileged role), an orders function's role with a customer managed policy
(two versions, the second the default) and a conditional inline grant, a reports role
(under a path) with an AWS managed read-only policy, a partner role others may assume
with an external id, and a role anyone may assume.

Record the fixture (tests never write files):
    python -m tests.collectors.aws_live.test_identity
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services import identity as idn
from collectors.aws.services.datastores_regional import DynamoTable, SqsQueue
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import identity
from scanner.model import Evidence, Fragment

from .moto_env import ACCOUNT, MotoServer, record, recorded, recording, scan_api, setup_client
from .test_compute import findings

WHERE = Where(ACCOUNT, "")  # IAM is read once per account
REGION = "eu-west-1"
PREFIX = f"aws:{ACCOUNT}//"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
BUCKET_ARN = "arn:aws:s3:::shop-exports"
LAMBDA_LOGS = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return _doc({**st, "Condition": condition} if condition else st)


# --- the account ------------------------------------------------------------------------


def build_state() -> None:
    iam = setup_client("iam")
    iam.create_role(
        RoleName="web-instance", AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"})
    )
    iam.put_role_policy(
        RoleName="web-instance",
        PolicyName="admin",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    iam.create_instance_profile(InstanceProfileName="web-instance")
    iam.add_role_to_instance_profile(InstanceProfileName="web-instance", RoleName="web-instance")
    iam.create_instance_profile(InstanceProfileName="spare")  # holds no role

    lambda_trust = _trust({"Service": "lambda.amazonaws.com"})
    iam.create_role(RoleName="orders-api", AssumeRolePolicyDocument=lambda_trust)
    arn = iam.create_policy(
        PolicyName="orders-data",
        PolicyDocument=_doc(
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN}
        ),
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=arn,
        SetAsDefault=True,
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                "Resource": TABLE_ARN,
            },
            {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": QUEUE_ARN},
            # Guard rails: no other table, and nothing outside these services.
            {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE_ARN},
            {
                "Effect": "Deny",
                "NotAction": ["dynamodb:*", "sqs:*", "s3:*", "logs:*"],
                "Resource": "*",
            },
        ),
    )
    iam.attach_role_policy(RoleName="orders-api", PolicyArn=arn)
    iam.attach_role_policy(RoleName="orders-api", PolicyArn=LAMBDA_LOGS)
    iam.put_role_policy(
        RoleName="orders-api",
        PolicyName="exports",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{BUCKET_ARN}/${{aws:PrincipalTag/team}}/*",
                "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            }
        ),
    )

    iam.create_role(RoleName="reports", Path="/analytics/", AssumeRolePolicyDocument=lambda_trust)
    iam.attach_role_policy(RoleName="reports", PolicyArn=S3_READ)

    partner = _trust({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "f3c1-partner"}})
    iam.create_role(RoleName="partner-access", AssumeRolePolicyDocument=partner)
    iam.create_role(RoleName="open-door", AssumeRolePolicyDocument=_trust({"AWS": ["*"]}))


def read_state(ledger: Ledger | None = None) -> dict[str, Any]:
    """The module's read through the scanner's guarded client (counting its calls)."""
    api = scan_api("iam", REGION, ledger)
    api.client.meta.events.register("before-call", api.ledger.count)
    return identity.read({"iam": api})


@pytest.fixture
def iam_account(aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """The account with AWS managed policies (moto loads them only when asked)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    aws.reset()
    return aws


# --- 1. reading the account through moto ------------------------------------------------


def test_read_gives_the_raw_responses(iam_account: MotoServer) -> None:
    build_state()
    ledger = Ledger()
    raw = read_state(ledger)
    details = raw["details"]
    roles = {x["RoleName"]: x for x in details["RoleDetailList"]}
    assert sorted(roles) == ["open-door", "orders-api", "partner-access", "reports", "web-instance"]
    assert details["UserDetailList"] == [] and details["GroupDetailList"] == []
    web = roles["web-instance"]
    assert web["RolePolicyList"] == [
        {
            "PolicyName": "admin",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            },
        }
    ]
    assert [p["Arn"] for p in web["InstanceProfileList"]] == [f"{PROFILE}/web-instance"]
    assert roles["orders-api"]["AttachedManagedPolicies"] == [
        {"PolicyName": "orders-data", "PolicyArn": f"{POLICY}/orders-data"},
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_LOGS},
    ]
    assert roles["reports"]["Arn"] == f"{ROLE}/analytics/reports"
    # Only the customer managed policy (LocalManagedPolicy), with both its versions.
    (policy,) = details["Policies"]
    assert (policy["Arn"], policy["DefaultVersionId"]) == (f"{POLICY}/orders-data", "v2")
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in policy["PolicyVersionList"]] == [
        ("v1", False),
        ("v2", True),
    ]
    assert sorted(p["InstanceProfileName"] for p in raw["InstanceProfiles"]) == [
        "spare",
        "web-instance",
    ]
    assert set(ledger.calls) == {"iam:GetAccountAuthorizationDetails", "iam:ListInstanceProfiles"}
    assert ledger.failures == []


# --- 2. the transform, on the recorded responses ------------------------------------------


def ev(arn: str, detail: str | None = None) -> Evidence:
    return WHERE.evidence(arn, detail=detail)


@pytest.fixture(scope="module")
def records() -> dict[str, r.Record]:
    out = identity.transform(recorded("identity"), WHERE)
    by_ref = {x.ref: x for x in out}
    assert len(by_ref) == len(out)  # refs are unique
    return by_ref


def test_roles(records: dict[str, r.Record]) -> None:
    web = f"{ROLE}/web-instance"
    assert records[web] == idn.IamRole(
        web,
        web,
        ev(web),
        key="iam:role:web-instance",
        name="web-instance",
        assumable_by_anyone=False,
        workload_identity=False,  # EC2 assumes it, not a Kubernetes service account
    )
    assert ev(web).region is None  # a global service: no region
    anyone = {x.name: x.assumable_by_anyone for x in records.values() if isinstance(x, idn.IamRole)}
    assert anyone == {
        "web-instance": False,
        "orders-api": False,
        "reports": False,
        "partner-access": None,  # "*" with an external id Condition: not evaluated
        "open-door": True,
    }
    reports = records[f"{ROLE}/analytics/reports"]
    assert (reports.key, reports.address) == ("iam:role:reports", f"{ROLE}/analytics/reports")


def test_inline_policies(records: dict[str, r.Record]) -> None:
    admin = f"{ROLE}/web-instance#inline-policy/admin"
    assert records[admin] == idn.IamPolicy(
        admin,
        admin,
        ev(f"{ROLE}/web-instance", "inline policy admin"),
        key="iam:role-policy:web-instance/admin",
        name="admin",
        role=f"{ROLE}/web-instance",
        statements=(idn.Statement("Allow", ("*",), ("*",)),),
    )
    exports = records[f"{ROLE}/orders-api#inline-policy/exports"]
    assert isinstance(exports, idn.IamPolicy)
    # A policy variable stays literal; the Condition makes the grant conditional.
    assert exports.statements == (
        idn.Statement(
            "Allow",
            ("s3:PutObject",),
            (f"{BUCKET_ARN}/${{aws:PrincipalTag/team}}/*",),
            conditional=True,
        ),
    )


def test_managed_policy_is_its_default_version(records: dict[str, r.Record]) -> None:
    arn = f"{POLICY}/orders-data"
    assert records[arn] == idn.IamPolicy(
        arn,
        arn,
        ev(arn, "default version v2"),
        key="iam:policy:orders-data",
        name="orders-data",
        statements=(
            idn.Statement("Allow", ("dynamodb:GetItem", "dynamodb:Query"), (TABLE_ARN,)),
            idn.Statement("Allow", ("sqs:ReceiveMessage",), (QUEUE_ARN,)),
            idn.Statement("Deny", ("dynamodb:*",), (TABLE_ARN,), not_resource=True),
            idn.Statement(
                "Deny", ("dynamodb:*", "sqs:*", "s3:*", "logs:*"), ("*",), not_action=True
            ),
        ),
    )


def test_attachments_and_profiles(records: dict[str, r.Record]) -> None:
    atts = {(x.role, x.policy) for x in records.values() if isinstance(x, idn.IamPolicyAttachment)}
    assert atts == {
        (f"{ROLE}/orders-api", f"{POLICY}/orders-data"),
        (f"{ROLE}/orders-api", LAMBDA_LOGS),  # AWS managed: its ARN, resolved by the mapping
        (f"{ROLE}/analytics/reports", S3_READ),
    }
    ref = f"{ROLE}/analytics/reports#attached/{S3_READ}"
    assert records[ref] == idn.IamPolicyAttachment(
        ref,
        ref,
        ev(f"{ROLE}/analytics/reports", f"attached policy {S3_READ}"),
        role=f"{ROLE}/analytics/reports",
        policy=S3_READ,
    )
    web = f"{PROFILE}/web-instance"
    assert records[web] == idn.InstanceProfile(
        web,
        web,
        ev(web),
        key="iam:instance-profile:web-instance",
        name="web-instance",
        role=f"{ROLE}/web-instance",
    )
    spare = records[f"{PROFILE}/spare"]  # only in ListInstanceProfiles: it holds no role
    assert isinstance(spare, idn.InstanceProfile) and spare.role is None


def test_failed_calls_give_nothing_claimed() -> None:
    raw = recorded("identity")
    assert identity.transform({"details": None, "InstanceProfiles": None}, WHERE) == []
    # Without the authorization details, profiles still come from ListInstanceProfiles.
    only = identity.transform({**raw, "details": None}, WHERE)
    assert {type(x).__name__ for x in only} == {"InstanceProfile"}


def test_documents_and_trust_semantics() -> None:
    text = _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    # The raw API's URL-encoded JSON reads like boto3's decoded object.
    assert identity.document(urllib.parse.quote(text)) == json.loads(text)
    assert identity.document("not json") is None
    assert (
        identity.statements(
            {"Statement": {"Effect": "Allow", "Action": ["s3:*", 3], "Resource": "*"}}
        )
        == ()
    )  # an item that is not a string: nothing is claimed
    assert identity.statements({"Statement": [{"Effect": "Maybe", "Action": "*"}, "x"]}) == ()
    allow_all = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    cases = [
        ({"Statement": [allow_all]}, True),
        ({"Statement": [allow_all, tls_only]}, True),
        ({"Statement": [allow_all, {**tls_only, "Condition": {}}]}, None),  # a Deny narrows
        (
            {"Statement": [{**allow_all, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}]},
            False,
        ),
        ({"Statement": [{**allow_all, "NotPrincipal": {"AWS": "x"}, "Principal": None}]}, True),
        ({"Statement": ["?"]}, None),
        ({}, None),
        (None, None),
    ]
    assert [identity.open_to_anyone(doc) for doc, _ in cases] == [want for _, want in cases]


# --- 3. through the shared mapping ---------------------------------------------------------

INSTANCE = "i-0a1b2c3d4e5f60718"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"


def _eid(ref: str) -> str:
    return f"{PREFIX}{ref}"


@pytest.fixture(scope="module")
def fragment(records: dict[str, r.Record]) -> Fragment:
    """IAM records with an EC2 instance and functions running as the roles (as the EC2
    and compute modules read them), and datastores the other modules read."""
    instance = r.Instance(
        INSTANCE,
        WHERE.arn("ec2", f"instance/{INSTANCE}", region=REGION),
        ev(INSTANCE),
        instance_profile=f"{PROFILE}/web-instance",
    )
    functions = tuple(
        r.LambdaFunction(
            f"{FN}:{name}", f"{FN}:{name}", ev(name), name=name, in_vpc=False, role=role
        )
        for name, role in (
            ("orders-api", f"{ROLE}/orders-api"),
            ("reports", f"{ROLE}/analytics/reports"),
        )
    )
    inv = r.Inventory(
        instances=(instance,),
        functions=functions,
        buckets=(
            r.Bucket(
                BUCKET_ARN,
                BUCKET_ARN,
                ev(BUCKET_ARN),
                key="s3:bucket:shop-exports",
                name="shop-exports",
            ),
        ),
        extra=(
            *records.values(),
            DynamoTable(
                TABLE_ARN, TABLE_ARN, ev(TABLE_ARN), key="dynamodb:table:orders", name="orders"
            ),
            SqsQueue(QUEUE_ARN, QUEUE_ARN, ev(QUEUE_ARN), key="sqs:queue:jobs", name="jobs"),
        ),
    )
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def test_mapping_permission_flows(fragment: Fragment) -> None:
    web, orders, reports = _eid(INSTANCE), _eid(f"{FN}:orders-api"), _eid(f"{FN}:reports")
    bucket, table, queue = _eid(BUCKET_ARN), _eid(TABLE_ARN), _eid(QUEUE_ARN)
    got = {f.id: f.derivation for f in fragment.flows}
    assert got == {
        # The instance role's inline "*" on "*" reaches every datastore in the scope.
        f"{web}->{bucket}:https/443": (f"inferred: {ROLE}/web-instance allows * on {BUCKET_ARN}"),
        f"{web}->{table}:https/443": f"inferred: {ROLE}/web-instance allows * on {TABLE_ARN}",
        f"{web}->{queue}:https/443": f"inferred: {ROLE}/web-instance allows * on {QUEUE_ARN}",
        # The default version of the customer managed policy (not v1).
        f"{orders}->{table}:https/443": (
            f"inferred: {ROLE}/orders-api allows dynamodb:GetItem, dynamodb:Query on {TABLE_ARN}"
        ),
        f"{orders}->{queue}:https/443": (
            f"inferred: {ROLE}/orders-api allows sqs:ReceiveMessage on {QUEUE_ARN}"
        ),
        f"{orders}->{bucket}:https/443": (
            f"inferred (conditional): {ROLE}/orders-api allows s3:PutObject on {BUCKET_ARN}"
        ),
        # AmazonS3ReadOnlyAccess, resolved from the attachment's AWS managed ARN.
        f"{reports}->{bucket}:https/443": (
            f"inferred: {ROLE}/analytics/reports allows s3:Get* on {BUCKET_ARN}"
        ),
    }
    flows = {f.id: f for f in fragment.flows}
    admin = flows[f"{web}->{table}:https/443"]
    assert (admin.basis, admin.tls, admin.authn, admin.evidence) == (
        "reachable",
        True,
        "aws-iam",
        (ev(f"{ROLE}/web-instance", "inline policy admin"),),
    )
    read = flows[f"{orders}->{table}:https/443"]
    assert read.evidence == (
        ev(f"{POLICY}/orders-data", "default version v2"),
        ev(f"{ROLE}/orders-api", f"attached policy {POLICY}/orders-data"),
    )


def test_mapping_elements(fragment: Fragment) -> None:
    els = {e.id: e for e in fragment.elements}
    assert (els[_eid(INSTANCE)].type, els[_eid(INSTANCE)].kind) == ("vm", "process")
    assert {e.id for e in fragment.elements if e.kind == "datastore"} == {
        _eid(BUCKET_ARN),
        _eid(TABLE_ARN),
        _eid(QUEUE_ARN),
    }
    # IAM records are not elements: roles and policies only shape flows.
    assert not any(e.id.startswith(_eid(ROLE)) for e in fragment.elements)


def test_mapping_findings(fragment: Fragment) -> None:
    # The hand-built instance runs as web-instance, whose inline policy allows "*" on
    # "*": TM-IAM-002 names the role (medium: nothing in this scope reaches the
    # instance). Permission flows open no path from the internet by themselves.
    assert findings(fragment) == {("TM-IAM-002", f"arn:aws:iam::{ACCOUNT}:role/web-instance")}


# --- recording -----------------------------------------------------------------------------

if __name__ == "__main__":
    with recording(REGION, MOTO_IAM_LOAD_MANAGED_POLICIES="true"):
        build_state()
        record("identity", read_state())
