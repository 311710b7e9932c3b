"""Live S3 (collectors/aws_live/services/storage.py): read through moto, transform the
recorded responses, and the bucket exposure the shared mapping derives from them.

The account: a public website bucket (public by its policy, no blocks), an orders bucket
locked down (own block, KMS, versioning, logging, BucketOwnerEnforced), a legacy
us-east-1 share with a public-read ACL that the account-level block neutralises, the
access-log bucket, and an assets bucket open to "*" only through a VPC endpoint.

recorded/storage.json is moto's answers corrected to what real AWS returns (see
`as_real_aws`): moto leaves PolicyStatus empty (AWS states IsPublic), returns no default
encryption (AWS encrypts every bucket with SSE-S3 since 2023) and no BucketRegion in
ListBuckets. Record it again with `python -m tests.collectors.aws_live.test_storage`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

import boto3

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws_live.api import Api, Ledger, Where
from collectors.aws_live.readonly import guard
from collectors.aws_live.services import storage
from scanner.model import INTERNET_ID, Element, Fragment
from tests.collectors.aws_live.moto_env import (
    ACCOUNT,
    MotoServer,
    record,
    recorded,
    scan_api,
    setup_client,
)

WHERE = Where(ACCOUNT, "")
PREFIX = f"aws:{ACCOUNT}//"
SITE, ORDERS, LEGACY, LOGS, ASSETS = (
    "acme-public-site",
    "acme-orders-data",
    "acme-legacy-share",
    "acme-access-logs",
    "acme-vpce-assets",
)
KMS_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b7e2a51-6f1c-4c0e-9d3a-1f2e3d4c5b6a"


def arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- the account in moto ------------------------------------------------------------------


def _strip_account_host(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in the host (123456789012.s3-control...); moto
    on 127.0.0.1 has no such host, so send to the server itself (moto routes by path)."""
    request.url = request.url.replace(f"//{ACCOUNT}.", "//", 1)


def control_client(guarded: bool) -> Any:
    session = boto3.session.Session(region_name="eu-west-1")
    if guarded:
        guard(session._session)
    client = session.client("s3control")
    client.meta.events.register("before-send.s3-control", _strip_account_host)
    return client


def scan_apis(ledger: Ledger) -> dict[str, Api]:
    control = Api(control_client(guarded=True), Where(ACCOUNT, "eu-west-1"), ledger)
    return {"s3": scan_api("s3", ledger=ledger), "s3control": control}


