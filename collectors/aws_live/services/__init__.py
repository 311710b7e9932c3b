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

from collectors.aws_live.services import audit, compute, edge, identity, network

# Network first: its reads are the most numerous, so they start earliest.
MODULES: tuple[ModuleType, ...] = (network, edge, compute, identity, audit)
