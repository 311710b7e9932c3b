"""Lambda function URLs and permissions that open functions to the internet."""

from __future__ import annotations

from collections import defaultdict

from collectors.aws.context import Context
from collectors.aws.services.compute import shared_flows
from collectors.aws.services.compute.records import FunctionUrl, LambdaPermission, find
from scanner.model import Flow, Part, facts

_URL_AUTHN = {"NONE": "none", "AWS_IAM": "aws-iam"}


def map_function_urls(ctx: Context) -> list[Flow]:
    fns = ctx.inv.functions
    urls: dict[str, list[FunctionUrl]] = defaultdict(list)
    for url in ctx.inv.of(FunctionUrl):
        if (fn := find(fns, url.function)) is not None:
            urls[fn.ref].append(url)
    out: list[Flow] = []
    for fn in fns:
        el, own = ctx.element(fn.ref), urls.get(fn.ref, [])
        if el is None or not own:
            continue
        schemes = [_URL_AUTHN.get(u.auth_type or "") for u in own]
        # The weakest entry point decides; unknown if one is unknown.
        authn = "none" if "none" in schemes else (None if None in schemes else schemes[0])
        parts = tuple(
            Part(
                kind="function-url",
                name=f"function URL {u.auth_type or '?'}",
                resource=u.address,
                props=facts(
                    authorization_type=u.auth_type,
                    authn=_URL_AUTHN.get(u.auth_type or ""),
                    protocol="https",
                    port=443,
                    tls=True,
                ),
                evidence=(u.evidence,),
            )
            for u in own
        )
        el = ctx.extend(fn.ref, {"internet_facing": True, "authn": authn}, parts)
        types = ", ".join(u.auth_type or "?" for u in own)
        why = f"declared: function URL {own[0].address} (authorization_type {types})"
        out.append(shared_flows.entry(el, why, authn, (u.evidence for u in own)))  # HTTPS only
    called = {f.target for f in out}
    for perm in ctx.inv.of(LambdaPermission):
        fn = find(fns, perm.function)
        el = ctx.element(fn.ref) if fn else None
        public, authn = _public_invoke(perm)
        if el is None or not public or el.id in called:
            continue
        if perm.action == "lambda:InvokeFunctionUrl" and fn is not None and fn.ref not in urls:
            continue  # grants use of a function URL the function does not have
        why = f"inferred: {perm.address} lets any principal call {perm.action}"
        ev = (perm.evidence,)
        out.append(
            shared_flows.internet(el, "https", 443, "reachable", why, ev, tls=True, authn=authn)
        )
    return out


def _public_invoke(perm: LambdaPermission) -> tuple[bool, str | None]:
    """Does a grant let anyone invoke the function, and with what authentication?

    Principal "*" without a source condition opens the function to anyone: through its
    URL without signing when the grant is for URLs with auth type NONE, and through the
    Invoke API otherwise (which still wants a SigV4 signature, from any AWS account).
    """
    if perm.principal != "*" or perm.scoped:
        return False, None
    if perm.action == "lambda:InvokeFunctionUrl":
        return True, _URL_AUTHN.get(perm.url_auth_type or "")
    return perm.action in ("lambda:InvokeFunction", "lambda:*", "*"), "aws-iam"
