"""Public-exposure rules: what the internet can reach that it should not."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict, forwards
from scanner.graph import DFDGraph
from scanner.model import Confidence, Severity


class DatastoreReachableFromInternet(Rule):
    """A datastore the internet can open connections to.

    Flags every element that holds data (databases, buckets, caches, queues, search
    indexes) when a path from the internet reaches it directly, or only through elements
    that forward connections without terminating them (network load balancers). Each
    leg of the path must be stated by the sources: a database is reachable when it is
    publicly accessible, sits in a subnet whose route table reaches an internet gateway,
    and a security group admits 0.0.0.0/0 or ::/0 on its port; a bucket when an ACL or
    policy grants anyone access and no public access block neutralises it. Where the
    account-level S3 block is outside the scanned sources, the finding is unconfirmed.

    Why it matters: a datastore on the internet is one leaked or guessed credential (or
    one unauthenticated API) away from a breach, and is scanned for constantly.

    Remediation: remove the path at its cheapest point: make the datastore private
    (publicly_accessible = false, private subnets, public access blocks), and admit only
    the application's security group or role.
    """

    meta = RuleMeta(
        id="TM-PUB-001",
        name="datastore-reachable-from-internet",
        title="Datastore reachable from the internet",
        stride=("I",),
        controls=("public-exposure",),
        severity=Severity.HIGH,
        remediation=(
            "Make the datastore private: no public endpoint or grant, private subnets, and "
            "ingress only from the workloads that use it."
        ),
        references=("CWE-668", "CWE-284", "OWASP ASVS 5.0 V13", "OWASP API8:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        paths = graph.internet_paths(through=forwards)
        for store in graph.with_flag("stores_data"):
            path = paths.get(store.id)
            if path is None:
                continue
            last = graph.flows_between(path)[-1]
            # Any hop may be unconfirmed (a NodePort Service: are the nodes public?).
            unconfirmed = next(
                (
                    fact
                    for n in reversed(path)
                    if isinstance(fact := graph.element(n).fact("exposure_unconfirmed"), str)
                ),
                None,
            )
            hops = " -> ".join(graph.element(n).resource for n in path)
            message = f"{store.resource} ({store.type}) is reachable from the internet: {hops}"
            if unconfirmed:
                message += f"; unconfirmed: the scanned sources do not show {unconfirmed}"
            yield Verdict(
                element=store.id,
                resource=store.resource,
                message=f"{message} ({last.derivation}).",
                evidence=tuple(dict.fromkeys((*last.evidence, *store.evidence))),
                flow=last.id,
                path=tuple(path),
                confidence=Confidence.LOW if unconfirmed else Confidence.HIGH,
                remediation=_cut(graph, path),
            )


def _cut(graph: DFDGraph, path: list[str]) -> str:
    store = graph.element(path[-1])
    if store.type == "object-store":
        return (
            f"Remove the public grant on {store.resource} (bucket policy or ACL) and enable "
            "all four S3 public access block settings on the bucket and the account."
        )
    last = graph.flows_between(path)[-1]
    if any((ev.fact or "").startswith("public_") for ev in last.evidence):
        return (
            f'Remove the grant to "*" in the resource policy of {store.resource}, or narrow '
            "it with a condition (aws:PrincipalOrgID, aws:SourceArn, aws:SourceVpce)."
        )
    first = graph.element(path[1])
    if first.id == store.id:
        return (
            f"Turn off public access to {store.resource} (publicly_accessible = false on it "
            "or its cluster instances, or a VPC-only endpoint), keep it in private subnets, "
            "and replace 0.0.0.0/0 in its security group with the application's group."
        )
    return f"Make {first.resource} internal, or stop it forwarding to {store.resource}."
