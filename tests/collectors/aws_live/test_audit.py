"""The live audit module: CloudTrail trails, each read once, in its home region.

The account: a multi-region trail from eu-west-1 that logs, validates and records global
events; a forgotten single-region trail in eu-west-1 that was never started; and a
Frankfurt trail for that region only. Scanned in eu-west-1, eu-central-1 and us-east-1.

Record the fixture (tests never write files):
    python -m tests.collectors.aws_live.test_audit
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services import identity as idn
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import audit
from scanner.model import Fragment

from .moto_env import ACCOUNT, MotoServer, record, recorded, recording, scan_api, setup_client
from .test_compute import findings

EUW1, EUC1, USE1 = "eu-west-1", "eu-central-1", "us-east-1"
PREFIX = f"aws:{ACCOUNT}//"
BUCKET = "shop-cloudtrail-logs"
MAIN = f"arn:aws:cloudtrail:{EUW1}:{ACCOUNT}:trail/main"
LOCAL = f"arn:aws:cloudtrail:{EUW1}:{ACCOUNT}:trail/eu-local"
FRANKFURT = f"arn:aws:cloudtrail:{EUC1}:{ACCOUNT}:trail/frankfurt"


# --- the account ------------------------------------------------------------------------


def build_state() -> None:
    setup_client("s3", EUW1).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": EUW1}
    )
    trails = setup_client("cloudtrail", EUW1)
    trails.create_trail(
        Name="main",
        S3BucketName=BUCKET,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
    )
    trails.start_logging(Name="main")
    trails.create_trail(Name="eu-local", S3BucketName=BUCKET, IncludeGlobalServiceEvents=False)
    frankfurt = setup_client("cloudtrail", EUC1)
    frankfurt.create_trail(Name="frankfurt", S3BucketName=BUCKET, EnableLogFileValidation=True)
    frankfurt.start_logging(Name="frankfurt")


def read_state(ledger: Ledger | None = None) -> dict[str, Any]:
    """Each region's read through the scanner's guarded clients (counting their calls)."""
    out = {}
    for region in (EUW1, EUC1, USE1):
        api = scan_api("cloudtrail", region, ledger)
        api.client.meta.events.register("before-call", api.ledger.count)
        out[region] = audit.read({"cloudtrail": api})
    return out


# --- 1. reading the account through moto ------------------------------------------------


def test_read_lists_every_trail_that_applies_to_each_region(aws: MotoServer) -> None:
    build_state()
    ledger = Ledger()
    raw = read_state(ledger)
    names = {region: [t["Name"] for t in got["trailList"]] for region, got in raw.items()}
    # The multi-region trail is listed (as a shadow trail) in every region it covers.
    assert names == {EUW1: ["main", "eu-local"], EUC1: ["main", "frankfurt"], USE1: ["main"]}
    main = raw[EUW1]["trailList"][0]
    assert (
        main["TrailARN"],
        main["HomeRegion"],
        main["IsMultiRegionTrail"],
        main["IncludeGlobalServiceEvents"],
        main["LogFileValidationEnabled"],
        main["S3BucketName"],
    ) == (MAIN, EUW1, True, True, True, BUCKET)
    assert {arn: s["IsLogging"] for arn, s in raw[EUW1]["status"].items()} == {
        MAIN: True,
        LOCAL: False,
    }
    assert raw[EUC1]["status"][FRANKFURT]["IsLogging"] is True
    assert {arn: s["IsLogging"] for arn, s in raw[USE1]["status"].items()} == {MAIN: True}
    assert dict(ledger.calls) == {"cloudtrail:DescribeTrails": 3, "cloudtrail:GetTrailStatus": 5}
    assert ledger.failures == []


# --- 2. the transform, on the recorded responses ------------------------------------------


def trails(region: str, raw: dict[str, Any] | None = None) -> list[r.Record]:
    return audit.transform((raw or recorded("audit"))[region], Where(ACCOUNT, region))


def test_trails() -> None:
    where = Where(ACCOUNT, EUW1)
    assert trails(EUW1) == [
        idn.Trail(
            MAIN,
            MAIN,
            where.evidence(MAIN, region=EUW1),
            key="cloudtrail:trail:main",
            name="main",
            logging=True,
            multi_region=True,
            global_events=True,
            log_validation=True,
            bucket=BUCKET,
        ),
        idn.Trail(
            LOCAL,
            LOCAL,
            where.evidence(LOCAL, region=EUW1),
            key="cloudtrail:trail:eu-local",
            name="eu-local",
            logging=False,  # created, never started
            multi_region=False,
            global_events=False,
            log_validation=False,
            bucket=BUCKET,
        ),
    ]
    (frankfurt,) = trails(EUC1)
    assert isinstance(frankfurt, idn.Trail)
    assert (frankfurt.ref, frankfurt.evidence.region, frankfurt.multi_region) == (
        FRANKFURT,
        EUC1,
        False,
    )
    assert trails(USE1) == []


def test_failed_calls_give_unknown_facts() -> None:
    raw = recorded("audit")
    raw[EUW1]["status"][MAIN] = None  # GetTrailStatus failed
    main, local = trails(EUW1, raw)
    assert isinstance(main, idn.Trail) and isinstance(local, idn.Trail)
    assert (main.logging, main.multi_region, local.logging) == (None, True, False)
    assert trails(EUW1, {EUW1: {"trailList": None, "status": None}}) == []
    malformed = {"trailList": [3, {"Name": "x"}, {"TrailARN": MAIN, "IsLogging": "yes"}]}
    (only,) = audit.transform(malformed, Where(ACCOUNT, EUW1))
    assert isinstance(only, idn.Trail)
    assert (only.name, only.logging, only.multi_region, only.evidence.region) == (
        None,
        None,
        None,
        EUW1,
    )


# --- 3. through the shared mapping ---------------------------------------------------------


def account(trail_records: list[r.Record]) -> tuple[Fragment, Any]:
    """The fragment of a scope holding only trails, and its account zone."""
    inv = r.Inventory(extra=tuple(trail_records))
    fragment = to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")
    (zone,) = fragment.boundaries
    return fragment, zone


def test_mapping_account_facts() -> None:
    fragment, zone = account(trails(EUW1) + trails(EUC1))
    assert (zone.id, zone.type) == (f"{PREFIX}account", "account")
    # Any trail that logs decides; the stopped one does not lower the account's facts.
    assert dict(zone.props) == {
        "audit_trail": True,
        "audit_multi_region": True,
        "audit_global_events": True,
        "audit_log_validation": True,
    }
    assert [e.address for e in zone.evidence] == [MAIN, FRANKFURT]
    assert findings(fragment) == set()


def test_mapping_stopped_trail_is_a_finding() -> None:
    fragment, zone = account([trails(EUW1)[1]])
    assert dict(zone.props) == {"audit_trail": False}
    assert findings(fragment) == {("TM-LOG-001", LOCAL)}


def test_mapping_unknown_logging_is_silent() -> None:
    (main, _) = trails(EUW1)
    assert isinstance(main, idn.Trail)
    inv = r.Inventory(extra=(replace(main, logging=None),))
    fragment = to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")
    # No fact is known, so the account zone carries none and is left out.
    assert fragment.boundaries == ()
    assert findings(fragment) == set()


# --- recording -----------------------------------------------------------------------------

if __name__ == "__main__":
    with recording(EUW1):
        build_state()
        record("audit", read_state())
