"""Databases of one region: RDS, Redshift, ElastiCache, OpenSearch and DynamoDB.

Each service is read and transformed by a sibling module (databases_rds, _caches,
_search); this one only routes the raw responses, keyed by client name, to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws_live.api import Api, Where
from collectors.aws_live.services import databases_caches as caches
from collectors.aws_live.services import databases_rds as rds
from collectors.aws_live.services import databases_search as search
from collectors.aws_live.services.storage_json import section

CLIENTS: tuple[str, ...] = ("rds", "redshift", "elasticache", "opensearch", "dynamodb")
GLOBAL: bool = False

_READ: dict[str, Callable[[Api], dict[str, Any]]] = {
    "rds": rds.read_rds,
    "redshift": rds.read_redshift,
    "elasticache": caches.read,
    "opensearch": search.read_search,
    "dynamodb": search.read_tables,
}
_TRANSFORM: dict[str, Callable[[Mapping[str, Any], Where], list[Record]]] = {
    "rds": rds.rds_records,
    "redshift": rds.redshift_records,
    "elasticache": caches.records,
    "opensearch": search.search_records,
    "dynamodb": search.table_records,
}


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """Every service's responses under its client name."""
    return {client: _READ[client](apis[client]) for client in CLIENTS}


def transform(raw: Mapping[str, Any], where: Where) -> list[Record]:
    """Each service's records; a service missing from `raw` adds none."""
    out: list[Record] = []
    for client in CLIENTS:
        out += _TRANSFORM[client](section(raw, client), where)
    return out
