"""Regional datastores (DynamoDB, SQS, SNS, Kinesis, Secrets Manager, KMS) and their flows."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.records import Record
from scanner.model import INTERNET_ID, Element, Evidence, Fact, Flow, facts

# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DynamoTable(Record):
    name: str | None = None
    kms_managed: bool | None = None  # False: the AWS owned key (DynamoDB's default)
    customer_managed_key: bool | None = None
    point_in_time_recovery: bool | None = None


@dataclass(frozen=True)
class SqsQueue(Record):
    name: str | None = None
    encrypted: bool | None = None  # SSE-SQS or SSE-KMS
    kms_managed: bool | None = None  # SSE-KMS (else SSE-SQS or none)


@dataclass(frozen=True)
class SnsTopic(Record):
    name: str | None = None
    encrypted: bool | None = None  # SSE with a KMS key


@dataclass(frozen=True)
class KinesisStream(Record):
    name: str | None = None
    encrypted: bool | None = None  # encryption_type KMS


@dataclass(frozen=True)
class Secret(Record):
    name: str | None = None
    customer_managed_key: bool | None = None  # else the aws/secretsmanager key


@dataclass(frozen=True)
class KmsKey(Record):
    name: str | None = None  # not a key attribute: the mapping names it after an alias
    description: str | None = None
    key_rotation: bool | None = None
    key_spec: str | None = None  # SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, ...


@dataclass(frozen=True)
class KmsAlias(Record):
    name: str | None = None
    target_key: str | None = None  # the aws_kms_key it points at


@dataclass(frozen=True)
class ResourcePolicy(Record):
    """A resource policy on a queue, topic, table, stream, secret or key (inline or not)."""

    target: str | None = None  # ref, or a literal name / URL / ARN
    service: str | None = None  # sqs | sns | dynamodb | kinesis | secretsmanager | kms
    public: bool | None = None  # an unconditioned Allow to any principal


@dataclass(frozen=True)
class Subscription(Record):
    topic: str | None = None
    protocol: str | None = None  # sqs | lambda | firehose | http | https | email | ...
    endpoint: str | None = None  # ref of the queue / function, or a literal


@dataclass(frozen=True)
class EventSourceMapping(Record):
    source: str | None = None  # queue, stream or table (stream ARN) it polls
    function: str | None = None  # the function it invokes


@dataclass(frozen=True)
class BucketNotification(Record):
    bucket: str | None = None
    targets: tuple[tuple[str, Evidence], ...] = ()  # (queue / topic / function ref, block)


# --- elements -----------------------------------------------------------------------------

Store = DynamoTable | SqsQueue | SnsTopic | KinesisStream | Secret | KmsKey
_STORES: tuple[type[Store], ...] = (DynamoTable, SqsQueue, SnsTopic, KinesisStream, Secret, KmsKey)
_TYPES: dict[type[Record], str] = {
    DynamoTable: "document-db",
    SqsQueue: "queue",
    SnsTopic: "queue",
    KinesisStream: "stream",
    Secret: "secret-store",
    KmsKey: "key-store",
}


def _props(rec: Store) -> dict[str, Fact | None]:
    """Service facts; every store is reached through its HTTPS API endpoint."""
    out: dict[str, Fact | None] = {"protocol": "https", "port": 443}
    if isinstance(rec, DynamoTable):
        # DynamoDB encrypts every table at rest (an AWS owned key unless KMS is chosen).
        out.update(
            encryption_at_rest=True,
            kms_managed=rec.kms_managed,
            customer_managed_key=rec.customer_managed_key,
            point_in_time_recovery=rec.point_in_time_recovery,
        )
    elif isinstance(rec, SqsQueue):
        out.update(encryption_at_rest=rec.encrypted, kms_managed=rec.kms_managed)
    elif isinstance(rec, SnsTopic | KinesisStream):
        out.update(encryption_at_rest=rec.encrypted, kms_managed=rec.encrypted)
    elif isinstance(rec, Secret):
        # Secrets Manager always encrypts with KMS (aws/secretsmanager unless a key is named).
        out.update(
            encryption_at_rest=True,
            kms_managed=True,
            customer_managed_key=rec.customer_managed_key,
        )
    else:
        out.update(key_rotation=rec.key_rotation, key_spec=rec.key_spec)
    return out


_SERVICE: dict[type[Record], str] = {
    DynamoTable: "dynamodb",
    SqsQueue: "sqs",
    SnsTopic: "sns",
    KinesisStream: "kinesis",
    Secret: "secretsmanager",
    KmsKey: "kms",
    r.LambdaFunction: "lambda",
    r.Bucket: "s3",
}


def _literal(value: str, service: str | None) -> tuple[str | None, str | None]:
    """(service, name) a literal ARN, queue URL or bare name stands for."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) < 6:
            return None, None
        segments = re.split("[:/]", parts[5])
        if segments[0] in ("table", "stream", "function") and len(segments) > 1:
            return parts[2], segments[1]  # table/NAME[/stream/...], function:NAME[:alias]
        return parts[2], segments[0] if len(segments) == 1 else None
    if value.startswith("https://sqs."):
        return "sqs", value.rstrip("/").rsplit("/", 1)[-1]
    return service, value


