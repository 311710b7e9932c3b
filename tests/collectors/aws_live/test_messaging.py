"""Live messaging (collectors/aws_live/services/messaging.py): SQS, SNS, Secrets Manager
and KMS read through moto, the recorded responses transformed, and the stores, policy
exposure and deliveries the shared mapping derives.

The account: an orders queue (SSE-KMS) fed by an encrypted topic, an events queue
anyone may send to with SSE turned off, a dead-letter queue on SSE-SQS, an alerts topic
without encryption; three secrets (default key, customer key shared with a partner
account, one open to "*"); three customer keys (rotating orders key, an RSA signing key,
a key whose policy lets anyone decrypt).

recorded/messaging.json is moto's answers corrected to real AWS (see `as_real_aws`):
queue URLs in AWS's form (moto gives its own endpoint), SqsManagedSseEnabled "false" on
an SSE-KMS queue (moto says "true"), an email subscription still pending confirmation
(moto confirms it at once), and an AWS managed key in ListKeys (moto lists none, though
it lists their aliases); moto's fourteen alias/aws/* aliases trimmed to one. It also
keeps the key ids moto generated under "made" (test data the transform ignores).
Record it again with `python -m tests.collectors.aws_live.test_messaging`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.services.datastores_regional import (
    KmsAlias,
    KmsKey,
    ResourcePolicy,
    Secret,
    SnsTopic,
    SqsQueue,
    Subscription,
)
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.services import messaging
from scanner.model import INTERNET_ID, Element, Fragment
from tests.collectors.aws_live.moto_env import ACCOUNT, MotoServer, recorded, scan_api, setup_client
from tests.collectors.aws_live.test_storage import record_from_moto

REGION = "eu-west-1"
WHERE = Where(ACCOUNT, REGION)
PREFIX = f"aws:{ACCOUNT}//"
SECRET_VALUE = "not-a-real-secret-value-1"
AWS_MANAGED_KEY = "5c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5"
PARTNER = "111122223333"


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
OWNER = {"Sid": "Owner", "Effect": "Allow", "Principal": ROOT, "Action": "kms:*", "Resource": "*"}


# --- the account in moto ------------------------------------------------------------------


def build_account() -> dict[str, str]:
    """Stores good and bad; returns the key ids moto generated, by alias."""
    keys = _keys()
    sqs, sns = setup_client("sqs"), setup_client("sns")
    topic = sns.create_topic(Name="orders-events", Attributes={"KmsMasterKeyId": "alias/orders"})
    sns.create_topic(Name="alerts")
    sqs.create_queue(
        QueueName="orders",
        Attributes={
            "KmsMasterKeyId": "alias/orders",
            "Policy": document(
                {
                    "Sid": "FromOrdersTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn("sqs", "orders"),
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic["TopicArn"]}},
                }
            ),
        },
    )
    sqs.create_queue(
        QueueName="events",
        Attributes={
            "SqsManagedSseEnabled": "false",
            "Policy": document(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sqs:SendMessage",
                    "Resource": arn("sqs", "events"),
                }
            ),
        },
    )
    sqs.create_queue(QueueName="audit-dlq")
    sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=arn("sqs", "orders"))
    sns.subscribe(TopicArn=topic["TopicArn"], Protocol="email", Endpoint="ops@example.com")
    _secrets(keys["alias/orders"])
    return keys


def _keys() -> dict[str, str]:
    kms = setup_client("kms")
    orders = kms.create_key(Description="orders data key")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=orders)
    signing = kms.create_key(
        Description="partner webhook signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"
    )["KeyMetadata"]["KeyId"]
    shared = kms.create_key(Description="exports shared with partners")["KeyMetadata"]["KeyId"]
    anyone = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    kms.put_key_policy(KeyId=shared, PolicyName="default", Policy=document(OWNER, anyone))
    made = {"alias/orders": orders, "alias/partner-signing": signing, "alias/exports": shared}
    for alias, key in made.items():
        kms.create_alias(AliasName=alias, TargetKeyId=key)
    return made


def _secrets(orders_key: str) -> None:
    secrets = setup_client("secretsmanager")
    secrets.create_secret(Name="prod/db/password", SecretString=SECRET_VALUE)
    api_key = secrets.create_secret(
        Name="prod/api/key", SecretString=SECRET_VALUE, KmsKeyId=arn("kms", f"key/{orders_key}")
    )
    partner = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    secrets.put_resource_policy(SecretId=api_key["ARN"], ResourcePolicy=document(partner))
    token = secrets.create_secret(Name="partner/token", SecretString=SECRET_VALUE)
    anyone = {**partner, "Principal": "*"}
    secrets.put_resource_policy(SecretId=token["ARN"], ResourcePolicy=document(anyone))


def as_real_aws(raw: dict[str, Any]) -> dict[str, Any]:
    """Correct moto's answers to what real AWS returns (see the module doc)."""
    out = copy.deepcopy(raw)
    sqs = out["sqs"]
    real = {
        u: f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{u.rsplit('/', 1)[-1]}"
        for u in sqs["QueueUrls"]
    }
    sqs["QueueUrls"] = [real[u] for u in sqs["QueueUrls"]]
    sqs["attributes"] = {real[u]: v for u, v in sqs["attributes"].items()}
    for response in sqs["attributes"].values():
        if "KmsMasterKeyId" in response["Attributes"]:
            response["Attributes"]["SqsManagedSseEnabled"] = "false"
    for sub in out["sns"]["Subscriptions"]:
        if sub["Protocol"] == "email":
            sub["SubscriptionArn"] = "PendingConfirmation"
    kms = out["kms"]
    managed = arn("kms", f"key/{AWS_MANAGED_KEY}")
    kms["Keys"].append({"KeyId": AWS_MANAGED_KEY, "KeyArn": managed})
    kms["described"][managed] = {
        "KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "KeyId": AWS_MANAGED_KEY,
            "Arn": managed,
            "Enabled": True,
            "Description": "Default key that protects my Secrets Manager data when no other key is defined",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": "Enabled",
            "Origin": "AWS_KMS",
            "KeyManager": "AWS",
            "KeySpec": "SYMMETRIC_DEFAULT",
        }
    }
    aliases = [a for a in kms["Aliases"] if not a["AliasName"].startswith("alias/aws/")]
    kms["Aliases"] = [
        *aliases,
        {
            "AliasName": "alias/aws/secretsmanager",
            "AliasArn": arn("kms", "alias/aws/secretsmanager"),
            "TargetKeyId": AWS_MANAGED_KEY,
        },
    ]
    return out


