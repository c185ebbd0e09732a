"""pf.conf grammar (issue 13): what pfctl -nf accepts, cloudfw reads; what it rejects, cloudfw
refuses with file:line. pfctl has no Debian package, so the verdicts below are pf.conf(5)'s
(OpenBSD, FreeBSD/pfSense/OPNsense and macOS variants), one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import detect, parse_file
from cloudfw.hosts.parsers.netmatch import parse_services, port_number, services
from cloudfw.model import AddressSet, Direction, RuleSet, Severity, icmp_space
from tests.hosts.test_interfaces import audit, checks

TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
NET = AddressSet.parse("8.8.8.8")


def ruleset(text: str) -> RuleSet:
    (part,) = parse_file(text.encode(), "pf.conf", "h", "pf")
    (rs,) = part.rulesets
    return rs


def refusal(text: str) -> str:
    with pytest.raises(HostParseError) as exc:
        parse_file(text.encode(), "pf.conf", "h", "pf")
    return str(exc.value)


def opens(rs: RuleSet, proto: int, port: int, peer: AddressSet = NET) -> bool:
    return rs.allowed(Direction.INGRESS).allows(proto, port, peer)


# Lines pfctl -nf accepts (each after "block all"), from pf.conf(5) and real generated rulesets.
ACCEPTED = [
    "pass in proto tcp to port ssh",
    "pass in proto udp from fe80::/10 port dhcpv6-server to port dhcpv6-client",
    "pass in proto udp to port = domain keep state",
    "pass in proto tcp from any to any port { ssh, smtp, domain, auth } flags S/SA keep state",
    "pass in proto tcp to port 6000:6010",
    "pass in proto tcp to port 1024 >< 2000",
    "pass in proto tcp to port >= 49152",
    "pass in inet proto icmp icmp-type { echoreq, unreach }",
    "pass in inet proto icmp icmp-type 8 code 0",
    "pass in inet proto icmp icmp-type unreach code needfrag",
    "pass in inet6 proto icmp6 icmp6-type { echoreq, unreach, toobig, neighbrsol, routeradv }",
    "pass in inet6 proto ipv6-icmp icmp6-type {1,2,135,136} keep state",
    "pass in on egress inet proto tcp from <t> to (egress) port ssh modulate state",
    "pass in on ! lo0 proto tcp to port 22 synproxy state",
    "pass in log (all, to pflog1) quick on { em0 em1 } proto { tcp udp } to port 53",
    "pass in proto tcp to port 80 keep state (max 100, max-src-conn 10, max-src-conn-rate 15/5, "
    "overload <t> flush global, source-track rule, max-src-nodes 5, tcp.established 600)",
    'pass in proto tcp to port 443 label "USER_RULE: web" ridentifier 1700000101',
    "pass in quick on em0 inet from 10.0.0.0/8 to any tracker 0100000101 keep state",
    "pass in proto tcp to port 25 tag SPAMD rtable 1 queue (q1, q2) set prio (1, 5)",
    "pass in proto tcp to port 25 set tos lowdelay probability 10% once",
    "pass in proto tcp to port 8080 rdr-to 127.0.0.1 port 80",
    "match out on egress inet from !(egress:network) to any nat-to (egress:0) round-robin",
    "match in all scrub (no-df random-id max-mss 1440)",
    "pass in on em0 from any to 192.0.2.17 binat-to 10.1.2.120",
    "pass in inet6 from any to 64:ff9b::/96 af-to inet from (egress:0)",
    "pass out route-to (em1 192.0.2.1) inet from 192.0.2.6 to ! 192.0.2.0/27",
    "pass in quick on vtnet0 reply-to (vtnet0 203.0.113.1) inet proto tcp to port 51413",
    "pass in proto tcp to port 8025 divert-to 127.0.0.1 port 8025",
    "pass in proto tcp to port 80 divert-packet port 700",
    "pass in proto tcp to port 22 user { root, >= 1000 } group wheel",
    'pass in proto tcp from any os { "Windows 95", "Windows 98" } to port 25',
    "pass in proto tcp tagged INTNET received-on em1 max-pkt-rate 100/10",
    "pass in on rdomain 1 proto tcp to port 22 prio 3",
    "pass in proto tcp to port 22 allow-opts fragment no-df min-ttl 5 dnpipe 1 dnqueue (1, 2)",
    "block return in on ! lo0 proto tcp to port 6000:6010",
    "block return-icmp (port-unr) in proto udp to port 161",
    "block drop in log quick inet from 169.254.0.0/16 to any",
    "block in from no-route to any",
    "block in from urpf-failed to any",
    "block out log proto {tcp udp} user _pbuild",
    "block in quick from { 10.0.0.1 - 10.0.0.9, ! 10.0.0.5 }",
    "scrub in on em0 all fragment reassemble",
    "scrub on vtnet0 inet all fragment reassemble",
    "no scrub from any to 192.0.2.1",
    "nat on em0 inet from 10.0.0.0/8 to any -> (em0) static-port",
    "no nat on em0 proto ah from 10.0.0.0/8 to any",
    "rdr on em0 proto tcp from any to any port 80 -> 127.0.0.1 port 8080",
    "rdr pass on lo0 proto tcp from any to any port 21 -> 127.0.0.1 port 8021",
    "binat on em0 from 10.1.2.150 to any -> 192.0.2.150",
    'scrub-anchor "com.apple/*" all fragment reassemble',
    'nat-anchor "com.apple/*"',
    'rdr-anchor "com.apple/*"',
    'dummynet-anchor "com.apple/*"',
    'anchor "relayd/*"',
    'anchor "spam" in on em0 proto tcp to port smtp',
    'load anchor "com.apple" from "/etc/pf.anchors/com.apple"',
    'include "/etc/pf/sub.filter.conf"',
    "antispoof quick for { egress em1 } inet",
    'antispoof log for em0 label "spoof" ridentifier 7',
    "table <martians> const counters { 0.0.0.0/8 10.0.0.0/8 !10.1.0.0/16 }",
    'table <bogons> persist file "/etc/bogons"',
    "table <virusprot>",
    "set block-policy drop",
    "set loginterface egress",
    "set skip on { lo0 pfsync0 }",
    "set limit { states 10000, src-nodes 500 }",
    "set limit table-entries 1000000",
    "set timeout { adaptive.start 0, adaptive.end 0 }",
    "set optimization normal",
    "set ruleset-optimization basic",
    "set state-policy if-bound",
    "set reassemble yes no-df",
    "set syncookies adaptive (start 25%, end 12%)",
    "set debug urgent",
    "set keepcounters",
    "altq on em0 cbq bandwidth 10Mb queue { std, ssh }",
    "queue std bandwidth 5Mb cbq(default)",
    "ether pass in on bridge0 from 00:11:22:33:44:55 l3 from 10.0.0.0/8 tag e1",
    "dummynet in quick proto tcp from any to any port 80 pipe 1",
]
# Lines pfctl -nf rejects, with the words it stops at (cloudfw names them too).
REJECTED = [
    ("pass in proto tcp form any to port 22", "near 'form'"),
    ("pass in on vio0 proto udp ot (vio0) port 53", "near 'ot'"),
    ("pass in proto tcp to port sshh", "unknown port sshh"),
    ("pass in proto tcp to port 70000", "illegal port value 70000"),
    ("pass in inet proto icmp icmp-type echorequest", "unknown icmp-type echorequest"),
    ("pass in inet6 proto icmp6 icmp6-type squench", "unknown icmp6-type squench"),
    ("pass in inet proto icmp icmp-type unreach code bogus", "unknown icmp-code bogus"),
    ("pass in proto tcp to port 22 keep stat", "near 'stat'"),
    ("pass in proto tcp to port 22 keep state (max-src-con 5)", "unknown state option"),
    ("pass in proto tcp to port 22 flags XY", "bad tcp flags"),
    ("pass in proto tcpp to port 22", "unknown protocol tcpp"),
    ("pass in inet on em0 all", "near 'on'"),
    ("pass quick in all", "near 'in'"),
    ("pass in proto tcp to port 22 probability 10", "percentage"),
    ("block in from 10.0.0.0/33", "10.0.0.0/33"),
    ("table <t> persit", "unknown table option"),
    ("table t { 10.0.0.1 }", "table needs a <name>"),
    ("set skipp on lo", "unknown set option"),
    ("set block-policy reject", "not a block-policy value"),
    ("set limit states", "ends too early"),
    ("antispoof quick em0", "expected 'for'"),
    ('load anchor "x"', "ends too early"),
    ("scrub in all fragment reassemble tcp", "near 'tcp'"),
    ("rdr on em0 proto tcp to port 80 > 127.0.0.1", "near '>'"),
    ("pas in all", "unknown pf statement 'pas'"),
]


@pytest.mark.parametrize("line", ACCEPTED)
def test_pfctl_accepts(line: str) -> None:
    ruleset(f"table <t> persist\nblock all\n{line}\n")


@pytest.mark.parametrize(("line", "why"), REJECTED, ids=[r[0] for r in REJECTED])
def test_pfctl_rejects_with_the_line(line: str, why: str) -> None:
    msg = refusal(f"set skip on lo\nblock all\n{line}\n")
    assert msg.startswith("pf.conf:3: "), msg
    assert why in msg, msg


def test_service_names_resolve_through_the_shipped_table() -> None:
    rs = ruleset(
        "block all\npass in proto tcp to port ssh\npass in proto udp to port = domain\n"
        "pass in inet6 proto udp from fe80::/10 to port dhcpv6-server\n"
        "pass in proto tcp to port { www https }\n"
    )
    assert opens(rs, TCP, 22) and opens(rs, UDP, 53) and opens(rs, TCP, 80)
    assert opens(rs, TCP, 443) and not opens(rs, TCP, 23)
    assert opens(rs, UDP, 547, AddressSet.parse("fe80::1"))


def test_services_table_is_etc_services_format_with_iana_names() -> None:
    table = services()
    for name, port in {"ssh": 22, "domain": 53, "http": 80, "www": 80, "bootps": 67,
                       "ntp": 123, "https": 443, "dhcpv6-client": 546, "dhcpv6-server": 547,
                       "ms-sql-s": 1433, "mysql": 3306, "ms-wbt-server": 3389,
                       "postgresql": 5432, "rfb": 5900, "wsman": 5985}.items():  # fmt: skip
        assert table[name] == port, name
    assert port_number("auth") == 113  # alias of ident
    assert port_number("rdp") is None  # a catalog name, not an IANA service name
    # tcp wins over udp, aliases count, comments and blank lines are ignored
    got = parse_services("# c\n\nfoo 10/udp\nfoo 11/tcp bar # x\nbaz 12/ddp\n")
    assert got == {"foo": 11, "bar": 11, "baz": 12}
    text = Path("cloudfw/data/services").read_text(encoding="utf-8")
    assert len(table) > 250 and "\t" not in text


def test_icmp_types_are_per_family_with_codes_and_lists() -> None:
    rs = ruleset(
        "block all\npass in inet proto icmp icmp-type { echoreq, unreach }\n"
        "pass in inet6 proto icmp6 icmp6-type { unreach toobig neighbrsol 136 }\n"
        "pass in inet proto icmp icmp-type timex code transit\n"
    )
    ins = [r for r in rs.rules if r.direction is Direction.INGRESS and r.action.permits]
    v4, v6, timex = (r.ports for r in ins)
    assert v4 == icmp_space(8, None) | icmp_space(3, None)
    assert v6 == icmp_space(1, None) | icmp_space(2, None) | icmp_space(135, None) | icmp_space(
        136, None
    )
    assert timex == icmp_space(11, 0)


def test_stock_macos_pf_conf_is_pf() -> None:
    text = (
        'scrub-anchor "com.apple/*"\nnat-anchor "com.apple/*"\nrdr-anchor "com.apple/*"\n'
        'dummynet-anchor "com.apple/*"\nanchor "com.apple/*"\n'
        'load anchor "com.apple" from "/etc/pf.anchors/com.apple"\n'
    )
    fmt = detect(text)
    assert fmt is not None and fmt.name == "pf"
    rs = ruleset(text)
    assert {r.unresolved for r in rs.rules} == {
        "anchor 'com.apple/*': its rules are not in the snapshot"
    }


def test_verbose_pfctl_output_and_rule_lists() -> None:
    rs = ruleset(
        "@0 block drop in all\n  [ Evaluations: 10  Packets: 0  Bytes: 0  States: 0  ]\n"
        "@1 pass in quick proto tcp from { ! 192.0.2.0/24, 192.0.2.7 } to port 22\n"
    )
    assert opens(rs, TCP, 22)  # the ! item alone matches everything but 192.0.2.0/24
    assert opens(rs, TCP, 22, AddressSet.parse("192.0.2.7"))
    assert not opens(rs, TCP, 22, AddressSet.parse("192.0.2.9"))


def test_families_split_the_peer_not_the_host() -> None:
    """``block inet all`` + ``block inet6 all`` block everything: no (IPv6 peer, IPv4 local)
    remainder passes by pf's default."""
    rs = ruleset("block in inet all\nblock in inet6 all\npass in inet6 proto tcp to port 22\n")
    assert not opens(rs, TCP, 22) and not opens(rs, UDP, 53, AddressSet.parse("2001:4860::8"))
    assert opens(rs, TCP, 22, AddressSet.parse("2001:4860::8"))


