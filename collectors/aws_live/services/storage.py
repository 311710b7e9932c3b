"""S3: buckets and every setting that decides whether one is public, read account-wide.

The records are the ones collectors/terraform/aws_s3.py builds, so collectors/aws/s3.py
decides exposure the same way for both sources: grants (bucket policy, ACL) against the
blocks that neutralise them (bucket- and account-level public access blocks, object
ownership). A bucket-level read that fails leaves its fact unknown (None) - a bucket is
never "not public" because its policy could not be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.aws_live.api import Api, Where, first
from collectors.aws_live.services.storage_json import (
    asset_key,
    mappings,
    policy_text_is_public,
    section,
    text,
)
from scanner.model import Evidence, any_of

CLIENTS: tuple[str, ...] = ("s3", "s3control")
GLOBAL: bool = True

# Error codes that mean "not configured": a definite fact, not a failed read.
NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"
NO_POLICY = "NoSuchBucketPolicy"
NO_OWNERSHIP = "OwnershipControlsNotFoundError"
NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"

_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
_DATA_PERMISSIONS = ("READ", "WRITE", "FULL_CONTROL")


# --- read ---------------------------------------------------------------------------------


def read(apis: Mapping[str, Api]) -> dict[str, Any]:
    """The bucket list, each bucket's settings, and the account's public access block."""
    s3, control = apis["s3"], apis["s3control"]
    buckets = s3.items("ListBuckets", "Buckets")
    names = [name for b in mappings(buckets) if (name := text(b.get("Name")))]
    return {
        "Buckets": buckets,
        "AccountPublicAccessBlock": control.call(
            "GetPublicAccessBlock", absent=(NO_BLOCK,), AccountId=control.where.account
        ),
        "buckets": s3.each_of(lambda name: _read_bucket(s3, name), names),
    }


def _read_bucket(s3: Api, name: str) -> dict[str, Any]:
    """One bucket's configuration responses ({} where AWS says "none configured")."""
    policy = s3.call("GetBucketPolicy", absent=(NO_POLICY,), Bucket=name)
    return {
        "Location": s3.call("GetBucketLocation", Bucket=name),
        "PublicAccessBlock": s3.call("GetPublicAccessBlock", absent=(NO_BLOCK,), Bucket=name),
        "Policy": policy,
        # Only a bucket with a policy has a policy status: otherwise keep the policy's
        # own answer ({} none, None unknown).
        "PolicyStatus": (
            s3.call("GetBucketPolicyStatus", absent=(NO_POLICY,), Bucket=name) if policy else policy
        ),
        "Acl": s3.call("GetBucketAcl", Bucket=name),
        "OwnershipControls": s3.call(
            "GetBucketOwnershipControls", absent=(NO_OWNERSHIP,), Bucket=name
        ),
        "Encryption": s3.call("GetBucketEncryption", absent=(NO_ENCRYPTION,), Bucket=name),
        "Logging": s3.call("GetBucketLogging", Bucket=name),
        "Versioning": s3.call("GetBucketVersioning", Bucket=name),
    }


# --- transform ----------------------------------------------------------------------------


def transform(raw: Mapping[str, Any], where: Where) -> list[r.Record]:
    """Bucket records with their settings, and the account-level public access block."""
    out: list[r.Record] = [_account_block(raw.get("AccountPublicAccessBlock"), where)]
    details = section(raw, "buckets")
    for listed in mappings(raw.get("Buckets")):
        if (name := text(listed.get("Name"))) is not None:
            out += _bucket(name, listed, section(details, name), where)
    return out


def _account_block(response: Any, where: Where) -> r.PublicAccessBlock:
    """The account's block. Its ref is made up, as AWS gives it no ARN: the account's
    S3 ARN stem with `public-access-block`."""
    ref = where.arn("s3", "public-access-block", region="")
    ev = where.evidence(ref, region="", detail="account public access block")
    return _block(ref, ev, response, account=True, bucket=None)


def _bucket(
    name: str, listed: Mapping[str, Any], calls: Mapping[str, Any], where: Where
) -> list[r.Record]:
    arn = f"arn:{where.partition}:s3:::{name}"
    region = _region(calls.get("Location"), listed.get("BucketRegion"))

    def ev(detail: str | None = None) -> Evidence:
        return where.evidence(arn, region=region, detail=detail)

    out: list[r.Record] = [
        # A canned ACL is a request parameter, not state: the ACL is read as grants.
        r.Bucket(arn, arn, ev(), key=asset_key("s3", "bucket", name), name=name, acl=None),
        _block(arn, ev("public access block"), calls.get("PublicAccessBlock"), False, arn),
        r.BucketAcl(arn, arn, ev("bucket ACL"), bucket=arn, public=_acl_public(calls.get("Acl"))),
        r.OwnershipControls(
            arn,
            arn,
            ev("object ownership"),
            bucket=arn,
            object_ownership=_ownership(calls.get("OwnershipControls")),
        ),
    ]
    policy = calls.get("Policy")
    if policy != {}:  # {}: the bucket has no policy, so nothing to grant
        public = _policy_public(policy, calls.get("PolicyStatus"))
        out.append(r.BucketPolicy(arn, arn, ev("bucket policy"), bucket=arn, public=public))
    for setting, enabled in _settings(calls):
        out.append(
            r.BucketSetting(arn, arn, ev(setting), bucket=arn, setting=setting, enabled=enabled)
        )
    return out


