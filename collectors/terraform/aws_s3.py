"""Terraform S3 resources (buckets, their settings, ACLs and policies) to normalised records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.resource_policy import policy_is_public
from scanner.model import any_of

_PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
_PUBLIC_CANNED = {"public-read", "public-read-write", "authenticated-read"}


def bucket(b: Block) -> r.Bucket:
    name = v.string(b.body.get("bucket"))
    return r.Bucket(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("s3", "bucket", name),
        name=name,
        acl=v.string(b.body.get("acl")),
    )


def public_access_block(b: Block, account: bool) -> r.PublicAccessBlock:
    def flag(name: str) -> bool | None:
        return v.boolean(b.body.get(name, False))  # provider default: false

    return r.PublicAccessBlock(
        b.address,
        b.address,
        b.evidence(),
        account=account,
        bucket=None if account else v.ref(b.body.get("bucket")),
        block_public_acls=flag("block_public_acls"),
        ignore_public_acls=flag("ignore_public_acls"),
        block_public_policy=flag("block_public_policy"),
        restrict_public_buckets=flag("restrict_public_buckets"),
    )


def bucket_settings(b: Block) -> list[r.BucketSetting]:
    """Encryption, logging and versioning of a bucket: their own resources, or the
    deprecated inline blocks of `aws_s3_bucket` (the bucket itself is then `b`)."""
    bucket = b.address if b.type == "aws_s3_bucket" else v.ref(b.body.get("bucket"))
    out: list[r.BucketSetting] = []

    def add(setting: str, enabled: bool | None) -> None:
        out.append(
            r.BucketSetting(
                b.address,
                b.address,
                b.evidence(setting),
                bucket=bucket,
                setting=setting,
                enabled=enabled,
            )
        )

    sse = v.first_block(b.body, "server_side_encryption_configuration")
    if b.type == "aws_s3_bucket_server_side_encryption_configuration":
        sse = b.body
    if sse is not None:
        rule = v.first_block(sse, "rule")
        default = v.first_block(rule, "apply_server_side_encryption_by_default") if rule else None
        algorithm = v.string(default.get("sse_algorithm")) if default else None
        add("encryption", None if algorithm is None else algorithm.startswith("aws:kms"))
    if b.type == "aws_s3_bucket_logging" or v.first_block(b.body, "logging") is not None:
        add("logging", True)
    versioning = v.first_block(b.body, "versioning")
    if b.type == "aws_s3_bucket_versioning":
        config = v.first_block(b.body, "versioning_configuration")
        status = v.string(config.get("status")) if config else None
        add("versioning", None if status is None else status == "Enabled")
    elif versioning is not None:
        add("versioning", v.boolean(versioning.get("enabled", False)))
    return out


def ownership_controls(b: Block) -> r.OwnershipControls:
    rule = v.first_block(b.body, "rule")
    return r.OwnershipControls(
        b.address,
        b.address,
        b.evidence(),
        bucket=v.ref(b.body.get("bucket")),
        object_ownership=v.string(rule.get("object_ownership")) if rule else None,
    )


def _grant_is_public(grant: Mapping[str, Any]) -> bool | None:
    """A grant exposes data when it gives AllUsers/AuthenticatedUsers read or write."""
    permission = v.string(grant.get("permission"))
    grantees = v.blocks(grant, "grantee")
    uris = [v.string(g.get("uri")) if "uri" in g else "" for g in grantees]
    if any(u is None for u in uris) or permission is None:
        return None
    if not any(u in _PUBLIC_GRANTEES for u in uris):
        return False
    return permission in ("READ", "WRITE", "FULL_CONTROL")


def bucket_acl(b: Block) -> r.BucketAcl:
    public: bool | None = None
    canned = b.body.get("acl")
    policy = v.first_block(b.body, "access_control_policy")
    if canned is not None:
        text = v.string(canned)
        public = None if text is None else text in _PUBLIC_CANNED
    elif policy is not None:
        verdicts = [_grant_is_public(g) for g in v.blocks(policy, "grant")]
        public = any_of(verdicts)
    return r.BucketAcl(
        b.address, b.address, b.evidence(), bucket=v.ref(b.body.get("bucket")), public=public
    )


def bucket_policy(b: Block) -> r.BucketPolicy:
    document = v.json_document(b.body.get("policy"))
    return r.BucketPolicy(
        b.address,
        b.address,
        b.evidence(),
        bucket=v.ref(b.body.get("bucket")),
        public=policy_is_public(document),
    )
