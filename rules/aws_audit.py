"""Audit-logging rules on AWS: CloudTrail, VPC flow logs, access logs, EKS audit logs."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict
from scanner.catalogue import technology
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Confidence, Evidence, Severity, TrustBoundary


def _trails(zone: TrustBoundary) -> tuple[Evidence, ...]:
    """The trails the account's audit facts were read from."""
    return tuple(ev for ev in zone.evidence if "cloudtrail" in (ev.address or ev.uri or ""))


class AccountAuditTrailIncomplete(Rule):
    """The account's CloudTrail, as the sources declare it, is stopped or incomplete.

    Judged only when the scanned sources declare a trail for the account: absence of a
    trail in a repository is not evidence of absence, since organisation trails (Control
    Tower, a security account's repository) record member accounts from elsewhere. So:
    no trail in the sources is silent; a trail whose settings the files do not determine
    (a variable without a value, a count that may be zero) is unknown and silent for
    that setting. Confirmed (high confidence) are facts about the declared trails
    themselves: every one has logging turned off, or log file validation is off on all
    that log. A trail that records only its home region, or not global service events
    (IAM, STS, CloudFront), is reported at medium confidence: it is a fact about the
    trail, but an organisation trail may still cover the other regions. One finding per
    account, on the trail to change, listing every gap.

    Why it matters: CloudTrail is the record of who did what in the account; without it
    (or with gaps an attacker can use: an unused region, IAM events) a compromise cannot
    be traced or attributed, and unvalidated log files can be altered after delivery
    without detection (CWE-778, CWE-345).

    Remediation: keep the trail logging, make it multi-region with global service events,
    and turn on log file validation (`is_multi_region_trail`,
    `include_global_service_events`, `enable_log_file_validation`).
    """

    meta = RuleMeta(
        id="TM-LOG-001",
        name="account-audit-trail-incomplete",
        title="CloudTrail for the account is stopped, single-region or unvalidated",
        stride=("R",),
        controls=("audit-logging",),
        severity=Severity.MEDIUM,
        remediation=(
            "Set enable_logging, is_multi_region_trail, include_global_service_events and "
            "enable_log_file_validation to true on the trail (or rely on an organisation "
            "trail that does)."
        ),
        references=("CWE-778", "CWE-345", "OWASP ASVS 5.0 V16.3", "OWASP ASVS 5.0 V16.4"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for zone in graph.boundaries:
            if zone.type != "account" or zone.props.get("audit_trail") is None:
                continue  # no trail declared here: an organisation trail may cover it
            trails = _trails(zone) or zone.evidence[:1]
            first = trails[0] if trails else None
            resource = (first.address or first.uri if first else None) or zone.name
            if zone.props.get("audit_trail") is False:
                yield Verdict(
                    element=zone.id,
                    resource=resource,
                    message=(
                        f"Logging is turned off on {resource}, the only trail the sources "
                        f"declare for {zone.name}: no API activity is recorded."
                    ),
                    evidence=trails,
                )
                continue
            gaps: list[tuple[str, Severity, Confidence]] = []
            if zone.props.get("audit_multi_region") is False:
                gaps.append(("records only its home region", Severity.MEDIUM, Confidence.MEDIUM))
            if zone.props.get("audit_global_events") is False:
                gaps.append(
                    (
                        "does not record global service events (IAM, STS, CloudFront)",
                        Severity.MEDIUM,
                        Confidence.MEDIUM,
                    )
                )
            if zone.props.get("audit_log_validation") is False:
                gaps.append(("has log file validation off", Severity.LOW, Confidence.HIGH))
            if not gaps:
                continue
            said = [g for g, _, _ in gaps]
            message = f"{resource} {', '.join(said[:-1])}{' and ' if said[1:] else ''}{said[-1]}."
            if any(c is Confidence.MEDIUM for _, _, c in gaps):
                message += " An organisation trail managed elsewhere may cover what it misses."
            yield Verdict(
                element=zone.id,
                resource=resource,
                message=message,
                evidence=trails,
                severity=max(s for _, s, _ in gaps),
                confidence=max(c for _, _, c in gaps),
            )


class VpcWithoutFlowLogs(Rule):
    """A VPC, created by the scanned sources, that no flow log records.

    Applies to a VPC whose own definition is in the sources (a VPC they only refer to is
    someone else's to log) and that holds something worth watching: an element the
    internet can reach, or a datastore. One finding per VPC, not per subnet or ENI.
    Confidence follows scope: when the sources declare flow logs for another VPC they
    manage flow logs, and this VPC's lack of one is reported at medium confidence; when
    they declare none at all, flow logs may come from elsewhere (a landing-zone
    automation, an AWS Config remediation) and the finding is unconfirmed. Read from a
    live account, every flow log is seen, and the finding is confirmed. A flow log
    that records only rejected traffic is reported at low severity; one that records
    only accepted traffic is not flagged. Flow logs on subnets or network interfaces
    alone are not seen by this rule.

    Why it matters: without flow logs there is no record of which addresses talked to
    what: exfiltration, scanning and lateral movement cannot be investigated after the
    fact (CWE-778).

    Remediation: add an `aws_flow_log` for the VPC with `traffic_type = "ALL"` to
    CloudWatch Logs or S3.
    """

    meta = RuleMeta(
        id="TM-LOG-002",
        name="vpc-without-flow-logs",
        title="VPC without flow logs",
        stride=("R",),
        controls=("audit-logging",),
        severity=Severity.LOW,
        remediation=(
            'Add an aws_flow_log on the VPC with traffic_type = "ALL" delivering to '
            "CloudWatch Logs or S3."
        ),
        references=("CWE-778", "OWASP ASVS 5.0 V16.2"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        vpcs = [z for z in graph.boundaries if z.type == "vpc"]
        managed = any(z.props.get("flow_logs") is True for z in vpcs)
        reachable = graph.reachable_from_internet()
        for vpc in vpcs:
            own = _own_definition(vpc)
            if own is None or own.address is None:
                continue  # not created by these sources
            if vpc.props.get("flow_logs_unread") is True:
                continue  # its flow logs could not be listed: unknown, not missing
            inside = [e for e in graph.elements if vpc.id in graph.ancestors(e.boundary)]
            exposed = [e for e in inside if e.id in reachable]
            stores = [e for e in inside if technology(e.type).stores_data]
            if not exposed and not stores:
                continue
            holds = ", ".join(e.resource for e in (exposed or stores)[:3])
            what = "internet-reachable elements" if exposed else "datastores"
            if vpc.props.get("flow_logs") is True:
                if vpc.props.get("flow_log_traffic") == "REJECT":
                    yield Verdict(
                        element=vpc.id,
                        resource=own.address,
                        message=(
                            f"The flow logs of {vpc.name} record only rejected traffic: the "
                            f"connections that succeed (to {holds}) leave no record."
                        ),
                        evidence=tuple(ev for ev in vpc.evidence if ev is not own) or (own,),
                    )
                continue
            message = f"{vpc.name} has no flow log, and holds {what} ({holds})."
            live = own.uri is not None  # read from the account: its flow logs are all known
            if not managed and not live:
                message += (
                    " Unconfirmed: no flow log is declared anywhere in the scanned sources, "
                    "so they may be enabled from elsewhere."
                )
            yield Verdict(
                element=vpc.id,
                resource=own.address,
                message=message,
                evidence=(own,),
                severity=Severity.MEDIUM if exposed else Severity.LOW,
                confidence=(
                    Confidence.HIGH if live else Confidence.MEDIUM if managed else Confidence.LOW
                ),
            )


def _own_definition(vpc: TrustBoundary) -> Evidence | None:
    """The VPC's own record among its evidence: its Terraform block (address = the
    zone's name) or, read live, the VPC itself (its ARN ends in `vpc/<id>`)."""
    return next(
        (
            ev
            for ev in vpc.evidence
            if ev.address == vpc.name or (ev.address or "").endswith(f":vpc/{vpc.name}")
        ),
        None,
    )


class EntryPointWithoutAccessLogs(Rule):
    """An internet-facing load balancer or CDN distribution that keeps no access logs.

    Flags each load balancer or CloudFront distribution that receives traffic from the
    internet when the sources state its access logging is off (an ALB or classic ELB
    without an enabled `access_logs` block). A distribution without `logging_config` is
    unknown (standard logging v2 is configured through CloudWatch log delivery
    resources) and not flagged; nor are internal load balancers, or network load
    balancers reached only over plain TCP, which cannot write access logs.

    Why it matters: the edge is the only place every request from the internet is seen;
    without its log, requests that exploited or probed the application cannot be traced
    to a client, time or path (CWE-778).

    Remediation: enable access logs to an S3 bucket (`access_logs { enabled = true }` on
    load balancers, `logging_config` or log delivery on CloudFront).
    """

    meta = RuleMeta(
        id="TM-LOG-003",
        name="entry-point-without-access-logs",
        title="Internet-facing load balancer or CDN without access logs",
        stride=("R",),
        controls=("audit-logging",),
        severity=Severity.LOW,
        remediation=(
            "Enable access logs: access_logs { bucket = ..., enabled = true } on the load "
            "balancer, logging_config (or CloudWatch log delivery) on the distribution."
        ),
        references=("CWE-778", "OWASP ASVS 5.0 V16.2", "OWASP ASVS 5.0 V16.3"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        seen: set[str] = set()
        for flow in graph.flows_from(INTERNET_ID):
            entry = graph.element(flow.target)
            tech = technology(entry.type)
            if not tech.entry_point or entry.fact("access_logging") is not False:
                continue
            if tech.forwards and flow.tls is not True:
                continue  # network load balancers log TLS listeners only
            if entry.id in seen:
                continue
            seen.add(entry.id)
            yield Verdict(
                element=entry.id,
                resource=entry.resource,
                message=(
                    f"{entry.resource} receives traffic from the internet and keeps no "
                    "access logs: requests to it cannot be traced afterwards."
                ),
                evidence=tuple(e for e in (entry.evidence_for("access_logging"),) if e),
                flow=flow.id,
                path=(INTERNET_ID, entry.id),
            )


class EksAuditLoggingOff(Rule):
    """An EKS cluster whose control plane does not send its audit log.

    Flags each EKS cluster when the sources state the `audit` control plane log type is
    not enabled (`enabled_cluster_log_types` without "audit", or not set: EKS sends no
    control plane logs by default). A list the files do not determine is unknown and not
    flagged.

    Why it matters: the Kubernetes audit log is the only record of who read secrets,
    exec'd into pods or changed RBAC; without it a cluster compromise cannot be
    reconstructed (CWE-778).

    Remediation: add "audit" (and "authenticator") to `enabled_cluster_log_types`.
    """

    meta = RuleMeta(
        id="TM-LOG-004",
        name="eks-audit-logging-off",
        title="EKS control plane audit logging is off",
        stride=("R",),
        controls=("audit-logging",),
        severity=Severity.MEDIUM,
        remediation='Add "audit" and "authenticator" to enabled_cluster_log_types.',
        references=("CWE-778", "OWASP ASVS 5.0 V16.3", "CIS Amazon EKS Benchmark 2.1.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for api in graph.by_type("kubernetes-api"):
            if api.fact("audit_logging") is not False:
                continue
            yield Verdict(
                element=api.id,
                resource=api.resource,
                message=(
                    f"{api.resource} does not send its Kubernetes audit log: API calls to "
                    "the cluster (secret reads, exec, RBAC changes) are not recorded."
                ),
                evidence=tuple(e for e in (api.evidence_for("audit_logging"),) if e),
            )