def test_rdr_pass_and_include_are_kept() -> None:
    rs = ruleset(
        "block in all\nrdr pass on em0 proto tcp to port 80 -> 10.0.0.5 port 8080\n"
        'include "/etc/pf.local"\n'
    )
    assert opens(rs, TCP, 80)  # rdr pass: the translated packets skip the filter rules
    inc = next(r for r in rs.rules if r.description == 'include "/etc/pf.local"')
    assert inc.unresolved.endswith("its rules are not in the snapshot")


def test_a_pass_on_egress_faces_the_internet(tmp_path: Path) -> None:
    """pf's egress group holds the default route's interfaces: a pass on it is an exposure,
    not an assumption, even without an interface inventory."""
    got = checks(audit(tmp_path, {"pf.conf": (
        "block all\npass out all\npass in on egress proto tcp to port 5900\n"
        "pass in on em1 proto tcp to port 22\n")}))  # fmt: skip
    vnc, ssh = got["internet-ingress[vnc]"], got["internet-ingress[ssh]"]
    assert vnc.severity is Severity.HIGH and "egress group" in vnc.message
    assert ssh.severity is Severity.MEDIUM and "only if em1" in ssh.message


def test_interface_addresses_are_this_hosts_own() -> None:
    """``to (em1)`` is an address of this host: a quick block elsewhere does not hide it."""
    rs = ruleset(
        "block in all\nblock in quick inet from any to 169.254.0.0/16\n"
        "pass in quick on em1 proto tcp from any to (em1) port 22\n"
    )
    assert opens(rs, TCP, 22)
