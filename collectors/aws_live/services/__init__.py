"""The services the live collector reads, one module per family.

Each module has:
- `CLIENTS`: the boto3 clients it reads through (one `Api` each);
- `GLOBAL`: True when it is read once per account (IAM, S3), not per region;
- `read(apis) -> dict`: the I/O, raw responses as plain JSON (None where a call failed);
- `transform(raw, where) -> list[Record]`: pure, records exactly as the Terraform
  collector would build them (collectors/aws/records.py and collectors/aws/services).
"""

from __future__ import annotations

from types import ModuleType

from collectors.aws_live.services import (
    audit,
    compute,
    databases,
    edge,
    identity,
    messaging,
    network,
    storage,
)

# Those with the most calls first (one per bucket, API or function), so they start
# earliest and the pool stays busy.
MODULES: tuple[ModuleType, ...] = (
    storage,
    network,
    edge,
    compute,
    databases,
    messaging,
    identity,
    audit,
)
