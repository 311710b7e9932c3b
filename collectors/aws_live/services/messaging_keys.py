"""Secrets Manager secrets and customer managed KMS keys, their aliases and policies.

Records as collectors/terraform/services/datastores_regional.py builds them. Secret
values are never read: ListSecrets and GetResourcePolicy describe a secret without it.
AWS managed keys (and their alias/aws/... aliases) are AWS's, not the account's design:
only customer managed keys are kept, as Terraform can only declare those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws.records import Record
from collectors.aws.services.datastores_regional import KmsAlias, KmsKey, Secret
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.messaging_policy import resource_policy
from collectors.aws_live.services.storage_json import (
    asset_key,
    mappings,
    section,
    strings,
    text,
)

_AWS_ALIAS = "alias/aws/"
_GONE = ("PendingDeletion", "PendingReplicaDeletion")  # unusable, about to be deleted
_UNROTATABLE = "UnsupportedOperationException"  # imported key material, custom key stores

# --- Secrets Manager ----------------------------------------------------------------------


def read_secrets(api: Api) -> dict[str, Any]:
    secrets = api.items("ListSecrets", "SecretList")
    return {
        "SecretList": secrets,
        "policies": {
            arn: api.call("GetResourcePolicy", SecretId=arn) for arn in strings(secrets, "ARN")
        },
    }


def _customer_key(key_id: str | None, kms: Mapping[str, Any]) -> bool | None:
    """No KmsKeyId, or the aws/ alias: the AWS managed key. A customer alias: a customer
    managed key. A key id or ARN: as the region's DescribeKey says (KeyManager), else
    unknown."""
    if key_id is None or _AWS_ALIAS in key_id:
        return False
    if "alias/" in key_id:
        return True
    for arn, response in section(kms, "described").items():
        if arn == key_id or arn.endswith(f"/{key_id}"):
            manager = first(response, "KeyMetadata", "KeyManager")
            return {"CUSTOMER": True, "AWS": False}.get(str(manager))
    return None


def secret_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    policies = section(raw, "policies")
    out: list[Record] = []
    for s in mappings(raw.get("SecretList")):
        if (ref := text(s.get("ARN"))) is None:
            continue
        name = text(s.get("Name"))
        key_id = text(s.get("KmsKeyId"))
        out.append(
            Secret(
                ref,
                ref,
                where.evidence(ref),
                key=asset_key("secretsmanager", "secret", name),
                name=name,
                customer_managed_key=_customer_key(key_id, section(raw, "kms")),
            )
        )
        response = policies.get(ref)
        if not isinstance(response, Mapping) or "ResourcePolicy" in response:
            document = first(response, "ResourcePolicy")
            out.append(resource_policy(ref, "secretsmanager", document, where, "secret policy"))
    return out


# --- KMS ----------------------------------------------------------------------------------


def read_keys(api: Api) -> dict[str, Any]:
    """Every key's description; rotation and policy of the customer managed ones."""
    keys = api.items("ListKeys", "Keys")
    described: dict[str, Any] = {}
    rotation: dict[str, Any] = {}
    policies: dict[str, Any] = {}

    def read_key(arn: str) -> None:
        described[arn] = response = api.call("DescribeKey", KeyId=arn)
        meta = first(response, "KeyMetadata")
        if first(meta, "KeyManager") != "CUSTOMER" or first(meta, "KeyState") in _GONE:
            return
        if _spec(meta) == "SYMMETRIC_DEFAULT":  # the only keys that rotate automatically
            rotation[arn] = api.call("GetKeyRotationStatus", absent=(_UNROTATABLE,), KeyId=arn)
        policies[arn] = api.call("GetKeyPolicy", KeyId=arn, PolicyName="default")

    arns = strings(keys, "KeyArn")
    api.each(read_key, arns)  # each key's entries are its own: no two threads share one
    # Listed order, whichever read finished first.
    described, rotation, policies = (
        {a: d[a] for a in arns if a in d} for d in (described, rotation, policies)
    )
    return {
        "Keys": keys,
        "described": described,
        "rotation": rotation,
        "policies": policies,
        "Aliases": api.items("ListAliases", "Aliases"),
    }


def key_records(raw: Mapping[str, Any], where: Where) -> list[Record]:
    aliases = [
        a
        for a in mappings(raw.get("Aliases"))
        if (name := text(a.get("AliasName"))) and not name.startswith(_AWS_ALIAS)
    ]
    # Only a customer managed key can have an alias outside alias/aws/.
    aliased = {where.arn("kms", f"key/{k}") for a in aliases if (k := text(a.get("TargetKeyId")))}
    out: list[Record] = []
    for arn in strings(raw.get("Keys"), "KeyArn"):
        out += _key(arn, raw, arn in aliased, where)
    out += [_alias(a, where) for a in aliases]
    return out


def _key(arn: str, raw: Mapping[str, Any], aliased: bool, where: Where) -> list[Record]:
    """A customer managed key and its key policy; a key whose description could not be
    read is kept only when a customer alias shows it is the account's."""
    meta = first(section(raw, "described").get(arn), "KeyMetadata")
    if first(meta, "KeyState") in _GONE:
        return []
    if first(meta, "KeyManager") != "CUSTOMER" and not (meta is None and aliased):
        return []
    key = KmsKey(
        arn,
        arn,
        where.evidence(arn),
        key=None,  # as Terraform: key ids are generated by AWS
        description=text(first(meta, "Description")),
        key_rotation=_rotation(meta, section(raw, "rotation").get(arn)),
        key_spec=_spec(meta),
    )
    policy = first(section(raw, "policies").get(arn), "Policy")
    return [key, resource_policy(arn, "kms", policy, where, "key policy")]


def _rotation(meta: Any, response: Any) -> bool | None:
    spec = _spec(meta)
    if spec is not None and spec != "SYMMETRIC_DEFAULT":
        return False  # asymmetric and HMAC keys never rotate automatically
    if response == {}:
        return False  # rotation unsupported for this key (imported material, ...)
    rotates = first(response, "KeyRotationEnabled")
    return rotates if isinstance(rotates, bool) else None


def _alias(a: Mapping[str, Any], where: Where) -> KmsAlias:
    name = text(a.get("AliasName"))
    ref = text(a.get("AliasArn")) or where.arn("kms", name or "")
    target = text(a.get("TargetKeyId"))
    return KmsAlias(
        ref,
        ref,
        where.evidence(ref),
        key=asset_key("kms", "alias", name),
        name=name,
        target_key=where.arn("kms", f"key/{target}") if target else None,
    )


def _spec(meta: Any) -> str | None:
    return text(first(meta, "KeySpec")) or text(first(meta, "CustomerMasterKeySpec"))
