"""Checks: evaluate rule sets against the check registry and produce findings.

Checks never branch on provider: each asks the model which space a rule set allows
(`RuleSet.allowed`) and reads provider-specific compliance ids from metadata by lookup.

    REGISTRY        base check id -> CheckMeta (severity, risk, remediation, CIS, ATT&CK, params)
    run_checks      snapshot + policy + service catalog -> findings
    validate_policy raises PolicyError(field="policy.checks.<id>.<param>") for a bad policy
"""

from collections.abc import Mapping
from types import MappingProxyType

from cloudfw.checks.host import HOST_CHECKS
from cloudfw.checks.meta import FOREIGN_CHECKS, CheckMeta, ParamSpec
from cloudfw.checks.meta import REGISTRY as _CORE
from cloudfw.checks.params import Params, resolve_policy, validate_policy
from cloudfw.checks.runner import run_checks

#: every check `run_checks` can report: the core checks and the host-only checks
REGISTRY: Mapping[str, CheckMeta] = MappingProxyType({**_CORE, **HOST_CHECKS})

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
