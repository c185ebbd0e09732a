"""Merge the parts one host's files produced into that host's rule sets.

pf rules meet ``pfctl -s info`` (enabled/disabled), ALF settings meet the application list,
Windows rules meet the profiles that decide defaults and state, an nft ruleset with no filter
chain stands for "nothing filters" when no other source does, and every rule set gets the
host's interfaces from its interface inventories.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cloudfw.hosts.parsers.alf import alf_ruleset
from cloudfw.hosts.parsers.base import NOT_COLLECTED, AppEntry, HostPart, WinRule, host_asset
from cloudfw.hosts.parsers.netifs import ROUTES, merge
from cloudfw.hosts.parsers.windows import windows_rulesets
from cloudfw.model import Action, Attachment, EvalSemantics, Interface, Logging, RuleSet


@dataclass
class HostState:
    host: str
    rulesets: list[RuleSet] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    apps: list[AppEntry] = field(default_factory=list)
    win_rules: list[WinRule] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: int = 0  # how many parts (files or a file's share) describe this host

    def add(self, part: HostPart) -> None:
        self.parts += 1
        self.rulesets.extend(part.rulesets)
        self.interfaces.extend(part.interfaces)
        self.facts.update(part.facts)
        self.apps.extend(part.apps)
        self.win_rules.extend(part.win_rules)
        self.warnings.extend(part.warnings)


def assemble(state: HostState) -> list[RuleSet]:
    """The host's final rule sets."""
    out: list[RuleSet] = []
    status = state.facts.get("pf.status")
    saw_pf = False
    for rs in state.rulesets:
        if rs.semantics is EvalSemantics.LAST_MATCH_UNLESS_QUICK:
            saw_pf = True
            # pf.conf alone is what pf would do once loaded and enabled: whether it is, only
            # `pfctl -s info` says
            tags = (*rs.asset.tags, ("status", status or NOT_COLLECTED))
            if not status and "pf.off_by_default" in state.facts:
                tags = (*tags, ("off_by_default", state.facts["pf.off_by_default"]))
            rs = replace(rs, enabled=status != "disabled", asset=replace(rs.asset, tags=tags))
        out.append(rs)
    if status and not saw_pf:
        out.append(
            RuleSet(
                asset=host_asset(
                    state.host, "pf", "pf", {"status": status, "rules": "not collected"}
                ),
                semantics=EvalSemantics.LAST_MATCH_UNLESS_QUICK,
                default_ingress=Action.ALLOW,
                default_egress=Action.ALLOW,
                logging=Logging.UNKNOWN,
                enabled=status != "disabled",
            )
        )
        if status != "disabled":
            state.warnings.append(f"{state.host}: pf is {status} but its rules were not collected")
    if any(k.startswith("alf.") for k in state.facts) or state.apps:
        out.append(alf_ruleset(state.host, state.facts, state.apps))
    if any(k.startswith("windows.") for k in state.facts) or state.win_rules:
        if not state.win_rules and "windows.rules" not in state.facts:
            state.warnings.append(f"{state.host}: Windows firewall rules were not collected")
        if not any(k.endswith(".enabled") for k in state.facts if k.startswith("windows.")):
            state.warnings.append(
                f"{state.host}: Windows firewall profiles (state, default actions) were not "
                "collected: each profile is judged as on, blocking what no rule allows"
            )
        out.extend(windows_rulesets(state.host, state.facts, state.win_rules))
    empty = state.facts.get("nftables.filter")
    if empty and not out:
        # the host's only firewall source is an nft ruleset that filters nothing: say so (a
        # rule set that admits everything is what firewall-disabled reports), never "clean"
        out.append(
            RuleSet(
                asset=host_asset(
                    state.host, "nftables", "nftables", {"hook": "input", "ruleset": empty}
                ),
                semantics=EvalSemantics.CHAIN_FIRST_MATCH,
                default_ingress=Action.ALLOW,
                default_egress=Action.ALLOW,
                logging=Logging.OFF,
            )
        )
        state.warnings.append(
            f"{state.host}: the nftables ruleset has {empty}: no nftables filtering"
        )
    att = (Attachment("host", state.host, instance_id=state.host),)
    ifaces = merge(state.interfaces, ROUTES in state.facts)
    return [replace(rs, attachments=att, interfaces=ifaces) for rs in out]
