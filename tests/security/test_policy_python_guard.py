"""Issue 9 item 5: what counts as a guard is the operator's call (guard.python_modules)."""

from __future__ import annotations

import pytest

from chaosguard.errors import Refused
from chaosguard.policy import Policy
from chaosguard.policy.guards import check_python_guard

pytestmark = pytest.mark.security


def test_a_python_guard_outside_chaosguard_is_refused_by_default() -> None:
    with pytest.raises(Refused) as info:
        check_python_guard(Policy(), "os:getpid")
    message = str(info.value)
    assert "guard.python_modules" in message and "os" in message and "\n" not in message


def test_chaosguard_and_allowed_prefixes_only() -> None:
    policy = Policy.model_validate({"guard": {"python_modules": ["corp.slo"]}})
    check_python_guard(policy, "chaosguard.slo.python_source:anything")
    check_python_guard(policy, "corp.slo:p95")
    check_python_guard(policy, "corp.slo.checks:p95")
    for func in ("corp.slothing:p95", "corp:p95", "chaosguard_evil:f", "os:getpid"):
        with pytest.raises(Refused, match=r"guard\.python_modules"):
            check_python_guard(policy, func)
