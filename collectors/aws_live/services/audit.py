"""Live CloudTrail of one region: every trail that applies to it, and whether each is
logging.

DescribeTrails with includeShadowTrails=True also lists the multi-region trails whose
home is another region and, in a member account, the organization's trails: without
them a member account would seem to have no trail at all. Every region read lists them
again; the collector keeps one record per trail ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.record_base import Record
from collectors.aws.services.identity.records import Trail
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services.compute_fields import flag, keyed, mappings, text

CLIENTS: tuple[str, ...] = ("cloudtrail",)
GLOBAL: bool = False


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """The region's own trails, and per trail ARN its status (None: unknown)."""
    api = apis["cloudtrail"]
    trails = api.items("DescribeTrails", "trailList", includeShadowTrails=True)
    status: dict[str, Any] = {}
    for trail in mappings(trails):
        if (arn := text(trail.get("TrailARN"))) is not None:
            status[arn] = api.call("GetTrailStatus", Name=arn)
    return {"trailList": trails, "status": status}


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """One Trail record per trail (pure)."""
    status = keyed(raw.get("status"))
    out: list[Record] = []
    for trail in mappings(raw.get("trailList")):
        arn = text(trail.get("TrailARN"))
        if arn is None:
            continue
        name = text(trail.get("Name"))
        out.append(
            Trail(
                arn,
                arn,
                where.evidence(arn, region=text(trail.get("HomeRegion")) or where.region),
                key=f"cloudtrail:trail:{name}" if name else None,
                name=name,
                logging=flag(keyed(status.get(arn)).get("IsLogging")),
                multi_region=flag(trail.get("IsMultiRegionTrail")),
                global_events=flag(trail.get("IncludeGlobalServiceEvents")),
                log_validation=flag(trail.get("LogFileValidationEnabled")),
                bucket=text(trail.get("S3BucketName")),
            )
        )
    return out
