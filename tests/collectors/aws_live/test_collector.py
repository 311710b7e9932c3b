"""The collector's orchestration: regions and accounts kept apart, a module's failure
contained and reported, one record per resource."""

from __future__ import annotations

import json
from typing import Any

from collectors.aws.services.identity.records import Trail
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.collector import collect_aws, inventory_of
from collectors.aws_live.session import AwsOptions
from scanner.pipeline import ScanOptions, scan

from .moto_env import ACCOUNT, MotoServer, scan_api, setup_client

OPEN = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}],
    }
)


def test_the_same_name_in_two_regions_is_two_things(aws: MotoServer) -> None:
    for region in ("eu-west-1", "eu-central-1"):
        setup_client("sqs", region).create_queue(
            QueueName="orders", Attributes={"Policy": OPEN, "SqsManagedSseEnabled": "false"}
        )
    options = ScanOptions(aws=AwsOptions(regions=("eu-west-1", "eu-central-1")), use_cache=False)
    result = scan(None, options=options)
    public = sorted(f.resource for f in result.findings if f.rule == "TM-PUB-001")
    assert public == [
        f"arn:aws:sqs:eu-central-1:{ACCOUNT}:orders",
        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders",
    ]
    prints = {f.fingerprint for f in result.findings if f.rule == "TM-PUB-001"}
    assert len(prints) == 2  # a baseline or suppression of one does not hide the other
    assert {f.asset for f in result.findings if f.rule == "TM-PUB-001"} == {"sqs:queue:orders"}


class Broken:
    """A service module with a bug: it raises on what it read."""

    CLIENTS = ("sqs",)
    GLOBAL = False

    @staticmethod
    def read(apis: dict[str, Any]) -> dict[str, Any]:
        return {"Queues": apis["sqs"].items("ListQueues", "QueueUrls")}

    @staticmethod
    def transform(raw: Any, where: Any) -> list[Any]:
        raise KeyError("QueueArn")


def test_a_module_that_fails_is_reported_and_its_service_not_covered(aws: MotoServer) -> None:
    from collectors.aws_live.services import audit

    live = collect_aws(AwsOptions(regions=("eu-west-1",)), modules=(Broken, audit))  # type: ignore[arg-type]
    got = sorted((d.level, d.source, d.message) for d in live.fragment.diagnostics)
    assert got == [
        (
            "error",
            f"aws {ACCOUNT}/eu-west-1 Broken",
            "not read (KeyError); run with -vv for the trace",
        ),
        ("info", "aws", f"3 API calls; accounts read: {ACCOUNT} (eu-west-1)"),
        ("info", f"aws {ACCOUNT}/eu-west-1", "read cloudtrail; incomplete: sqs"),
    ]


def test_a_record_every_region_lists_is_kept_once() -> None:
    where = Where(ACCOUNT, "eu-west-1")
    arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/main"
    trail = Trail(arn, arn, where.evidence(arn), name="main", logging=True)
    inventory = inventory_of([trail, trail, trail], scope="aws")
    assert inventory.extra == (trail,)


def test_pages_are_followed_and_each_page_counted(aws: MotoServer) -> None:
    dynamodb = setup_client("dynamodb")
    for i in range(130):
        dynamodb.create_table(
            TableName=f"events-{i:03}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ledger = Ledger()
    api = scan_api("dynamodb", ledger=ledger)
    api.client.meta.events.register("before-call", ledger.count)
    names = api.items("ListTables", "TableNames")
    assert names == [f"events-{i:03}" for i in range(130)]
    assert dict(ledger.calls) == {"dynamodb:ListTables": 2}  # moto pages by 100
