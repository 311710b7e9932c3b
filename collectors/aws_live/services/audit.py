"""Live CloudTrail of one region: the trails whose home is this region, and whether
each is logging.

DescribeTrails with includeShadowTrails=False lists a multi-region trail only in its
home region (with True, every region would list it again), so each trail is read once
and becomes one record, whichever regions the scan covers.
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
    trails = api.items("DescribeTrails", "trailList", includeShadowTrails=False)
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
