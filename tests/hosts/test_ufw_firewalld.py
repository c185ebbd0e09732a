"""ufw and firewalld as their tools print them (issue 13): ufw application profiles in verbose,
plain and numbered status, overflowing cells, attributes; firewalld's EL7 layout, zone targets
bound to the zone's interfaces, protocols and source ports."""

from __future__ import annotations

from cloudfw.hosts.parsers import detect, parse_file
from cloudfw.hosts.parsers.ufw_apps import lookup, profiles
from cloudfw.model import AddressSet, Direction, Logging, RuleSet

V4, V6 = AddressSet.parse("8.8.8.8"), AddressSet.parse("2001:4860::8888")
LAN = AddressSet.parse("192.168.10.7")
TCP, UDP = 6, 17
VERBOSE = (
    "Status: active\nLogging: on (low)\n"
    "Default: deny (incoming), allow (outgoing), disabled (routed)\nNew profiles: skip\n\n"
    "To                         Action      From\n--                         ------      ----\n"
)
PLAIN = "Status: active\n\nTo                         Action      From\n" + (
    "--                         ------      ----\n"
)


def ruleset(text: str, kind: str = "ufw") -> RuleSet:
    parts = parse_file(text.encode(), "s.txt", "h")
    return next(rs for p in parts for rs in p.rulesets if rs.asset.resource_type == kind)


def opens(rs: RuleSet, proto: int, port: int, peer: AddressSet = V4) -> bool:
    return rs.allowed(Direction.INGRESS).allows(proto, port, peer)


def test_stock_profiles_parse_with_the_packages_ports() -> None:
    assert len(profiles()) > 40
    samba = lookup("Samba")
    assert samba is not None and len(samba) == 2  # 137,138/udp | 139,445/tcp
    bind = lookup("Bind9")
    assert bind is not None and TCP in bind[0][1] and UDP in bind[0][1]
    assert lookup("apache full") is not None and lookup("Nginx QUIC") is None


def test_verbose_rows_carry_ports_and_the_application() -> None:
    rs = ruleset(
        VERBOSE + "22/tcp (OpenSSH)           ALLOW IN    Anywhere\n"
        "5900/tcp                   ALLOW IN    Anywhere\n"
        "80,443/tcp (Nginx Full (v6)) ALLOW IN    Anywhere (v6)\n"
        "22/tcp (OpenSSH (v6))      ALLOW IN    Anywhere (v6)\n"
    )
    assert opens(rs, TCP, 22) and opens(rs, TCP, 5900) and not opens(rs, TCP, 23)
    assert opens(rs, TCP, 443, V6) and not opens(rs, TCP, 443, V4)  # (v6) inside the parenthesis
    assert not any(r.unresolved for r in rs.rules)
    assert "application Nginx Full" in rs.rules[2].description


def test_plain_rows_name_the_application_only() -> None:
    parts = parse_file(
        (
            PLAIN + "OpenSSH                    ALLOW       Anywhere\n"
            "Samba                      ALLOW       192.168.10.0/24\n"
            "Apache Full (v6)           ALLOW       Anywhere (v6)\n"
        ).encode(),
        "s.txt",
        "h",
    )
    rs = parts[0].rulesets[0]
    assert opens(rs, TCP, 22) and opens(rs, UDP, 137, LAN) and opens(rs, TCP, 445, LAN)
    assert not opens(rs, TCP, 137, LAN) and not opens(rs, UDP, 445, LAN)  # per protocol
    assert (
        opens(rs, TCP, 80, V6)
        and not opens(rs, TCP, 80, LAN)
        and not any(r.unresolved for r in rs.rules)
    )
    assert "default policies" in parts[0].warnings[0]
    mine = ruleset(PLAIN + "MyApp                      ALLOW       Anywhere\n")
    assert "not a stock profile" in mine.rules[0].unresolved and opens(mine, TCP, 1234)


