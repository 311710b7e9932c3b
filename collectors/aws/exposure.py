"""API Gateway REST and HTTP APIs: their elements, stages and internet flows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from collectors.aws import records as r
from collectors.aws.service_records import ApiDomainName, ApiMapping
from scanner.model import INTERNET_ID, Element, Evidence, Flow, Part, facts

Built = Iterator[tuple[str, Element, list[Flow]]]


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
    for plan in inv.usage_plans:
        if plan.throttled is None and any(a == api.ref and s in ids for a, s in plan.stages):
            return None, plan.evidence  # a plan whose limits are not known (or not read)
    if stage.ref in inv.waf_protected:
        return None, stage.evidence  # a WAF may hold a rate-based rule: not read yet
    if any(ms.throttled is not False for ms in settings):
        return None, settings[0].evidence  # per-method limits or unresolved values
    return False, stage.evidence


def _authn(methods: list[r.ApiMethod]) -> str | None:
    """How a REST API authenticates callers, when every method says the same: its
    authorizer type (cognito_user_pools, custom, aws_iam), an API key, or none."""
    kinds = set()
    for m in methods:
        if m.authorization is None or m.api_key_required is None:
            return None
        if m.authorization != "NONE":
            kinds.add(m.authorization.lower())
        elif m.api_key_required:
            kinds.add("api-key")
        else:
            kinds.add("none")
    return kinds.pop() if len(kinds) == 1 else None


def api_elements(inv: r.Inventory, eid: Callable[[str], str], account: str) -> Built:
    """API Gateway REST and HTTP APIs with their stages, and their internet flows."""
    stages: dict[str, list[r.ApiStage]] = defaultdict(list)
    for st in inv.api_stages:
        if st.api:
            stages[st.api].append(st)
    apis: list[tuple[r.Record, str | None, bool | None]] = []
    for rest in inv.rest_apis:
        # Unstated endpoint type is EDGE (AWS default): public. Stated but unknown: no flow.
        types = rest.endpoint_types or ("EDGE",)
        public = None if "?" in types else "PRIVATE" not in types
        apis.append((rest, rest.name, public))
    for http in inv.http_apis:
        apis.append((http, http.name, True))

    domains = {d.ref: d.domain for d in inv.of(ApiDomainName) if d.domain}
    hosts: dict[str, set[str]] = defaultdict(set)
    for m in inv.of(ApiMapping):
        host = m.domain or domains.get(m.domain_ref or "")
        if m.api and host:
            hosts[m.api].add(host.lower() + (f"/{m.base_path}" if m.base_path else ""))
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
            props=facts(
                internet_facing=public,
                endpoint_type=endpoint,
                existence_unknown=api.conditional or None,
                openapi_spec=api.spec_file if isinstance(api, r.RestApi | r.HttpApi) else None,
                hosts=",".join(sorted(hosts[api.ref])) or None,
            ),
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
                    authn=_authn([m for m in inv.api_methods if m.api == api.ref])
                    if isinstance(api, r.RestApi)
                    else None,
                    evidence=(api.evidence,),
                )
            )
        yield api.ref, el, flows
