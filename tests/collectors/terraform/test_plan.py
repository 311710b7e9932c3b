"""Plan and state JSON (`terraform show -json`) go through the same records and rules.

fixtures/shop-plan/plan.json is a real `terraform show -json` of fixtures/shop (Terraform
1.11, AWS provider 5.100; provider credentials removed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from collectors.terraform.evaluate import Ref
from collectors.terraform.plan import plan_blocks
from scanner.pipeline import scan
from tests.conftest import REPO, SHOP

PLAN = REPO / "fixtures" / "shop-plan"


def test_plan_alone_gives_the_same_elements_and_flows_as_the_files() -> None:
    files, plan = scan(SHOP), scan(PLAN)
    assert {(e.resource, e.type, e.boundary) for e in plan.graph.elements} == {
        (e.resource, e.type, e.boundary) for e in files.graph.elements
    }
    # The bucket policy is built from the bucket's ARN, unknown until apply: a plan alone
    # cannot show the grant, so that one exposure is missing (not invented).
    assert {f.id for f in files.graph.flows} - {f.id for f in plan.graph.flows} == {
        "internet->tf:.//aws_s3_bucket.partner_feeds:https/443"
    }
    assert {f.id for f in plan.graph.flows} <= {f.id for f in files.graph.flows}


def test_plan_findings_point_at_the_plan() -> None:
    found = {(f.rule, f.resource, tuple(sorted(f.location.items()))) for f in scan(PLAN).findings}
    where = (("file", "plan.json"),)
    assert found == {
        ("TM-PUB-001", "aws_db_instance.reporting", where),
        ("TM-TLS-001", "aws_lb_listener.admin_http", where),
        ("TM-RATE-001", "aws_api_gateway_stage.v1", where),
        ("TM-ENC-001", "aws_db_instance.reporting", where),
        ("TM-NET-001", "aws_instance.bastion", where),
        ("TM-LOG-003", "aws_lb.web", where),
        ("TM-LOG-003", "aws_alb.admin", where),
        ("TM-LOG-002", "aws_vpc.main", where),
    }


def test_plan_variables_win_over_tfvars_next_to_the_files(tmp_path: Path) -> None:
    repo = tmp_path / "shop-modules"
    shutil.copytree(REPO / "fixtures" / "shop-modules", repo)
    (repo / "terraform.tfvars").write_text("reporting_db_public = false\n")
    reporting = ("TM-PUB-001", "module.data.module.reporting.aws_db_instance.this")
    assert reporting not in {(f.rule, f.resource) for f in scan(repo).findings}
    (repo / "plan.json").write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "terraform_version": "1.11.4",
                "variables": {"reporting_db_public": {"value": True}},
                "planned_values": {"root_module": {}},
            }
        )
    )
    result = scan(repo)
    assert reporting in {(f.rule, f.resource) for f in result.findings}
    assert ("info", "plan.json", "plan variables applied to the module in .") in {
        (d.level, d.source, d.message) for d in result.diagnostics
    }


def test_state_ids_become_references() -> None:
    state = {
        "format_version": "1.0",
        "terraform_version": "1.11.4",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_vpc.main",
                        "mode": "managed",
                        "type": "aws_vpc",
                        "name": "main",
                        "values": {"id": "vpc-0a1b", "cidr_block": "10.0.0.0/16"},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.net",
                        "resources": [
                            {
                                "address": "module.net.aws_subnet.a[0]",
                                "mode": "managed",
                                "type": "aws_subnet",
                                "name": "a",
                                "index": 0,
                                "values": {
                                    "id": "subnet-9",
                                    "vpc_id": "vpc-0a1b",
                                    "cidr_block": "10.0.1.0/24",
                                    "map_public_ip_on_launch": False,
                                    "ipv6_cidr_block": "",
                                },
                            }
                        ],
                    }
                ],
            }
        },
    }
    blocks = {b.address: b for b in plan_blocks(state, "state.json")}
    assert set(blocks) == {"aws_vpc.main", "module.net.aws_subnet.a[0]"}
    subnet = blocks["module.net.aws_subnet.a[0]"]
    assert dict(subnet.body) == {
        "cidr_block": "10.0.1.0/24",
        "id": Ref("module.net.aws_subnet.a[0]"),
        "map_public_ip_on_launch": False,
        "vpc_id": Ref("aws_vpc.main"),
    }
    assert (subnet.file, subnet.line, subnet.type, subnet.name) == (
        "state.json",
        None,
        "aws_subnet",
        "a",
    )
