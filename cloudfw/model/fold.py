"""Folding: one finding per (rule, check family), not one per service and per profile.

A rule that opens a port range reaches many catalogue services (``internet-ingress[kafka]``,
``internet-ingress[redis]``, …), and a host firewall with several profiles (Windows Domain,
Private, Public) judges one rule once per profile. `fold` merges the findings that share their
check family, the rules responsible, the direction and the enforcement point, where several
rule sets that are profiles of one firewall count as one enforcement point (asset tag
``profile_of``, set by the parser; any provider may set it). The merged finding:

* ``check`` is the family with every parameter, ``internet-ingress[rdp,smb]``, or past three the
  gravest and a count, ``internet-ingress[rdp,+24]`` (one parameter: unchanged, so single
  findings keep their ids and keys);
* ``severity`` is the gravest, and the message, traffic and evidence are the gravest one's;
* ``evidence.services`` lists each service with its own severity and ports, and
  ``evidence.also_on`` the other profiles' resource ids.

It runs after baseline exceptions, so an exception for ``internet-ingress[rdp]`` mutes exactly
that service, and the folded finding holds only what is left. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cloudfw.model.finding import Finding

PROFILE_OF = "profile_of"
MAX_PARAMS = 3

FoldKey = tuple[str, str, tuple[str, ...], str]


def _group(f: Finding) -> str:
    tags = dict(f.asset.tags)
    return tags.get(PROFILE_OF) or f.asset.uid


def _param(check: str) -> str:
    return check.partition("[")[2].removesuffix("]")


def fold_key(f: Finding) -> FoldKey | None:
    """What findings that `fold` merges share; None for a finding that is never merged (of no
    rule: a logging gap, a disabled firewall, is about its rule set)."""
    return (f.base_check, _group(f), f.rule_keys, f.direction) if f.rule_keys else None


def fold(findings: Iterable[Finding]) -> list[Finding]:
    """Merge the findings of one rule and check family (see the module docstring); the others
    come back unchanged, in their order."""
    groups: dict[FoldKey, list[Finding]] = {}
    for i, f in enumerate(findings):
        key = fold_key(f) or (f"#{i}", "", (), "")
        groups.setdefault(key, []).append(f)
    return [_merge(fs) for fs in groups.values()]


def _merge(fs: list[Finding]) -> Finding:
    if len(fs) == 1:
        return fs[0]
    fs = sorted(fs, key=lambda f: (-int(f.severity), f.check, f.asset.uid))
    top = fs[0]
    params = sorted({p for f in fs if (p := _param(f.check))})
    shown = params if len(params) <= MAX_PARAMS else [_param(top.check), f"+{len(params) - 1}"]
    check = f"{top.base_check}[{','.join(shown)}]" if params else top.base_check
    ev = dict(top.evidence) if isinstance(top.evidence, dict) else {}
    msg = top.message
    if len(params) > 1:
        seen: dict[str, Finding] = {}
        for f in fs:
            seen.setdefault(_param(f.check), f)
        ev["services"] = [
            {"service": p, "severity": seen[p].severity.label, "protocol": seen[p].protocol,
             "ports": seen[p].ports}
            for p in params
        ]  # fmt: skip
        others = [p for p in params if p != _param(top.check)]
        msg = _sentence(msg, f"The same rules also expose {_short(others)}.")
    assets = list(dict.fromkeys(f.asset.uid for f in fs))
    if len(assets) > 1:
        also = list(dict.fromkeys(f.asset.resource_id for f in fs if f.asset != top.asset))
        ev["also_on"] = also
        names = list(dict.fromkeys(f.asset.name or f.asset.resource_id for f in fs))
        msg = _sentence(msg, f"The same on {_short([n for n in names if n != top.asset.name])}.")
    return replace(top, check=check, message=msg, evidence=ev)


def _sentence(msg: str, more: str) -> str:
    return f"{msg if msg.endswith('.') else msg + '.'} {more}"


def _short(items: list[str], limit: int = 6) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
