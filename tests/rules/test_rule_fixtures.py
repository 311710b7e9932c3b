"""Every registered rule fires exactly as its fixtures say (see rule_fixtures.py)."""

from __future__ import annotations

import pytest

from rules.engine import Rule
from rules.registry import builtin_rules

from .rule_fixtures import LIVE_FIXTURES, check

RULES = builtin_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_fires_exactly_on_its_failing_fixture_and_not_on_its_passing_one(rule: Rule) -> None:
    if rule.meta.id in LIVE_FIXTURES:
        pytest.skip(f"needs a live account: checked by {LIVE_FIXTURES[rule.meta.id]}")
    assert check(rule) == []