def scene() -> dict[str, Any]:
    keys = build_account()
    raw = messaging.read({c: scan_api(c) for c in messaging.CLIENTS})
    return as_real_aws(raw) | {"made": keys}  # the key ids moto made, for the tests


# --- 1. reading through moto --------------------------------------------------------------


def test_read_gives_each_stores_configuration(aws: MotoServer) -> None:
    keys = build_account()
    ledger = Ledger()
    raw = messaging.read({c: scan_api(c, ledger=ledger) for c in messaging.CLIENTS})
    assert ledger.failures == []
    assert SECRET_VALUE not in json.dumps(raw)  # secret values are never read
    queues = {
        v["Attributes"]["QueueArn"].rsplit(":", 1)[-1]: v["Attributes"]
        for v in raw["sqs"]["attributes"].values()
    }
    assert queues["orders"]["KmsMasterKeyId"] == "alias/orders"
    assert json.loads(queues["events"]["Policy"])["Statement"][0]["Principal"] == "*"
    assert queues["events"]["SqsManagedSseEnabled"] == "false"
    assert "Policy" not in queues["audit-dlq"]
    topic = arn("sns", "orders-events")
    assert raw["sns"]["attributes"][topic]["Attributes"]["KmsMasterKeyId"] == "alias/orders"
    assert {(s["Protocol"], s["Endpoint"]) for s in raw["sns"]["Subscriptions"]} == {
        ("sqs", arn("sqs", "orders")),
        ("email", "ops@example.com"),
    }
    secrets = {s["Name"]: s for s in raw["secretsmanager"]["SecretList"]}
    assert "KmsKeyId" not in secrets["prod/db/password"]  # the aws/secretsmanager key
    policies = raw["secretsmanager"]["policies"]
    assert "ResourcePolicy" not in policies[secrets["prod/db/password"]["ARN"]]
    assert "ResourcePolicy" in policies[secrets["partner/token"]["ARN"]]
    kms = raw["kms"]
    orders, signing = (
        arn("kms", f"key/{keys[a]}") for a in ("alias/orders", "alias/partner-signing")
    )
    assert kms["rotation"][orders] == {"KeyRotationEnabled": True}
    assert signing not in kms["rotation"]  # asymmetric: nothing to ask
    assert kms["described"][signing]["KeyMetadata"]["KeySpec"] == "RSA_2048"
    assert json.loads(kms["policies"][orders]["Policy"])["Statement"][0]["Principal"] == ROOT


# --- 2. transform on the recorded responses -----------------------------------------------


def records(raw: dict[str, Any] | None = None) -> list[r.Record]:
    return messaging.transform(raw if raw is not None else recorded("messaging"), WHERE)


def of(found: list[r.Record], kind: type[r.R]) -> dict[str, r.R]:
    out = {x.ref: x for x in found if isinstance(x, kind)}
    assert len(out) == len([x for x in found if isinstance(x, kind)])  # refs unique per type
    return out


