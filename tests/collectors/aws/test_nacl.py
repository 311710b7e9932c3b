"""Network ACLs take internet exposure away; they never add it.

Exposure is judged by TM-PUB-001: these tests compare that rule's findings only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.pipeline import scan

DB = """
resource "aws_db_subnet_group" "db" {
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_security_group" "db" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "db" {
  identifier             = "db"
  engine                 = "postgres"
  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = true
}
"""
EXPOSED = {("TM-PUB-001", "aws_db_instance.db")}


def exposures(root: Path) -> set[tuple[str, str]]:
    """(rule, resource) of the TM-PUB-001 findings of a scan of `root`."""
    return {(f.rule, f.resource) for f in scan(root).findings if f.rule == "TM-PUB-001"}


def acl(*rules: str, default: bool = False) -> str:
    body = "\n".join(rules)
    if default:
        return (
            'resource "aws_default_network_acl" "main" {\n'
            "  default_network_acl_id = aws_vpc.main.default_network_acl_id\n"
            f"{body}\n}}\n"
        )
    return (
        'resource "aws_network_acl" "public" {\n'
        "  vpc_id     = aws_vpc.main.id\n"
        "  subnet_ids = [aws_subnet.public.id]\n"
        f"{body}\n}}\n"
    )


def ingress(rule_no: int, action: str, cidr: str, port: int | None = 5432) -> str:
    ports = (
        f'from_port = {port}\n    to_port = {port}\n    protocol = "tcp"'
        if port
        else ('from_port = 0\n    to_port = 0\n    protocol = "-1"')
    )
    return (
        f'  ingress {{\n    rule_no = {rule_no}\n    action = "{action}"\n'
        f"    cidr_block = {cidr}\n    {ports}\n  }}"
    )


def _findings(tf_repo: Callable[..., Path], extra: str) -> set[tuple[str, str]]:
    repo = tf_repo({"db.tf": DB, "acl.tf": extra, "vars.tf": 'variable "office" {}\n'})
    return exposures(repo)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", EXPOSED),  # no ACL in the files: AWS's default ACL allows everything
        (acl(ingress(100, "allow", '"0.0.0.0/0"')), EXPOSED),
        (
            acl(ingress(100, "deny", '"0.0.0.0/0"'), ingress(200, "allow", '"0.0.0.0/0"', None)),
            set(),
        ),
        (acl(ingress(100, "allow", '"10.0.0.0/16"')), set()),  # then the implicit deny
        (acl(ingress(100, "allow", '"203.0.113.0/24"')), EXPOSED),  # some internet gets in
        (acl(), set()),  # an ACL with no inbound rules denies everything
        (acl(ingress(100, "allow", '"0.0.0.0/0"', 443)), set()),  # another port
        (acl(default=True), set()),  # the managed default ACL, emptied
        # A rule the files cannot resolve comes first: not confirmed either way.
        (acl(ingress(100, "deny", "var.office"), ingress(200, "allow", '"0.0.0.0/0"')), set()),
    ],
)
def test_network_acl_decides_internet_exposure(
    tf_repo: Callable[..., Path], extra: str, expected: set[tuple[str, str]]
) -> None:
    assert _findings(tf_repo, extra) == expected


def test_standalone_rules_and_associations(tf_repo: Callable[..., Path]) -> None:
    standalone = """
resource "aws_network_acl" "edge" {
  vpc_id = aws_vpc.main.id
}

resource "aws_network_acl_association" "public" {
  network_acl_id = aws_network_acl.edge.id
  subnet_id      = aws_subnet.public.id
}

resource "aws_network_acl_rule" "pg" {
  network_acl_id = aws_network_acl.edge.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "%s"
  cidr_block     = "0.0.0.0/0"
  from_port      = 5432
  to_port        = 5432
}
"""
    assert _findings(tf_repo, standalone % "allow") == EXPOSED
    assert _findings(tf_repo, standalone % "deny") == set()


def test_acls_also_guard_the_families_internet_flows(tf_repo: Callable[..., Path]) -> None:
    cluster = """
resource "aws_db_subnet_group" "aurora" {
  subnet_ids = [aws_subnet.public.id]
}

resource "aws_rds_cluster" "aurora" {
  cluster_identifier     = "aurora"
  engine                 = "aurora-postgresql"
  db_subnet_group_name   = aws_db_subnet_group.aurora.name
  vpc_security_group_ids = [aws_security_group.db.id]
}

resource "aws_rds_cluster_instance" "one" {
  cluster_identifier  = aws_rds_cluster.aurora.id
  instance_class      = "db.r6g.large"
  engine              = "aurora-postgresql"
  publicly_accessible = true
}
"""
    exposed = {("TM-PUB-001", "aws_rds_cluster.aurora")}
    repo = tf_repo(
        {"db.tf": DB.split('resource "aws_db_instance"', maxsplit=1)[0], "aurora.tf": cluster}
    )
    assert exposures(repo) == exposed
    (repo / "acl.tf").write_text(acl(ingress(100, "deny", '"0.0.0.0/0"')))
    assert exposures(repo) == set()