class _Index:
    """Records by ref, and stores, functions and buckets by literal name, URL or ARN."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stores = [rec for cls in _STORES for rec in ctx.inv.of(cls)]
        named: list[Record] = [*self.stores, *ctx.inv.functions, *ctx.inv.buckets]
        self.refs = {rec.ref for rec in named}
        self.names: dict[tuple[str, str], str] = {}
        for rec in named:
            name = getattr(rec, "name", None)
            if isinstance(name, str) and name:
                self.names.setdefault((_SERVICE[type(rec)], name), rec.ref)

    def ref(self, value: str | None, service: str | None = None) -> str | None:
        """The record ref for a ref, or for a literal that names one of `service`."""
        if value is None:
            return None
        if value in self.refs or self.ctx.element(value) is not None:
            return value
        service, name = _literal(value, service)
        return self.names.get((service, name)) if service and name else None

    def element(self, value: str | None, service: str | None = None) -> Element | None:
        ref = self.ref(value, service)
        return self.ctx.element(ref) if ref is not None else None


def elements(ctx: Context) -> list[Flow]:
    """Add the regional datastores; return their internet and event-delivery flows."""
    index = _Index(ctx)
    aliases: dict[str, list[str]] = defaultdict(list)
    for alias in sorted(ctx.inv.of(KmsAlias), key=lambda a: a.name or ""):
        if alias.target_key and alias.name:
            aliases[alias.target_key].append(alias.name)
    policies: dict[str, list[ResourcePolicy]] = defaultdict(list)
    for pol in ctx.inv.of(ResourcePolicy):
        if (target := index.ref(pol.target, pol.service)) is not None:
            policies[target].append(pol)
    out: list[Flow] = []
    for rec in index.stores:
        out += _store(ctx, rec, policies.get(rec.ref, []), aliases.get(rec.ref, []))
    out += _deliveries(ctx, index)
    unique: dict[str, Flow] = {}
    for flow in out:
        unique.setdefault(flow.id, flow)  # two notification blocks, one queue: one flow
    return list(unique.values())


def _store(
    ctx: Context, rec: Store, policies: list[ResourcePolicy], aliases: list[str]
) -> list[Flow]:
    """A store's element, with its policy verdict; its internet flow if a policy is public."""
    public: bool | None = False  # no resource policy: only the owning account has access
    grants: list[Evidence] = []
    doubts: list[str] = []
    for pol in policies:
        if pol.public is None and public is False:
            public = None
        elif pol.public is True:
            public = True
            grants.append(replace(pol.evidence, fact="public_policy"))
            if pol.conditional and pol.address != rec.address:
                doubts.append(f"the count/for_each of {pol.address}")
    props = _props(rec)
    props.update(
        public=public,
        aliases=", ".join(aliases) or None,
        exposure_unconfirmed="; ".join(doubts) or None,
    )
    if isinstance(rec, KmsKey) and aliases:
        rec = replace(rec, name=aliases[0])
    el = ctx.add(
        rec,
        _TYPES[type(rec)],
        "datastore",
        ctx.account,
        props=facts(props),
        evidence=(rec.evidence, *grants),
    )
    if public is not True:
        return []
    who = grants[0].address or rec.address
    who = f"the inline policy of {who}" if who == rec.address else who
    return [
        Flow(
            INTERNET_ID,
            el.id,
            "https",
            443,
            basis="reachable",
            derivation=f"inferred: {who} grants access to anyone",
            # SQS accepts anonymous requests; the others still want a signed request,
            # from any AWS account.
            authn="none" if el.type == "queue" and "sqs:" in (el.key or "sqs:") else "aws-iam",
            evidence=tuple(grants),
        )
    ]


def _deliveries(ctx: Context, index: _Index) -> list[Flow]:
    """`called` flows AWS makes between services: subscriptions, pollers, notifications."""
    legs: list[tuple[Element | None, Element | None, str, Evidence]] = []
    for sub in ctx.inv.of(Subscription):
        legs.append(
            (
                index.element(sub.topic, "sns"),
                index.element(sub.endpoint),
                f"subscription {sub.address} ({sub.protocol or '?'})",
                sub.evidence,
            )
        )
    for esm in ctx.inv.of(EventSourceMapping):
        why = f"event source mapping {esm.address}"
        fn = index.element(esm.function, "lambda")
        legs.append((index.element(esm.source), fn, why, esm.evidence))
    for note in ctx.inv.of(BucketNotification):
        bucket = index.element(note.bucket, "s3")
        for target, ev in note.targets:
            legs.append((bucket, index.element(target), f"bucket notification {note.address}", ev))
    out: list[Flow] = []
    for src, dst, why, ev in legs:
        if src is None or dst is None:
            continue
        out.append(
            Flow(
                src.id,
                dst.id,
                "https",
                443,
                basis="called",
                derivation=f"declared: {why}",
                tls=True,  # AWS delivers between its services over their HTTPS endpoints
                evidence=(ev,),
            )
        )
    return out
