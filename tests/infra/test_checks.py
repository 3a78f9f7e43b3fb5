"""Every check of the registry on the host: what the docker_storage role promises holds.

The checks and the policy are the ones the role's verify step and a compliance run use
(plugins/module_utils/layerwise_checks, the role's docker_storage_policy filter), so the three give
one verdict. A check the policy does not ask for is skipped by the judge with the policy key
that turned it off; the forecast (USE-005), which a host cannot judge without a previous
report, is skipped saying so; anything else must pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise.fleet import FORECAST


@pytest.mark.parametrize("check_id", [c.id for c in checks.CHECKS])
def test_check(check_id: str, judged: dict[str, dict[str, Any]]) -> None:
    outcome = judged[check_id]
    assert outcome["status"] in ("pass", "skip"), checks.describe([outcome])
    if check_id == FORECAST:
        assert outcome["status"] == "skip"
        assert outcome["reason"].endswith("layerwise compliance --previous"), outcome["reason"]
    elif outcome["status"] == "skip":
        assert outcome["reason"].startswith("policy "), outcome["reason"]