def _region(location: Any, listed: Any) -> str | None:
    """The bucket's region: GetBucketLocation's constraint (none = us-east-1, the legacy
    "EU" = eu-west-1), else the region ListBuckets states, else unknown."""
    if isinstance(location, Mapping):
        constraint = location.get("LocationConstraint")
        if constraint in (None, ""):
            return "us-east-1"
        if constraint == "EU":
            return "eu-west-1"
        return text(constraint)
    return text(listed)


def _block(
    ref: str, ev: Evidence, response: Any, account: bool, bucket: str | None
) -> r.PublicAccessBlock:
    """A public access block: {} (none configured) is all four off; a failed read, all
    four unknown; a flag the configuration leaves out is off, as AWS treats it."""
    config = first(response, "PublicAccessBlockConfiguration") if response else response
    values = [_flag(config, f) for f in _FLAGS]
    return r.PublicAccessBlock(
        ref,
        ref,
        ev,
        account=account,
        bucket=bucket,
        block_public_acls=values[0],
        ignore_public_acls=values[1],
        block_public_policy=values[2],
        restrict_public_buckets=values[3],
    )


def _flag(config: Any, name: str) -> bool | None:
    if not isinstance(config, Mapping):
        return None
    value = config.get(name, False)
    return value if isinstance(value, bool) else None


def _acl_public(response: Any) -> bool | None:
    """Does the ACL grant AllUsers / AuthenticatedUsers read or write (as aws_s3.py)?"""
    grants = response.get("Grants") if isinstance(response, Mapping) else None
    if not isinstance(grants, list):
        return None
    return any_of(_grant_public(g) for g in grants)


def _grant_public(grant: Any) -> bool | None:
    if not isinstance(grant, Mapping):
        return None
    if first(grant, "Grantee", "URI") not in _PUBLIC_GRANTEES:
        return False
    permission = text(grant.get("Permission"))
    return None if permission is None else permission in _DATA_PERMISSIONS


def _ownership(response: Any) -> str | None:
    """The object ownership rule. A bucket without ownership controls behaves as
    ObjectWriter (ACLs in effect), which is what AWS means by their absence."""
    if response == {}:
        return "ObjectWriter"
    rules = mappings(first(response, "OwnershipControls", "Rules"))
    return text(rules[0].get("ObjectOwnership")) if rules else None


def _policy_public(policy: Any, status: Any) -> bool | None:
    """AWS's own verdict (PolicyStatus.IsPublic) where it gives one, else the policy
    analysis the Terraform side uses; a policy that could not be read is unknown."""
    stated = first(status, "PolicyStatus", "IsPublic")
    if isinstance(stated, bool):
        return stated
    return policy_text_is_public(first(policy, "Policy"))


def _settings(calls: Mapping[str, Any]) -> list[tuple[str, bool | None]]:
    """(setting, enabled) as aws_s3.py gives them: encryption is "enabled" with a KMS
    key; access logging on or (read, and not configured) off; versioning on."""
    out: list[tuple[str, bool | None]] = [("encryption", _kms_encryption(calls.get("Encryption")))]
    logging = calls.get("Logging")
    if isinstance(logging, Mapping):
        out.append(("logging", isinstance(logging.get("LoggingEnabled"), Mapping)))
    versioning = calls.get("Versioning")
    status = versioning.get("Status") if isinstance(versioning, Mapping) else None
    known = isinstance(versioning, Mapping)  # {}: never enabled
    out.append(("versioning", status == "Enabled" if known else None))
    return out


def _kms_encryption(response: Any) -> bool | None:
    if response is None:
        return None
    if response == {}:
        return False  # no default encryption configured (buckets from before 2023)
    rules = mappings(first(response, "ServerSideEncryptionConfiguration", "Rules"))
    default = first(rules[0], "ApplyServerSideEncryptionByDefault") if rules else None
    algorithm = text(first(default, "SSEAlgorithm"))
    return None if algorithm is None else algorithm.startswith("aws:kms")