def key_arn(alias: str) -> str:
    return arn("kms", f"key/{recorded('messaging')['made'][alias]}")


def policy(target: str, service: str, public: bool | None, detail: str) -> ResourcePolicy:
    ev = WHERE.evidence(target, detail=detail)
    return ResourcePolicy(target, target, ev, target=target, service=service, public=public)


def test_queues_and_their_policies() -> None:
    found = records()
    queues, policies = of(found, SqsQueue), of(found, ResourcePolicy)
    orders, events, dlq = (arn("sqs", n) for n in ("orders", "events", "audit-dlq"))
    assert queues[orders] == SqsQueue(
        orders,
        orders,
        WHERE.evidence(orders),
        key="sqs:queue:orders",
        name="orders",
        encrypted=True,
        kms_managed=True,
    )
    assert (queues[events].encrypted, queues[events].kms_managed) == (False, False)
    assert (queues[dlq].encrypted, queues[dlq].kms_managed) == (True, False)  # SSE-SQS
    assert policies[orders] == policy(orders, "sqs", False, "queue policy")  # a service only
    assert policies[events].public is True
    assert dlq not in policies


def test_topics_and_subscriptions() -> None:
    found = records()
    topics, policies = of(found, SnsTopic), of(found, ResourcePolicy)
    orders, alerts = arn("sns", "orders-events"), arn("sns", "alerts")
    assert topics[orders] == SnsTopic(
        orders,
        orders,
        WHERE.evidence(orders),
        key="sns:topic:orders-events",
        name="orders-events",
        encrypted=True,
    )
    assert topics[alerts].encrypted is False
    # SNS's default policy grants "*" only where AWS:SourceOwner is the account itself:
    # not public.
    assert policies[orders] == policy(orders, "sns", False, "topic policy")
    (sub,) = of(found, Subscription).values()  # the email one is pending: no delivery
    assert sub == Subscription(
        sub.ref,
        sub.ref,
        WHERE.evidence(sub.ref),
        topic=orders,
        protocol="sqs",
        endpoint=arn("sqs", "orders"),
    )
    assert sub.ref.startswith(f"{orders}:")


def test_secrets() -> None:
    found = records()
    secrets = {s.name: s for s in of(found, Secret).values()}
    policies = of(found, ResourcePolicy)
    api_key = secrets["prod/api/key"]
    assert api_key == Secret(
        api_key.ref,
        api_key.ref,
        WHERE.evidence(api_key.ref),
        key="secretsmanager:secret:prod/api/key",
        name="prod/api/key",
        customer_managed_key=True,
    )
    assert api_key.ref.startswith(arn("secretsmanager", "secret:prod/api/key-"))
    assert policies[api_key.ref] == policy(api_key.ref, "secretsmanager", False, "secret policy")
    assert secrets["prod/db/password"].customer_managed_key is False
    assert secrets["prod/db/password"].ref not in policies  # no resource policy
    assert policies[secrets["partner/token"].ref].public is True


def test_customer_keys_aliases_and_key_policies() -> None:
    found = records()
    keys, aliases, policies = of(found, KmsKey), of(found, KmsAlias), of(found, ResourcePolicy)
    orders = key_arn("alias/orders")
    assert keys[orders] == KmsKey(
        orders,
        orders,
        WHERE.evidence(orders),
        description="orders data key",
        key_rotation=True,
        key_spec="SYMMETRIC_DEFAULT",
    )
    signing = keys[key_arn("alias/partner-signing")]
    assert (signing.key_rotation, signing.key_spec) == (False, "RSA_2048")
    assert keys[key_arn("alias/exports")].key_rotation is False
    assert arn("kms", f"key/{AWS_MANAGED_KEY}") not in keys  # AWS managed: not kept
    assert policies[orders] == policy(orders, "kms", False, "key policy")
    assert policies[key_arn("alias/exports")].public is True
    alias = arn("kms", "alias/orders")
    assert aliases[alias] == KmsAlias(
        alias,
        alias,
        WHERE.evidence(alias),
        key="kms:alias:alias/orders",
        name="alias/orders",
        target_key=orders,
    )
    assert sorted(a.name or "" for a in aliases.values()) == [
        "alias/exports",
        "alias/orders",
        "alias/partner-signing",
    ]


