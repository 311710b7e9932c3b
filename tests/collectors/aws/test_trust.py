"""Which roles Kubernetes workloads may assume (the join binds them through IRSA)."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.aws.services.identity.trust import workload_identity

OIDC = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": OIDC},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ),
            True,
        ),
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ),
            True,
        ),
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            False,
        ),
        # A federated principal for SAML sign-in, not web identity: not a workload role.
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/okta"},
                    "Action": "sts:AssumeRoleWithSAML",
                }
            ),
            False,
        ),
        (
            trust(
                {
                    "Effect": "Deny",
                    "Principal": {"Federated": OIDC},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ),
            False,
        ),
        (None, None),
        ("not a document", None),
    ],
)
def test_workload_identity(doc: Any, expected: bool | None) -> None:
    assert workload_identity(doc) is expected
