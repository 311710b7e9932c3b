"""Custom YAML rules fire with their own ids on real fixtures; malformed ones are reported
precisely (file, line, field) and skipped."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import docs
from rules.custom import load_custom_rules
from rules.engine import Rule, RuleMeta, evaluate
from rules.registry import builtin_rules
from scanner.graph import DFDGraph
from scanner.model import Confidence, Diagnostic, Element, Evidence, Finding, Flow, Severity
from scanner.pipeline import ScanResult, scan
from tests.conftest import REPO, SHOP

CUSTOM = Path(__file__).parent / "custom"
K8S_SHOP = REPO / "fixtures" / "k8s-shop"
BUILTIN_IDS = {r.meta.id for r in builtin_rules()}

Row = tuple[str, str, str, int, str]


def custom_rules() -> list[Rule]:
    rules, diagnostics = load_custom_rules(CUSTOM / "valid", BUILTIN_IDS)
    assert diagnostics == []
    return rules


def run(path: Path) -> ScanResult:
    return scan(path, rules=[*builtin_rules(), *custom_rules()])


def custom_findings(result: ScanResult) -> dict[Row, Finding]:
    """Custom findings keyed by (rule, resource, file, line, confidence); no duplicates."""
    out: dict[Row, Finding] = {}
    for f in result.findings:
        if f.rule.startswith("ACME-"):
            loc = f.location
            row = (f.rule, f.resource, str(loc["file"]), int(loc["line"]), f.confidence.label)
            assert row not in out, row
            out[row] = f
    return out


def test_valid_rules_load_with_their_metadata_and_documentation() -> None:
    rules = custom_rules()
    assert [r.meta.id for r in rules] == [
        "ACME-S3-001",  # aws.yaml, in document order
        "ACME-SSH-001",
        "ACME-K8S-001",  # k8s.yaml
        "ACME-K8S-002",
        "ACME-K8S-003",
        "ACME-KMS-001",  # keys.yml
        "ACME-KMS-002",
    ]
    assert rules[0].meta == RuleMeta(
        id="ACME-S3-001",
        name="bucket-without-versioning",
        title="Bucket without versioning",
        stride=("T", "D"),
        controls=("encryption-at-rest",),
        severity=Severity.MEDIUM,
        remediation=(
            "Enable versioning (aws_s3_bucket_versioning) so overwritten objects can be restored."
        ),
        references=("CWE-693",),
    )
    assert rules[1].meta.stride == ("S", "E")  # STRIDE order
    assert rules[1].meta.controls == ("network-segmentation", "public-exposure")
    assert type(rules[0]).documentation() == (
        "Flags object stores whose versioning is stated as off. Without versioning an\n"
        "overwrite or delete (by mistake or by ransomware) cannot be undone.\n\n"
        f"Declared in {(CUSTOM / 'valid' / 'aws.yaml').as_posix()}:2.\n\n"
        "Remediation: Enable versioning (aws_s3_bucket_versioning) so overwritten objects"
        " can be restored."
    )
    assert docs.explain(rules[0]).splitlines()[:4] == [
        "ACME-S3-001  Bucket without versioning",
        "severity medium · STRIDE Tampering, Denial of service · controls encryption-at-rest",
        "",
        "Flags object stores whose versioning is stated as off. Without versioning an",
    ]
    assert docs.sections(rules[0])[2] == rules[0].meta.remediation
    assert type(rules[0]) is not type(rules[1])  # each rule its own documented class


def test_custom_rules_on_the_aws_fixture() -> None:
    result = run(SHOP)
    found = custom_findings(result)
    assert set(found) == {
        # Element rule, facts {versioning: false}: every bucket says so.
        ("ACME-S3-001", "aws_s3_bucket.assets", "storage.tf", 15, "high"),
        ("ACME-S3-001", "aws_s3_bucket.exports", "storage.tf", 60, "high"),
        ("ACME-S3-001", "aws_s3_bucket.invoices", "storage.tf", 32, "high"),
        ("ACME-S3-001", "aws_s3_bucket.partner_feeds", "storage.tf", 85, "high"),
        # Flow rule: internet -> port 22, located by the security group rule.
        ("ACME-SSH-001", "aws_instance.bastion", "security_groups.tf", 169, "high"),
        # kms_managed: false. Without report_unknown, the databases (fact unknown) are
        # silent; with it they are unconfirmed.
        ("ACME-KMS-001", "aws_s3_bucket.assets", "storage.tf", 15, "high"),
        ("ACME-KMS-001", "aws_s3_bucket.exports", "storage.tf", 60, "high"),
        ("ACME-KMS-001", "aws_s3_bucket.partner_feeds", "storage.tf", 85, "high"),
        ("ACME-KMS-002", "aws_s3_bucket.assets", "storage.tf", 15, "high"),
        ("ACME-KMS-002", "aws_s3_bucket.exports", "storage.tf", 60, "high"),
        ("ACME-KMS-002", "aws_s3_bucket.partner_feeds", "storage.tf", 85, "high"),
        ("ACME-KMS-002", "aws_db_instance.orders", "database.tf", 12, "low"),
        ("ACME-KMS-002", "aws_db_instance.reporting", "database.tf", 52, "low"),
        # Flows to datastores whose TLS is unknown: unconfirmed, one per flow.
        ("ACME-K8S-001", "aws_db_instance.orders", "compute.tf", 5, "low"),
        ("ACME-K8S-001", "aws_db_instance.orders", "compute.tf", 23, "low"),
        ("ACME-K8S-001", "aws_db_instance.orders", "lambda.tf", 28, "low"),
        ("ACME-K8S-001", "aws_db_instance.orders", "security_groups.tf", 122, "low"),
        # Reachable through any path (here through the admin ALB and an instance).
        ("ACME-K8S-002", "aws_db_instance.orders", "database.tf", 12, "high"),
        ("ACME-K8S-002", "aws_db_instance.reporting", "database.tf", 52, "high"),
    }
    # Custom rules add findings; the built-in ones are untouched.
    builtin = [f for f in result.findings if not f.rule.startswith("ACME-")]
    assert builtin == list(scan(SHOP).findings)


def test_flow_findings_carry_flow_path_message_and_rule_metadata() -> None:
    found = custom_findings(run(SHOP))
    ssh = found["ACME-SSH-001", "aws_instance.bastion", "security_groups.tf", 169, "high"]
    assert ssh.flow == "internet->tf:.//aws_instance.bastion:tcp/22"
    assert ssh.element == "tf:.//aws_instance.bastion"
    assert ssh.path == ("internet", "tf:.//aws_instance.bastion")
    assert ssh.message == "internet -> aws_instance.bastion port 22/tcp is open to the internet"
    assert (ssh.severity, ssh.stride) == (Severity.HIGH, ("S", "E"))
    assert ssh.remediation.startswith("Reach hosts through SSM Session Manager")
    bucket = found["ACME-S3-001", "aws_s3_bucket.assets", "storage.tf", 15, "high"]
    assert bucket.message == "Bucket without versioning: aws_s3_bucket.assets (object-store)."
    assert bucket.path == ()
    assert bucket.references == ("CWE-693",)


def test_unknown_facts_are_unconfirmed_only_when_the_rule_asks() -> None:
    found = custom_findings(run(SHOP))
    db = found["ACME-KMS-002", "aws_db_instance.orders", "database.tf", 12, "low"]
    assert db.confidence == Confidence.LOW
    assert db.message == (
        "Datastore not encrypted with a customer-managed key (incl. unconfirmed): "
        "aws_db_instance.orders (relational-db). Unconfirmed: the scanned sources do not "
        "state kms_managed."
    )
    assert not any(r[0] == "ACME-KMS-001" and r[1].startswith("aws_db") for r in found)


def test_custom_rules_on_the_kubernetes_fixture() -> None:
    found = custom_findings(run(K8S_SHOP))
    assert set(found) == {
        # tls false: confirmed; tls unknown: unconfirmed (report_unknown: true).
        ("ACME-K8S-001", "Deployment/shop/redis", "shop/catalog.yaml", 41, "high"),
        ("ACME-K8S-001", "Deployment/shop/redis", "shop/cart.yaml", 35, "low"),
        ("ACME-K8S-001", "Deployment/shop/redis", "shop/redis.yaml", 78, "low"),
        ("ACME-K8S-001", "StatefulSet/shop/postgres", "shop/orders.yaml", 46, "high"),
        ("ACME-K8S-001", "StatefulSet/shop/postgres", "shop/catalog.yaml", 35, "low"),
        # ACME-K8S-002 (`internet_reachable`) does not fire on redis: its only path goes
        # through a NodePort whose nodes may not be public, so reachability is unknown and
        # the rule does not ask for unconfirmed findings (TM-PUB-001 says "low" there too).
        # Crossing shop -> payments without mTLS.
        ("ACME-K8S-003", "Deployment/payments/payments", "shop/orders.yaml", 48, "high"),
        # Datastores, whatever their keys (the fact is unknown everywhere): unconfirmed.
        ("ACME-KMS-002", "Deployment/shop/redis", "shop/redis.yaml", 1, "low"),
        ("ACME-KMS-002", "StatefulSet/shop/postgres", "shop/postgres.yaml", 19, "low"),
    }
    assert not [k for k in found if k[0] == "ACME-K8S-002"]


def _graph(flows: list[Flow]) -> DFDGraph:
    ev = Evidence("terraform", "main.tf", 1)
    elements = [
        Element("internet", "external", "internet", "internet", "internet"),
        Element("a", "process", "vm", "a", "aws_instance.a", evidence=(ev,)),
        Element("b", "process", "vm", "b", "aws_instance.b", evidence=(ev,)),
    ]
    return DFDGraph(elements, flows, [])


def _rules(tmp_path: Path, text: str) -> list[Rule]:
    (tmp_path / "rules.yaml").write_text(text)
    rules, diagnostics = load_custom_rules(tmp_path, BUILTIN_IDS)
    assert diagnostics == []
    return rules


FLOW_RULE = """\
id: ACME-T-{n}
title: Test
severity: low
stride: [I]
controls: [network-segmentation]
remediation: None.
report_unknown: true
match: {{target: flow, port: 22{extra}}}
"""


def test_blocked_flows_and_flows_without_a_port(tmp_path: Path) -> None:
    ev = (Evidence("kubernetes", "np.yaml", 3),)
    graph = _graph(
        [
            Flow("a", "b", "tcp", 22, "reachable", "inferred", evidence=ev, network_allowed=False),
            Flow("internet", "b", "tcp", None, "reachable", "inferred", evidence=ev),
        ]
    )
    text = "\n---\n".join(
        (
            FLOW_RULE.format(n=1, extra=""),
            FLOW_RULE.format(n=2, extra=", facts: {network_allowed: false}"),
        )
    )
    found = {
        (f.rule, f.flow, f.confidence.label): f.message
        for f in evaluate(graph, _rules(tmp_path, text)).findings
    }
    assert found == {
        # A flow without a port: any or unknown, so unconfirmed.
        ("ACME-T-1", "internet->b:tcp/*", "low"): (
            "Test: internet -> aws_instance.b (tcp/*). Unconfirmed: the scanned sources do"
            " not state port."
        ),
        # The blocked flow only for the rule that asks about policy ...
        ("ACME-T-2", "a->b:tcp/22", "high"): "Test: aws_instance.a -> aws_instance.b (tcp/22).",
        # ... which leaves a flow no policy decides unconfirmed.
        ("ACME-T-2", "internet->b:tcp/*", "low"): (
            "Test: internet -> aws_instance.b (tcp/*). Unconfirmed: the scanned sources do"
            " not state port, network_allowed."
        ),
    }


def test_invalid_rules_are_reported_precisely_and_skipped() -> None:
    rules, diagnostics = load_custom_rules(CUSTOM / "invalid", BUILTIN_IDS, label="custom")
    assert [r.meta.id for r in rules] == ["ACME-OK-001"]  # the valid one in fields.yaml
    assert {d.level for d in diagnostics} == {"error"}
    assert [(d.source, d.line, d.message) for d in diagnostics] == [
        ("custom/broken.yaml", 3, "cannot parse: expected ',' or ']', but got ':'"),
        ("custom/fields.yaml", 2, "match: required"),
        (
            "custom/fields.yaml",
            4,
            "severity: 'urgent' is not one of critical, high, medium, low, info",
        ),
        ("custom/fields.yaml", 6, "controls: unknown control 'backups'"),
        ("custom/fields.yaml", 8, "unknown field 'matchs'"),
        ("custom/fields.yaml", 11, "id TM-PUB-001 is a built-in rule id"),
        ("custom/fields.yaml", 17, "match.target: required"),
        (
            "custom/fields.yaml",
            19,
            "id: 'acme-lowercase' does not match [A-Z][A-Z0-9]*(-[A-Z0-9]+)+ (e.g. ACME-DB-001)",
        ),
        ("custom/fields.yaml", 20, "stride: expected at least one value"),
        ("custom/fields.yaml", 23, "title: expected text, got ''"),
        ("custom/fields.yaml", 25, "report_unknown: expected true or false, got 'maybe'"),
        ("custom/fields.yaml", 27, "match.target: 'host' is not one of element, flow"),
        ("custom/list.yml", 1, "a rule must be a mapping, got a list"),
        ("custom/match.yaml", 8, "message: placeholder {source} needs target: flow"),
        ("custom/match.yaml", 8, "message: placeholder {port} needs target: flow"),
        (
            "custom/match.yaml",
            11,
            "match.kind: 'database' is not one of process, datastore, external",
        ),
        ("custom/match.yaml", 12, "match.type: unknown type 'relational'"),
        ("custom/match.yaml", 13, "unknown field 'match.technology.holds_pii'"),
        (
            "custom/match.yaml",
            14,
            "match.internet_reachable: expected true or false, got 'yes please'",
        ),
        ("custom/match.yaml", 15, "match.port: only for target: flow"),
        (
            "custom/match.yaml",
            23,
            "message: unknown placeholder {host} (one of {resource}, {name}, {type}, {source},"
            " {destination}, {port}, {protocol})",
        ),
        ("custom/match.yaml", 23, "message: placeholder {port} takes no format or conversion"),
        (
            "custom/match.yaml",
            26,
            "match.kind: only for target: element (use match.source or match.destination)",
        ),
        ("custom/match.yaml", 27, "match.port: 70000 is not a port number (1-65535)"),
        ("custom/match.yaml", 27, "match.port: 'ssh' is not a port number (1-65535)"),
        ("custom/match.yaml", 28, "unknown field 'match.source.colour'"),
        (
            "custom/match.yaml",
            30,
            "match.facts: unknown flow fact 'tsl' (one of authn, authz, basis, mtls,"
            " network_allowed, rate_limited, tls)",
        ),
        ("custom/match.yaml", 31, "match.facts.tls: 'no' is not true, false or unknown"),
        (
            "custom/match.yaml",
            32,
            "match.facts.basis: 'declared' is not called, reachable or unknown",
        ),
        ("custom/match.yaml", 34, "id ACME-OK-001 is already defined at custom/fields.yaml:29"),
        ("custom/match.yaml", 43, "match.facts: given more than once"),
    ]
    assert diagnostics[1].short() == "custom/fields.yaml:2: match: required"


def test_diagnostics_name_the_directory_as_given(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: ACME-A-1\n")
    _, diagnostics = load_custom_rules(tmp_path, BUILTIN_IDS)
    assert {d.source for d in diagnostics} == {f"{tmp_path.as_posix()}/a.yaml"}


def test_a_missing_or_empty_directory_is_one_diagnostic(tmp_path: Path) -> None:
    assert load_custom_rules(tmp_path / "nope", BUILTIN_IDS, label="nope") == (
        [],
        [Diagnostic("error", "nope", "custom rules directory not found")],
    )
    (tmp_path / "README.md").write_text("not a rule")
    assert load_custom_rules(tmp_path, BUILTIN_IDS, label="rules") == (
        [],
        [Diagnostic("warning", "rules", "no custom rule files (*.yaml, *.yml)")],
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["id", "match", "target", "facts", "port", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(yaml.safe_dump),
    )
)
def test_arbitrary_input_yields_rules_or_diagnostics(tmp_path: Path, text: str) -> None:
    (tmp_path / "fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    rules, diagnostics = load_custom_rules(tmp_path, BUILTIN_IDS, label="r")
    assert all(d.source == "r/fuzz.yaml" and d.message for d in diagnostics)
    assert all(isinstance(r, Rule) for r in rules)