def build_account() -> None:
    """What a real account looks like: public and private buckets, old and new settings."""
    s3 = setup_client("s3")
    here = {"LocationConstraint": "eu-west-1"}
    for name in (SITE, ORDERS, LOGS, ASSETS):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=here)
    setup_client("s3", "us-east-1").create_bucket(Bucket=LEGACY)
    control_client(guarded=False).put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    # The website: anyone may read objects, and nothing blocks it.
    s3.put_bucket_policy(
        Bucket=SITE,
        Policy=policy(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{arn(SITE)}/*",
            }
        ),
    )
    s3.put_bucket_encryption(
        Bucket=LOGS,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_policy(
        Bucket=LOGS,
        Policy=policy(
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn(LOGS)}/*",
            }
        ),
    )
    _lock_down_orders(s3)
    # Legacy share: a public-read ACL with ACLs still in effect.
    legacy = setup_client("s3", "us-east-1")
    legacy.put_bucket_ownership_controls(
        Bucket=LEGACY, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    legacy.put_bucket_acl(Bucket=LEGACY, ACL="public-read")
    legacy.put_bucket_versioning(Bucket=LEGACY, VersioningConfiguration={"Status": "Suspended"})
    # Open to "*", but only through one VPC endpoint: AWS does not call that public.
    s3.put_bucket_policy(
        Bucket=ASSETS,
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{arn(ASSETS)}/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60789"}},
            }
        ),
    )


def _lock_down_orders(s3: Any) -> None:
    s3.put_public_access_block(
        Bucket=ORDERS,
        PublicAccessBlockConfiguration={f: True for f in storage._FLAGS},
    )
    s3.put_bucket_ownership_controls(
        Bucket=ORDERS, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_encryption(
        Bucket=ORDERS,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": KMS_KEY,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket=ORDERS, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket=ORDERS,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": LOGS, "TargetPrefix": "orders/"}},
    )
    s3.put_bucket_policy(
        Bucket=ORDERS,
        Policy=policy(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn(ORDERS), f"{arn(ORDERS)}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "OrdersService",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/orders-service"},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{arn(ORDERS)}/*",
            },
        ),
    )


def as_real_aws(raw: dict[str, Any]) -> dict[str, Any]:
    """Correct moto's answers to the shapes and values real AWS gives (see module doc)."""
    out = copy.deepcopy(raw)
    public = {SITE: True, ORDERS: False, LOGS: False, ASSETS: False}  # AWS's IsPublic
    sse_s3 = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": False,
                }
            ]
        }
    }
    for listed in out["Buckets"]:
        calls = out["buckets"][listed["Name"]]
        listed["BucketRegion"] = calls["Location"]["LocationConstraint"] or "us-east-1"
        if listed["Name"] in public:
            calls["PolicyStatus"] = {"PolicyStatus": {"IsPublic": public[listed["Name"]]}}
        if calls["Encryption"] == {}:
            calls["Encryption"] = sse_s3
    return out


# --- 1. reading through moto --------------------------------------------------------------


def test_read_gives_each_buckets_configuration(aws: MotoServer) -> None:
    build_account()
    ledger = Ledger()
    raw = storage.read(scan_apis(ledger))
    assert ledger.failures == []  # "not configured" answers are facts, not failures
    assert sorted(b["Name"] for b in raw["Buckets"]) == sorted([SITE, ORDERS, LEGACY, LOGS, ASSETS])
    assert raw["AccountPublicAccessBlock"] == {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        }
    }
    site, orders, legacy = (raw["buckets"][n] for n in (SITE, ORDERS, LEGACY))
    assert site["Location"] == {"LocationConstraint": "eu-west-1"}
    assert site["PublicAccessBlock"] == {}  # NoSuchPublicAccessBlockConfiguration
    assert site["OwnershipControls"] == {}  # OwnershipControlsNotFoundError
    assert json.loads(site["Policy"]["Policy"])["Statement"][0]["Principal"] == "*"
    assert legacy["Location"] == {"LocationConstraint": None}  # us-east-1
    assert legacy["Policy"] == {} and legacy["PolicyStatus"] == {}  # no policy: no status call
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in legacy["Acl"]["Grants"]
    assert legacy["Versioning"] == {"Status": "Suspended"}
    assert orders["PublicAccessBlock"]["PublicAccessBlockConfiguration"] == {
        f: True for f in storage._FLAGS
    }
    assert orders["OwnershipControls"]["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    rule = orders["Encryption"]["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert orders["Logging"]["LoggingEnabled"]["TargetBucket"] == LOGS
    assert orders["Versioning"] == {"Status": "Enabled"}


# --- 2. transform on the recorded responses -----------------------------------------------


def records(raw: dict[str, Any] | None = None) -> list[r.Record]:
    return storage.transform(raw if raw is not None else recorded("storage"), WHERE)


def of_bucket(found: list[r.Record], name: str) -> dict[tuple[type, str], Any]:
    """A bucket's records by (type, setting) - the setting only for BucketSetting."""
    out: dict[tuple[type, str], Any] = {}
    for rec in found:
        if rec.ref == arn(name):
            out[(type(rec), getattr(rec, "setting", ""))] = rec
    return out


def ev(name: str, region: str | None, detail: str | None = None) -> Any:
    return WHERE.evidence(arn(name), region=region, detail=detail)


def test_public_site_records_are_exact() -> None:
    site = of_bucket(records(), SITE)
    a = arn(SITE)
    assert list(site.values()) == [
        r.Bucket(a, a, ev(SITE, "eu-west-1"), key=f"s3:bucket:{SITE}", name=SITE),
        r.PublicAccessBlock(
            a,
            a,
            ev(SITE, "eu-west-1", "public access block"),
            bucket=a,
            block_public_acls=False,
            ignore_public_acls=False,
            block_public_policy=False,
            restrict_public_buckets=False,
        ),
        r.BucketAcl(a, a, ev(SITE, "eu-west-1", "bucket ACL"), bucket=a, public=False),
        r.OwnershipControls(
            a,
            a,
            ev(SITE, "eu-west-1", "object ownership"),
            bucket=a,
            object_ownership="ObjectWriter",
        ),
        r.BucketPolicy(a, a, ev(SITE, "eu-west-1", "bucket policy"), bucket=a, public=True),
        r.BucketSetting(
            a, a, ev(SITE, "eu-west-1", "encryption"), bucket=a, setting="encryption", enabled=False
        ),
        # Read, and not configured: access logging is off (a fact, not unknown).
        r.BucketSetting(
            a, a, ev(SITE, "eu-west-1", "logging"), bucket=a, setting="logging", enabled=False
        ),
        r.BucketSetting(
            a, a, ev(SITE, "eu-west-1", "versioning"), bucket=a, setting="versioning", enabled=False
        ),
    ]


def test_account_block_is_an_account_record() -> None:
    block = records()[0]
    ref = f"arn:aws:s3::{ACCOUNT}:public-access-block"
    assert block == r.PublicAccessBlock(
        ref,
        ref,
        WHERE.evidence(ref, region="", detail="account public access block"),
        account=True,
        bucket=None,
        block_public_acls=True,
        ignore_public_acls=True,
        block_public_policy=False,
        restrict_public_buckets=False,
    )


def test_orders_bucket_settings() -> None:
    orders = of_bucket(records(), ORDERS)
    setting = {k[1]: v for k, v in orders.items() if k[0] is r.BucketSetting}
    assert {k: getattr(v, "enabled", None) for k, v in setting.items()} == {
        "encryption": True,  # aws:kms
        "logging": True,
        "versioning": True,
    }
    assert orders[(r.OwnershipControls, "")].object_ownership == "BucketOwnerEnforced"
    assert orders[(r.BucketPolicy, "")].public is False  # AWS: not public
    block = orders[(r.PublicAccessBlock, "")]
    assert isinstance(block, r.PublicAccessBlock) and block.restrict_public_buckets is True


def test_legacy_share_is_in_us_east_1_with_a_public_acl() -> None:
    legacy = of_bucket(records(), LEGACY)
    assert legacy[(r.Bucket, "")].evidence.region == "us-east-1"
    assert legacy[(r.BucketAcl, "")].public is True
    assert (r.BucketPolicy, "") not in legacy  # no policy at all: nothing granted
    assert legacy[(r.BucketSetting, "encryption")].enabled is False  # SSE-S3
    assert legacy[(r.BucketSetting, "versioning")].enabled is False  # Suspended
    assert legacy[(r.BucketSetting, "logging")].enabled is False


def test_aws_policy_status_wins_over_the_analysis() -> None:
    raw = recorded("storage")
    assets = of_bucket(records(raw), ASSETS)
    assert assets[(r.BucketPolicy, "")].public is False  # AWS: IsPublic false
    for name in (ASSETS, SITE):
        raw["buckets"][name]["PolicyStatus"] = None  # the status call failed
    again = records(raw)
    # The analysis does not evaluate conditions: unknown, never "not public".
    assert of_bucket(again, ASSETS)[(r.BucketPolicy, "")].public is None
    assert of_bucket(again, SITE)[(r.BucketPolicy, "")].public is True


def test_failed_bucket_reads_leave_facts_unknown() -> None:
    raw = recorded("storage")
    raw["buckets"][SITE] = {k: None for k in raw["buckets"][SITE]}
    site = of_bucket(records(raw), SITE)
    a, here = arn(SITE), "eu-west-1"  # GetBucketLocation failed: ListBuckets' region
    assert site[(r.Bucket, "")].evidence.region == here
    assert site[(r.PublicAccessBlock, "")] == r.PublicAccessBlock(
        a, a, ev(SITE, here, "public access block"), bucket=a
    )
    for kind in (r.BucketAcl, r.BucketPolicy):
        assert site[(kind, "")].public is None
    assert site[(r.OwnershipControls, "")].object_ownership is None
    assert site[(r.BucketSetting, "encryption")].enabled is None
    assert site[(r.BucketSetting, "versioning")].enabled is None


def test_account_block_read_failure_is_unknown_and_list_failure_is_empty() -> None:
    raw = recorded("storage")
    raw["AccountPublicAccessBlock"] = None
    block = records(raw)[0]
    assert isinstance(block, r.PublicAccessBlock) and block.account
    assert block.block_public_policy is None and block.restrict_public_buckets is None
    raw["AccountPublicAccessBlock"] = {}  # none configured: all four off
    block = records(raw)[0]
    assert isinstance(block, r.PublicAccessBlock) and block.restrict_public_buckets is False
    assert records({"Buckets": None, "AccountPublicAccessBlock": {}})[1:] == []


def test_legacy_eu_location_and_no_default_encryption() -> None:
    raw = {
        "Buckets": [{"Name": "old-eu"}],
        "buckets": {"old-eu": {"Location": {"LocationConstraint": "EU"}, "Encryption": {}}},
    }
    old = of_bucket(records(raw), "old-eu")
    assert old[(r.Bucket, "")].evidence.region == "eu-west-1"
    assert old[(r.BucketSetting, "encryption")].enabled is False


def test_malformed_responses_do_not_raise() -> None:
    raw: dict[str, Any] = {
        "Buckets": [{"Name": "x"}, "junk", {"Name": 3}],
        "AccountPublicAccessBlock": {"PublicAccessBlockConfiguration": "junk"},
        "buckets": {
            "x": {
                "Acl": {"Grants": ["junk", {"Grantee": {"URI": storage._PUBLIC_GRANTEES[0]}}]},
                "Policy": {"Policy": "{not json"},
                "Encryption": {"ServerSideEncryptionConfiguration": {"Rules": []}},
                "OwnershipControls": {"OwnershipControls": {"Rules": "junk"}},
                "Versioning": "junk",
            }
        },
    }
    found = records(raw)
    x = of_bucket(found, "x")
    assert x[(r.BucketAcl, "")].public is None
    assert x[(r.BucketPolicy, "")].public is None
    assert x[(r.BucketSetting, "encryption")].enabled is None
    assert x[(r.BucketSetting, "versioning")].enabled is None
    block = found[0]
    assert isinstance(block, r.PublicAccessBlock) and block.block_public_acls is None


# --- 3. the shared mapping ----------------------------------------------------------------


def fragment(raw: dict[str, Any]) -> Fragment:
    found = storage.transform(raw, WHERE)

    def of(kind: type[r.R]) -> tuple[r.R, ...]:
        return tuple(x for x in found if isinstance(x, kind))

    inv = r.Inventory(
        buckets=of(r.Bucket),
        public_access_blocks=of(r.PublicAccessBlock),
        ownership_controls=of(r.OwnershipControls),
        bucket_settings=of(r.BucketSetting),
        bucket_acls=of(r.BucketAcl),
        bucket_policies=of(r.BucketPolicy),
    )
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def element(frag: Fragment, name: str) -> Element:
    (found,) = [e for e in frag.elements if e.id == PREFIX + arn(name)]
    return found


def internet_flows(frag: Fragment) -> set[str]:
    return {f.target for f in frag.flows if f.source == INTERNET_ID}


def test_mapping_flags_the_bucket_its_policy_makes_public() -> None:
    frag = fragment(recorded("storage"))
    site = element(frag, SITE)
    assert (site.type, site.kind, site.name, site.key) == (
        "object-store",
        "datastore",
        SITE,
        f"s3:bucket:{SITE}",
    )
    assert dict(site.props) == {
        "access_logging": False,
        "public": True,
        "encryption_at_rest": True,
        "kms_managed": False,
        "versioning": False,
    }
    assert [e.fact for e in site.evidence] == [None, "public_policy"]
    assert internet_flows(frag) == {PREFIX + arn(SITE)}
    (flow,) = [f for f in frag.flows if f.source == INTERNET_ID]
    assert (flow.protocol, flow.port, flow.authn) == ("https", 443, "none")
    # The account block's IgnorePublicAcls neutralises the legacy share's public ACL.
    assert element(frag, LEGACY).props["public"] is False
    orders = element(frag, ORDERS)
    assert dict(orders.props) == {
        "public": False,
        "encryption_at_rest": True,
        "kms_managed": True,
        "access_logging": True,
        "versioning": True,
    }
    assert element(frag, ASSETS).props["public"] is False


def test_mapping_account_block_neutralises_a_public_policy() -> None:
    raw = recorded("storage")
    raw["AccountPublicAccessBlock"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = (
        True
    )
    frag = fragment(raw)
    assert element(frag, SITE).props["public"] is False
    assert internet_flows(frag) == set()


def test_mapping_unreadable_policy_is_unknown_not_private() -> None:
    raw = recorded("storage")
    raw["buckets"][SITE]["Policy"] = None
    raw["buckets"][SITE]["PolicyStatus"] = None
    frag = fragment(raw)
    assert "public" not in element(frag, SITE).props  # unknown: no fact, no flow
    assert internet_flows(frag) == set()


# --- recording ----------------------------------------------------------------------------


def record_from_moto(name: str, scene: Callable[[], dict[str, Any]]) -> None:
    """Run `scene` (build an account, read it, correct moto to real AWS) against a fresh
    moto server, with the env the `aws` fixture sets, and save recorded/<name>.json.
    The other live tests record through this too."""
    server = MotoServer()
    saved = dict(os.environ)
    try:
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
            os.environ.pop(var, None)
        os.environ.update(
            AWS_ENDPOINT_URL=server.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="eu-west-1",
            AWS_CONFIG_FILE="/nonexistent/tmscan-test-aws-config",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent/tmscan-test-aws-credentials",
            AWS_EC2_METADATA_DISABLED="true",
            NO_PROXY="127.0.0.1",
        )
        record(name, scene())
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def scene() -> dict[str, Any]:
    build_account()
    return as_real_aws(storage.read(scan_apis(Ledger())))


if __name__ == "__main__":
    record_from_moto("storage", scene)