def test_failed_reads_leave_facts_unknown() -> None:
    raw = recorded("messaging")
    events_url = next(u for u in raw["sqs"]["QueueUrls"] if u.endswith("/events"))
    raw["sqs"]["attributes"][events_url] = None
    raw["sns"]["attributes"][arn("sns", "alerts")] = None
    token = next(
        s["ARN"] for s in raw["secretsmanager"]["SecretList"] if s["Name"] == "partner/token"
    )
    raw["secretsmanager"]["policies"][token] = None
    orders = key_arn("alias/orders")
    raw["kms"]["described"][orders] = None  # kept: a customer alias names it
    raw["kms"]["described"][key_arn("alias/exports")] = None
    raw["kms"]["Aliases"] = [a for a in raw["kms"]["Aliases"] if a["AliasName"] != "alias/exports"]
    raw["kms"]["policies"][orders] = None
    found = records(raw)
    queues, topics, policies = of(found, SqsQueue), of(found, SnsTopic), of(found, ResourcePolicy)
    events = arn("sqs", "events")  # the ARN AWS documents for the queue's URL
    assert (queues[events].encrypted, queues[events].kms_managed) == (None, None)
    assert policies[events] == policy(events, "sqs", None, "queue policy")
    assert topics[arn("sns", "alerts")].encrypted is None
    assert policies[arn("sns", "alerts")].public is None
    assert policies[token].public is None
    keys = of(found, KmsKey)
    assert keys[orders] == KmsKey(orders, orders, WHERE.evidence(orders), key_rotation=True)
    assert policies[orders].public is None
    assert key_arn("alias/exports") not in keys  # unknown manager, no customer alias


def test_malformed_and_missing_services_do_not_raise() -> None:
    assert messaging.transform({}, WHERE) == []
    junk: dict[str, Any] = {
        "sqs": {
            "QueueUrls": ["https://sqs/x", 3],
            "attributes": {"https://sqs/x": {"Attributes": "x"}},
        },
        "sns": {"Topics": [{"TopicArn": 1}], "Subscriptions": [{"SubscriptionArn": "arn:x"}]},
        "secretsmanager": {"SecretList": [{"ARN": "arn:s"}], "policies": {"arn:s": "junk"}},
        "kms": {
            "Keys": [{"KeyArn": "arn:k"}],
            "described": {"arn:k": {"KeyMetadata": []}},
            "Aliases": [{}, {"AliasName": "alias/x", "TargetKeyId": 5}],
        },
    }
    found = messaging.transform(junk, WHERE)
    assert [type(x).__name__ for x in found] == [
        "SqsQueue",
        "ResourcePolicy",
        "Subscription",
        "Secret",
        "ResourcePolicy",
        "KmsAlias",
    ]
    queue, alias = found[0], found[-1]
    assert isinstance(queue, SqsQueue) and queue.encrypted is None
    assert isinstance(alias, KmsAlias) and alias.target_key is None


# --- 3. the shared mapping ----------------------------------------------------------------


def fragment(raw: dict[str, Any]) -> Fragment:
    inv = r.Inventory(extra=tuple(messaging.transform(raw, WHERE)))
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def element(frag: Fragment, ref: str) -> Element:
    (found,) = [e for e in frag.elements if e.id == PREFIX + ref]
    return found


def test_mapping_of_stores_exposure_and_deliveries() -> None:
    raw = recorded("messaging")
    frag = fragment(raw)
    events = element(frag, arn("sqs", "events"))
    assert (events.type, events.key, events.boundary) == (
        "queue",
        "sqs:queue:events",
        f"{PREFIX}account",
    )
    assert dict(events.props) == {
        "protocol": "https",
        "port": 443,
        "encryption_at_rest": False,
        "kms_managed": False,
        "public": True,
    }
    internet = {f.target: f for f in frag.flows if f.source == INTERNET_ID}
    assert internet[events.id].authn == "none"  # SQS takes anonymous requests
    orders_queue = element(frag, arn("sqs", "orders"))
    assert (orders_queue.props["encryption_at_rest"], orders_queue.props["public"]) == (True, False)
    topic = element(frag, arn("sns", "orders-events"))
    assert topic.props["public"] is False  # the default topic policy: the account only
    (delivery,) = [f for f in frag.flows if f.source == topic.id]
    assert (delivery.target, delivery.basis, delivery.tls) == (orders_queue.id, "called", True)
    key = element(frag, key_arn("alias/orders"))
    assert (key.type, key.name, key.props["key_rotation"]) == ("key-store", "alias/orders", True)
    exports = element(frag, key_arn("alias/exports"))
    assert internet[exports.id].authn == "aws-iam"  # a signed request, from any account
    token = next(e for e in frag.elements if e.name == "partner/token")
    assert (token.type, token.props["public"]) == ("secret-store", True)
    api_key = next(e for e in frag.elements if e.name == "prod/api/key")
    assert (api_key.props["customer_managed_key"], api_key.props["public"]) == (True, False)
    assert set(internet) == {events.id, exports.id, token.id}


if __name__ == "__main__":
    record_from_moto("messaging", scene)
