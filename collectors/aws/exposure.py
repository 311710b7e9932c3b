"""Regional AWS services outside VPCs (S3, API Gateway): their elements and internet flows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace

from collectors.aws import records as r
from scanner.model import INTERNET_ID, Element, Evidence, Flow, Part, facts

Built = Iterator[tuple[str, Element, list[Flow]]]


def _neutralised(blocks: list[r.PublicAccessBlock], flags: tuple[str, ...]) -> bool | None:
    """Does any of the access blocks set one of `flags`? None when one is unknown."""
    unknown = False
    for pab in blocks:
        for flag in flags:
            value = getattr(pab, flag)
            if value is True:
                return True
            if value is None:
                unknown = True
    return None if unknown else False


def bucket_elements(inv: r.Inventory, eid: Callable[[str], str], account: str) -> Built:
    """Buckets, with an internet flow where an ACL or policy makes them public.

    Public access blocks (bucket and account level) neutralise grants: IgnorePublicAcls
    and BlockPublicAcls for ACLs, RestrictPublicBuckets and BlockPublicPolicy for
    policies. When the account-level block is not among the scanned sources, a public
    grant is reported as unconfirmed (`exposure_unconfirmed`), not as certain.
    """
    by_bucket: dict[str, list[r.PublicAccessBlock]] = defaultdict(list)
    account_blocks = [p for p in inv.public_access_blocks if p.bucket is None]
    for pab in inv.public_access_blocks:
        if pab.bucket is not None:
            by_bucket[pab.bucket].append(pab)
    acls: dict[str, list[r.BucketAcl]] = defaultdict(list)
    for acl in inv.bucket_acls:
        if acl.bucket:
            acls[acl.bucket].append(acl)
    policies: dict[str, list[r.BucketPolicy]] = defaultdict(list)
    for pol in inv.bucket_policies:
        if pol.bucket:
            policies[pol.bucket].append(pol)

    for b in inv.buckets:
        blocks = by_bucket.get(b.ref, []) + account_blocks
        grants: list[tuple[str, bool | None, Evidence, tuple[str, ...]]] = []
        if b.acl is not None:
            grants.append(
                ("acl", b.acl.startswith(("public-", "authenticated-")), b.evidence, _ACL)
            )
        grants += [("acl", a.public, a.evidence, _ACL) for a in acls.get(b.ref, ())]
        grants += [("policy", p.public, p.evidence, _POLICY) for p in policies.get(b.ref, ())]

        public: bool | None = False
        flow_evidence: list[Evidence] = []
        for kind, granted, ev, flags in grants:
            if granted is False:
                continue
            blocked = _neutralised(blocks, flags)
            if blocked is True:
                continue
            if granted is None or blocked is None:
                public = None if public is False else public
                continue
            public = True
            flow_evidence.append(replace(ev, fact=f"public_{kind}"))
        unconfirmed = "account-level public access block" if not account_blocks else None
        el = Element(
            id=eid(b.ref),
            kind="datastore",
            type="object-store",
            name=b.name or b.ref,
            resource=b.address,
            boundary=account,
            key=b.key,
            props=facts(
                public=public,
                exposure_unconfirmed=unconfirmed if public else None,
            ),
            evidence=(b.evidence, *flow_evidence),
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
                    derivation=f"inferred: {flow_evidence[0].address} grants access to anyone",
                    tls=None,
                    authn="none",
                    evidence=tuple(flow_evidence),
                )
            )
        yield b.ref, el, flows


_ACL = ("ignore_public_acls", "block_public_acls")
_POLICY = ("restrict_public_buckets", "block_public_policy")


def _rest_stage_throttle(
    inv: r.Inventory, api: r.RestApi, stage: r.ApiStage
) -> tuple[bool | None, Evidence | None]:
    """Is a REST API stage throttled, by method settings, a usage plan or a WAF?"""
    ids = {stage.ref, stage.name}
    settings = [
        ms for ms in inv.method_settings if ms.api == api.ref and ms.stage in ids and ms.stage
    ]
    for ms in settings:
        if ms.method_path == "*/*" and ms.throttled:
            return True, ms.evidence
    methods = [m for m in inv.api_methods if m.api == api.ref]
    for plan in inv.usage_plans:
        if plan.throttled and any(a == api.ref and s in ids for a, s in plan.stages):
            # A usage plan throttles only callers that present an API key.
            if methods and all(m.api_key_required for m in methods):
                return True, plan.evidence
            if not methods or any(m.api_key_required is None for m in methods):
                return None, plan.evidence
    if stage.ref in inv.waf_protected:
        return None, stage.evidence  # a WAF may hold a rate-based rule: not read yet
    if any(ms.throttled is not False for ms in settings):
        return None, settings[0].evidence  # per-method limits or unresolved values
    return False, stage.evidence


def api_elements(inv: r.Inventory, eid: Callable[[str], str], account: str) -> Built:
    """API Gateway REST and HTTP APIs with their stages, and their internet flows."""
    stages: dict[str, list[r.ApiStage]] = defaultdict(list)
    for st in inv.api_stages:
        if st.api:
            stages[st.api].append(st)
    apis: list[tuple[r.Record, str | None, bool]] = []
    for rest in inv.rest_apis:
        # Unstated endpoint type is EDGE (AWS default): public.
        apis.append((rest, rest.name, "PRIVATE" not in (rest.endpoint_types or ("EDGE",))))
    for http in inv.http_apis:
        apis.append((http, http.name, True))

    for api, name, public in apis:
        parts: list[Part] = []
        for st in sorted(stages.get(api.ref, ()), key=lambda s: (s.name or "", s.ref)):
            if isinstance(api, r.RestApi):
                throttled, ev = _rest_stage_throttle(inv, api, st)
            else:
                throttled, ev = st.throttled, st.throttle_evidence or st.evidence
            parts.append(
                Part(
                    kind="stage",
                    name=st.name or st.ref,
                    resource=st.address,
                    props=facts(rate_limited=throttled),
                    evidence=(st.evidence, *((ev,) if ev and ev != st.evidence else ())),
                )
            )
        limits = [p.fact("rate_limited") for p in parts]
        rate_limited = False if False in limits else (True if limits and all(limits) else None)
        endpoint = (
            ",".join(api.endpoint_types)
            if isinstance(api, r.RestApi) and api.endpoint_types
            else None
        )
        el = Element(
            id=eid(api.ref),
            kind="process",
            type="api-gateway",
            name=name or api.ref,
            resource=api.address,
            boundary=account,
            key=api.key,
            props=facts(internet_facing=public, endpoint_type=endpoint),
            parts=tuple(parts),
            evidence=(api.evidence,),
        )
        flows = []
        if public:
            flows.append(
                Flow(
                    INTERNET_ID,
                    el.id,
                    "https",
                    443,
                    basis="called",
                    derivation=f"declared: {api.address} has a public endpoint",
                    tls=True,  # API Gateway serves HTTPS only
                    rate_limited=rate_limited,
                    evidence=(api.evidence,),
                )
            )
        yield api.ref, el, flows