def test_numbered_rows_attributes_and_protocol_cells() -> None:
    rs = ruleset(
        "Status: active\n\n     To                         Action      From\n"
        "     --                         ------      ----\n"
        "[ 1] 22/tcp                     ALLOW IN    Anywhere                   (log)\n"
        "[ 2] 25/tcp                     ALLOW OUT   Anywhere                   (out)\n"
        "[ 3] Anywhere                   ALLOW IN    10.0.0.0/8/tcp\n"
        "[ 4] Anywhere/udp               ALLOW IN    Anywhere/udp\n"
        "[ 5] 6000:6007/tcp              DENY IN     Anywhere                   # X11\n"
        "[10] OpenSSH (v6)               ALLOW IN    Anywhere (v6)\n"
    )
    assert rs.rules[0].logging is Logging.ON and rs.rules[1].direction is Direction.EGRESS
    assert opens(rs, TCP, 8080, AddressSet.parse("10.1.2.3")) and rs.rules[2].protocols == (
        rs.rules[0].protocols
    )  # '10.0.0.0/8/tcp': the protocol rides on the source cell
    assert opens(rs, UDP, 9999) and not opens(rs, TCP, 9999) and opens(rs, TCP, 22, V6)
    assert not opens(rs, TCP, 6003) and "X11" in rs.rules[4].description


# firewall-cmd prints "key: " with a trailing space for an empty field (restored by _fc)
EL7 = """public (default, active)
  interfaces: eth0
  sources:
  services: dhcpv6-client ssh
  ports: 3306/tcp
  masquerade: no
  forward-ports:
  icmp-blocks:
  rich rules:

trusted
  interfaces:
  sources: 10.8.0.0/24
  services:
  ports:
  masquerade: no
  forward-ports:
  icmp-blocks:
  rich rules:
"""


def _fc(text: str) -> str:
    return text.replace(":\n", ": \n")


def test_el7_layout_is_detected_with_stock_targets() -> None:
    fmt = detect(_fc(EL7))
    assert fmt is not None and fmt.name == "firewalld"
    pub, trusted = ruleset(_fc(EL7), "firewalld:public"), ruleset(_fc(EL7), "firewalld:trusted")
    assert opens(pub, TCP, 22) and opens(pub, TCP, 3306) and not opens(pub, TCP, 80)
    assert dict(trusted.asset.tags)["target"] == "ACCEPT"  # trusted's stock target
    assert opens(trusted, TCP, 80, AddressSet.parse("10.8.0.9")) and not opens(trusted, TCP, 80)


ZONES = """docker (active)
  target: ACCEPT
  icmp-block-inversion: no
  interfaces: br-5b1c0d6e7f80 docker0
  sources:
  services:
  ports:
  protocols:
  forward: yes
  masquerade: no
  forward-ports:
  source-ports:
  icmp-blocks:
  rich rules:

public (default, active)
  target: default
  icmp-block-inversion: no
  interfaces: eth0
  sources:
  services: ssh
  ports:
  protocols: icmp gre
  forward: yes
  masquerade: no
  forward-ports:
  source-ports: 53/udp
  icmp-blocks:
  rich rules:
"""


def test_zone_target_accept_is_bound_to_the_zone() -> None:
    docker = ruleset(_fc(ZONES), "firewalld:docker")
    assert not docker.default_ingress.permits
    accept = docker.rules[-1]
    assert accept.key == "target:ACCEPT" and accept.builtin
    assert accept.in_iface is not None and set(accept.in_iface.names()) == {
        "br-5b1c0d6e7f80",
        "docker0",
    }
    pub = ruleset(_fc(ZONES), "firewalld:public")
    assert opens(pub, 47, 0) and opens(pub, 1, 8 << 8)  # protocols: gre, icmp
    sport = next(r for r in pub.rules if r.key == "source-port:53/udp")
    assert "not modeled" in sport.unresolved and opens(pub, UDP, 9999)
