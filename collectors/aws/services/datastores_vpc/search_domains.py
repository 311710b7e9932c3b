"""OpenSearch domains and their access policies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from collectors.aws import records as r
from collectors.aws.context import Context
from collectors.aws.services.datastores_vpc.records import SearchDomain, SearchDomainPolicy
from collectors.aws.services.datastores_vpc.vpc_access import guard
from scanner.model import INTERNET_ID, Flow, any_of, facts


def map_search_domains(ctx: Context) -> list[Flow]:
    flows: list[Flow] = []
    policies: dict[str, list[SearchDomainPolicy]] = defaultdict(list)
    for p in ctx.inv.of(SearchDomainPolicy):
        policies[p.domain or ""].append(p)
    # A policy whose domain cannot be read might be any domain's.
    floating = [p.public for p in policies.pop("", []) if p.public is not False][:1]
    for d in ctx.inv.of(SearchDomain):
        zone = ctx.zone(d.subnets)[0] if d.in_vpc else ctx.account
        outside = d.in_vpc is False  # a public endpoint
        attached = policies.get(d.ref, []) + (policies.get(d.name, []) if d.name else [])
        grants: list[tuple[bool | None, r.Record]] = [(d.public_policy, d)]
        grants += [(p.public, p) for p in attached]
        verdicts = [g for g, _ in grants] + [None for _ in floating]
        public = any_of(verdicts)
        grant = next((rec for g, rec in grants if g is True), d)
        maybe = grant.conditional and not d.conditional
        el = ctx.add(
            d,
            "search-index",
            "datastore",
            zone,
            props=facts(
                protocol="https",
                port=443,
                tls=d.enforce_https,
                internet_facing=None if d.in_vpc is None else outside,
                public=public if outside else None,
                encryption_at_rest=d.encrypt_at_rest,
                node_to_node_encryption=d.node_to_node,
                fine_grained_access_control=d.fine_grained,
                exposure_unconfirmed=(
                    f"the count/for_each of {grant.address} (it may not exist)" if maybe else None
                ),
            ),
            evidence=(d.evidence,),
        )
        if d.in_vpc:
            guard(ctx, el, d.security_groups)
        if not outside or public is not True:
            continue
        plain = d.enforce_https is False  # the endpoint also serves HTTP on port 80
        flows.append(
            Flow(
                INTERNET_ID,
                el.id,
                "http" if plain else "https",
                80 if plain else 443,
                basis="reachable",
                derivation=f"inferred: {grant.address} grants access to anyone",
                tls=False if plain else d.enforce_https,
                authn="none" if d.fine_grained is False else None,
                evidence=(replace(grant.evidence, fact="public_policy"), d.evidence),
            )
        )
    return flows
