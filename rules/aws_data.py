"""Encryption-at-rest rules on AWS datastores and KMS keys."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine import Rule, RuleMeta, Verdict, forwards
from scanner.graph import DFDGraph
from scanner.model import Confidence, Element, Evidence, Severity


def _stores(graph: DFDGraph) -> list[Element]:
    """Elements that hold data; KMS keys are the encryption, not data to encrypt."""
    return [e for e in graph.with_flag("stores_data") if e.type != "key-store"]


def _evidence(element: Element, *facts: str) -> tuple[Evidence, ...]:
    """The evidence of the first fact that has its own, else the element's location."""
    for fact in facts:
        if any(ev.fact == fact for ev in element.evidence):
            found = element.evidence_for(fact)
            return (found,) if found else ()
    return element.evidence[:1]


class DatastoreNotEncryptedAtRest(Rule):
    """A datastore whose data is stored unencrypted.

    Flags each element that holds data (database, cluster, cache, queue, stream, search
    domain, file system, bucket) when the sources state that encryption at rest is off:
    `storage_encrypted = false` (or not set, where the provider default is off, as for RDS
    and EFS), a Kinesis stream with `encryption_type = "NONE"`, an SNS topic without a KMS
    key, an OpenSearch domain with `encrypt_at_rest` disabled. Services that always
    encrypt (S3 since January 2023, DynamoDB, Secrets Manager, SQS queues since October
    2022 unless SSE is turned off) are never flagged. A store whose setting the sources
    do not determine (a variable without a value) is unknown and not flagged; KMS keys
    and engines without at-rest encryption (Memcached clusters) are not judged.

    Why it matters: unencrypted volumes, snapshots and backups can be read by anyone who
    obtains a copy (a shared or leaked snapshot, a decommissioned disk, a backup in the
    wrong account) without any key access being logged (CWE-311, CWE-312).

    Remediation: turn on encryption at rest with a KMS key. Existing RDS instances, Aurora
    clusters and EFS file systems cannot be encrypted in place: restore from an encrypted
    snapshot copy, or create an encrypted copy and migrate.
    """

    meta = RuleMeta(
        id="TM-ENC-001",
        name="datastore-not-encrypted-at-rest",
        title="Datastore not encrypted at rest",
        stride=("I",),
        controls=("encryption-at-rest",),
        severity=Severity.MEDIUM,
        remediation=(
            "Enable encryption at rest with a KMS key (storage_encrypted, encrypted, "
            "encrypt_at_rest, encryption_type = KMS, kms_master_key_id); re-create RDS, "
            "Aurora and EFS from an encrypted snapshot or copy."
        ),
        references=("CWE-311", "CWE-312", "OWASP ASVS 5.0 14.2.4"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for store in _stores(graph):
            if store.fact("encryption_at_rest") is not False:
                continue
            yield Verdict(
                element=store.id,
                resource=store.resource,
                message=f"{store.resource} ({store.type}) stores its data unencrypted at rest.",
                evidence=_evidence(store, "encryption_at_rest"),
            )


def _aws_key(store: Element) -> str | None:
    """Which AWS-held key encrypts the store, when the sources show it is not a CMK."""
    if store.fact("encryption_at_rest") is not True:
        return None  # unencrypted (TM-ENC-001) or not known
    if store.fact("kms_managed") is False:
        return "an AWS owned key"  # DynamoDB's default, SSE-S3, SSE-SQS
    if store.fact("customer_managed_key") is False:
        return "the AWS managed KMS key of its service"
    return None


class AwsManagedKeyAmongCustomerKeys(Rule):
    """A datastore encrypted with an AWS-held key in a system that keeps its own keys.

    Applies only when some other datastore in the model is encrypted with a customer
    managed KMS key: the system has chosen to hold its own keys, and this store is the
    outlier. It is flagged when the sources show its key is AWS owned (DynamoDB's default,
    SSE-S3, SSE-SQS) or the service's AWS managed key (`alias/aws/...`). A store whose key
    is a KMS key the sources do not name is unknown and not flagged, and a system with no
    customer managed key anywhere is not judged at all (the peers that flag every store
    without a CMK are the noisiest encryption checks there are). Severity is low: the
    data is encrypted; what differs is who controls and audits the key.

    Why it matters: with an AWS-held key the system's own key policy cannot restrict or
    revoke decryption, key use is not in the account's CloudTrail as the CMKs' is, and
    the store cannot be crypto-shredded or shared across accounts like its peers
    (CWE-320).

    Remediation: encrypt the store with the customer managed key its peers use (or one
    of its own), e.g. `server_side_encryption { kms_key_arn }`, `kms_master_key_id`,
    `kms_key_id`.
    """

    meta = RuleMeta(
        id="TM-ENC-002",
        name="aws-managed-key-among-customer-keys",
        title="Datastore uses an AWS-managed key where the system uses customer-managed keys",
        stride=("I",),
        controls=("encryption-at-rest",),
        severity=Severity.LOW,
        remediation=(
            "Encrypt the store with a customer managed KMS key, as its peers are "
            "(kms_key_arn, kms_master_key_id or kms_key_id)."
        ),
        references=("CWE-320", "CWE-311", "OWASP ASVS 5.0 V11.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        stores = _stores(graph)
        peers = [s for s in stores if s.fact("customer_managed_key") is True]
        if not peers:
            return
        for store in stores:
            key = _aws_key(store)
            if key is None:
                continue
            others = [p.resource for p in peers if p.id != store.id]
            named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if others[3:] else "")
            yield Verdict(
                element=store.id,
                resource=store.resource,
                message=(
                    f"{store.resource} is encrypted with {key}, while {named} in this system "
                    "use customer managed keys."
                ),
                evidence=(
                    *_evidence(store, "customer_managed_key", "kms_managed"),
                    *_evidence(peers[0], "customer_managed_key"),
                ),
            )


class KmsKeyWithoutRotation(Rule):
    """A customer managed KMS key whose automatic rotation is off.

    Flags each symmetric encryption key when the sources state rotation is off
    (`enable_key_rotation` is false, or not set: the provider default). Asymmetric and
    HMAC keys cannot rotate automatically and are not judged; a key whose spec the
    sources do not determine is reported as unconfirmed. AWS managed keys rotate on
    their own and are not in the model as keys.

    Why it matters: without rotation one key version protects every object for the life
    of the key, so a compromise of the key material, or a grant misused over years,
    exposes everything ever encrypted with it, and cryptoperiod requirements (PCI DSS
    3.6.4, NIST SP 800-57) are not met (CWE-320, CWE-324).

    Remediation: set `enable_key_rotation = true` (optionally `rotation_period_in_days`);
    rotation keeps old versions, so existing data stays readable.
    """

    meta = RuleMeta(
        id="TM-ENC-003",
        name="kms-key-without-rotation",
        title="KMS customer managed key without automatic rotation",
        stride=("I",),
        controls=("encryption-at-rest",),
        severity=Severity.LOW,
        remediation="Set enable_key_rotation = true on the key.",
        references=("CWE-320", "CWE-324", "OWASP ASVS 5.0 11.1.1"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for key in graph.by_type("key-store"):
            if key.fact("key_rotation") is not False:
                continue
            spec = key.fact("key_spec")
            if isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT":
                continue  # asymmetric or HMAC: KMS cannot rotate it
            message = f"{key.resource} ({key.name}) never rotates its key material."
            if spec is None:
                message += (
                    " Unconfirmed: its key spec is not known; only symmetric keys can rotate."
                )
            yield Verdict(
                element=key.id,
                resource=key.resource,
                message=message,
                evidence=_evidence(key, "key_rotation"),
                confidence=Confidence.HIGH if spec is not None else Confidence.LOW,
            )


class SearchDomainWithoutFineGrainedAccess(Rule):
    """A search domain without fine-grained access control that several parties reach.

    Without fine-grained access control a domain knows no users or roles: whoever its
    access policy and network admit may read, write and delete every index and call the
    cluster APIs. That matters when more than one party reaches it, so the rule applies
    to a domain the internet reaches directly (a public endpoint whose access policy
    admits anyone: high) or one that two or more workloads reach, by configuration or
    through their security groups (medium: each can read the others' indices), and flags
    it when fine-grained access control is stated off. A domain with one caller, or
    whose setting the files do not determine, is not flagged.

    Why it matters: one compromised or careless client reads or deletes every index in
    the domain, including other services' data and the security index (CWE-862,
    CWE-285, OWASP API5:2023).

    Remediation: enable `advanced_security_options` (fine-grained access control) with
    an IAM master role, and map each client to a role limited to its indices.
    """

    meta = RuleMeta(
        id="TM-AUTHZ-001",
        name="search-domain-without-fine-grained-access",
        title="Search domain without fine-grained access control reached by several parties",
        stride=("E", "I"),
        controls=("authz",),
        severity=Severity.MEDIUM,
        remediation=(
            "Enable advanced_security_options (fine-grained access control) and map each "
            "client role to the indices it uses."
        ),
        references=("CWE-862", "CWE-285", "OWASP ASVS 5.0 V8.2", "OWASP API5:2023"),
    )

    def check(self, graph: DFDGraph) -> Iterable[Verdict]:
        for domain in graph.by_type("search-index"):
            if domain.fact("fine_grained_access_control") is not False:
                continue
            path = graph.internet_path(domain.id, through=forwards)
            callers = sorted(
                {
                    graph.element(f.source).resource
                    for f in graph.flows_into(domain.id)
                    if graph.element(f.source).kind == "process"
                }
            )
            if path is None and len(callers) < 2:
                continue
            who = (["the internet"] if path else []) + callers[:3]
            more = f" and {len(callers) - 3} more" if callers[3:] else ""
            yield Verdict(
                element=domain.id,
                resource=domain.resource,
                message=(
                    f"{domain.resource} has no fine-grained access control: every client "
                    f"it admits ({', '.join(who)}{more}) has full access to every index."
                ),
                evidence=_evidence(domain, "fine_grained_access_control"),
                path=tuple(path or ()),
                severity=Severity.HIGH if path else Severity.MEDIUM,
            )
