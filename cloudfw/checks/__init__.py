"""Checks: evaluate rule sets against the check registry and produce findings.

Checks never branch on provider: each asks the model which space a rule set allows
(`RuleSet.allowed`) and reads provider-specific compliance ids from metadata by lookup.

    REGISTRY        base check id -> CheckMeta (severity, risk, remediation, CIS, ATT&CK, params)
    run_checks      snapshot + policy + service catalog -> findings
    validate_policy raises PolicyError(field="policy.checks.<id>.<param>") for a bad policy
"""

from cloudfw.checks.meta import FOREIGN_CHECKS, REGISTRY, CheckMeta, ParamSpec
from cloudfw.checks.params import Params, resolve_policy, validate_policy
from cloudfw.checks.runner import run_checks

__all__ = [
    "FOREIGN_CHECKS",
    "REGISTRY",
    "CheckMeta",
    "ParamSpec",
    "Params",
    "resolve_policy",
    "run_checks",
    "validate_policy",
]
