"""`fold`: one finding per (rule, check family), across services and across the profiles of one
firewall; nothing else merges."""

from __future__ import annotations

from cloudfw.model import Asset, Finding, Severity
from cloudfw.model.fold import PROFILE_OF, fold


def asset(rid: str, profile_of: str = "") -> Asset:
    tags = ((PROFILE_OF, profile_of),) if profile_of else ()
    return Asset("host", "h", "", "windows-firewall:" + rid, rid, name=rid, tags=tags)


def f(check: str, a: Asset, sev: Severity, rules: tuple[str, ...] = ("R",)) -> Finding:
    return Finding(check, sev, a, f"{check} on {a.name}.", rules, "ingress", "tcp", "1-9000")


def test_services_and_profiles_of_one_rule_fold_into_one() -> None:
    dom, pub = asset("Domain", "h:fw"), asset("Public", "h:fw")
    got = fold([
        f("internet-ingress[smb]", dom, Severity.HIGH),
        f("internet-ingress[rdp]", dom, Severity.HIGH),
        f("internet-ingress[telnet]", pub, Severity.CRITICAL),
        f("internet-ingress[smb]", pub, Severity.HIGH),
    ])  # fmt: skip
    assert len(got) == 1
    one = got[0]
    assert one.check == "internet-ingress[rdp,smb,telnet]" and one.severity == Severity.CRITICAL
    assert one.asset == pub  # the gravest one's
    assert [s["service"] for s in one.evidence["services"]] == ["rdp", "smb", "telnet"]
    assert one.evidence["also_on"] == ["Domain"]
    assert "also expose rdp, smb" in one.message and "The same on Domain." in one.message


def test_many_services_keep_a_short_check_id() -> None:
    a = asset("Domain")
    svcs = ["ssh", "rdp", "smb", "vnc", "redis"]
    sev = {"redis": Severity.CRITICAL}
    got = fold([f(f"internet-ingress[{s}]", a, sev.get(s, Severity.HIGH)) for s in svcs])
    assert [g.check for g in got] == ["internet-ingress[redis,+4]"]


def test_what_must_stay_apart_stays_apart() -> None:
    a, b = asset("nsg-a"), asset("nsg-b")  # two firewalls whose rules share a name
    items = [
        f("internet-ingress[ssh]", a, Severity.HIGH),
        f("internet-ingress[ssh]", b, Severity.HIGH),  # another enforcement point
        f("internet-ingress[rdp]", a, Severity.HIGH, ("Other",)),  # another rule
        f("allow-all", a, Severity.HIGH),  # another check family
        Finding("unlogged", Severity.MEDIUM, a, "a"),  # no rule: about the rule set
        Finding("unlogged", Severity.MEDIUM, a, "b"),
    ]
    assert fold(items) == items
