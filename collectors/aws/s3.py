"""S3 buckets: whether an ACL or policy makes them public, after every block that applies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from collectors.aws import records as r
from scanner.model import INTERNET_ID, Element, Evidence, Flow, any_of, facts

Built = Iterator[tuple[str, Element, list[Flow]]]

_ACL_FLAGS = ("ignore_public_acls", "block_public_acls")
_POLICY_FLAGS = ("restrict_public_buckets", "block_public_policy")


@dataclass(frozen=True)
class _Grant:
    kind: str  # acl | policy
    public: bool | None
    evidence: Evidence


class _BucketIndex:
    """The S3 records of one scope, joined to buckets by ref or by bucket name."""

    def __init__(self, inv: r.Inventory) -> None:
        self.by_name = {b.name: b.ref for b in inv.buckets if b.name}
        self.refs = {b.ref for b in inv.buckets}
        self.blocks: dict[str, list[r.PublicAccessBlock]] = defaultdict(list)
        self.account = [p for p in inv.public_access_blocks if p.account]
        # A bucket-level block whose bucket cannot be read could be any bucket's.
        self.floating = [p for p in inv.public_access_blocks if not p.account and not p.bucket]
        self.grants: dict[str, list[_Grant]] = defaultdict(list)
        self.ownership: dict[str, list[r.OwnershipControls]] = defaultdict(list)
        for p in inv.public_access_blocks:
            if (b := self.bucket(p.bucket)) is not None:
                self.blocks[b].append(p)
        for acl in inv.bucket_acls:
            if (b := self.bucket(acl.bucket)) is not None:
                self.grants[b].append(_Grant("acl", acl.public, acl.evidence))
        for pol in inv.bucket_policies:
            if (b := self.bucket(pol.bucket)) is not None:
                self.grants[b].append(_Grant("policy", pol.public, pol.evidence))
        for oc in inv.ownership_controls:
            if (b := self.bucket(oc.bucket)) is not None:
                self.ownership[b].append(oc)
        self.settings: dict[tuple[str, str], r.BucketSetting] = {}
        for bs in inv.bucket_settings:
            if (b := self.bucket(bs.bucket)) is not None:
                self.settings[(b, bs.setting)] = bs

    def bucket(self, ref_or_name: str | None) -> str | None:
        if ref_or_name is None:
            return None
        if ref_or_name in self.refs:
            return ref_or_name
        return self.by_name.get(ref_or_name)


def _flags(blocks: list[r.PublicAccessBlock], flags: tuple[str, ...]) -> bool | None:
    """True if a block sets one of `flags`; None if one might; False if none does."""
    return any_of(getattr(p, f) for p in blocks for f in flags)


def _doubts(index: _BucketIndex, bucket: str, grant: _Grant) -> tuple[bool, list[str]]:
    """(neutralised, what the scanned sources do not say) for one public grant."""
    flags = _ACL_FLAGS if grant.kind == "acl" else _POLICY_FLAGS
    own, account = index.blocks.get(bucket, []), index.account
    if _flags(own + account, flags) is True:
        return True, []
    doubts: list[str] = []
    if grant.kind == "acl":
        modes = {oc.object_ownership for oc in index.ownership.get(bucket, [])}
        if "BucketOwnerEnforced" in modes:
            return True, []  # ACLs are disabled: grants have no effect
        if not modes:
            doubts.append("the object ownership (ACLs are disabled on buckets created since 2023)")
        elif None in modes:
            doubts.append("the object ownership setting")
    if not own:
        doubts.append("the bucket-level public access block (on by default since 2023)")
    if not account:
        doubts.append("the account-level public access block")
    if _flags(own + account, flags) is None or _flags(index.floating, flags) is not False:
        doubts.append("a public access block whose value or bucket is not known")
    return False, doubts


def _settings(index: _BucketIndex, bucket: str) -> dict[str, bool | None]:
    """Encryption, logging and versioning facts, with AWS's defaults where they are
    dated facts: every new bucket is encrypted (SSE-S3) since January 2023, and
    versioning is off until it is turned on. Access logging not configured in the files
    may be configured elsewhere: unknown (a live read says off when it is off)."""
    sse = index.settings.get((bucket, "encryption"))
    logging = index.settings.get((bucket, "logging"))
    versioning = index.settings.get((bucket, "versioning"))
    return {
        "encryption_at_rest": True,
        "kms_managed": sse.enabled if sse is not None else False,
        "access_logging": logging.enabled if logging is not None else None,
        "versioning": versioning.enabled if versioning is not None else False,
    }


def bucket_elements(inv: r.Inventory, eid: Callable[[str], str], account: str) -> Built:
    """Buckets, with an internet flow where an ACL or policy grants anyone access.

    Public access blocks neutralise grants (IgnorePublicAcls / BlockPublicAcls for ACLs,
    RestrictPublicBuckets / BlockPublicPolicy for policies), and BucketOwnerEnforced
    disables ACLs. Where a setting that could neutralise the grant is not among the
    scanned sources (AWS turns the bucket-level block on and ACLs off for new buckets),
    the exposure is kept but marked `exposure_unconfirmed`, naming what is missing.
    """
    index = _BucketIndex(inv)
    for b in inv.buckets:
        grants = list(index.grants.get(b.ref, []))
        if b.acl is not None:
            canned = b.acl.startswith(("public-", "authenticated-"))
            grants.insert(0, _Grant("acl", canned, b.evidence))
        public: bool | None = False
        evidence: list[Evidence] = []
        doubts: list[str] = []
        for grant in grants:
            if grant.public is False:
                continue
            neutralised, why = _doubts(index, b.ref, grant)
            if neutralised:
                continue
            if grant.public is None:
                public = None if public is False else public
                continue
            public = True
            evidence.append(replace(grant.evidence, fact=f"public_{grant.kind}"))
            doubts += [d for d in why if d not in doubts]
        el = Element(
            id=eid(b.ref),
            kind="datastore",
            type="object-store",
            name=b.name or b.address,
            resource=b.address,
            boundary=account,
            key=b.key,
            props=facts(
                existence_unknown=b.conditional or None,
                public=public,
                exposure_unconfirmed="; ".join(doubts) if public and doubts else None,
                **_settings(index, b.ref),
            ),
            evidence=(b.evidence, *evidence),
        )
        flows = []
        if public is True:
            flows.append(
                Flow(
                    INTERNET_ID,
                    el.id,
                    "https",
                    443,
                    basis="reachable",
                    derivation=f"inferred: {evidence[0].address} grants access to anyone",
                    authn="none",
                    evidence=tuple(evidence),
                )
            )
        yield b.ref, el, flows
