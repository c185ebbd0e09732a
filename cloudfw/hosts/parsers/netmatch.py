"""Small vocabularies shared by the Linux and BSD parsers: service names and ICMP types."""

from __future__ import annotations

from cloudfw.model import Intervals, icmp_space, parse_ports

SERVICES: dict[str, int] = {
    "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53,
    "bootps": 67, "bootpc": 68, "tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110,
    "sunrpc": 111, "ntp": 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139,
    "imap": 143, "snmp": 161, "snmp-trap": 162, "ldap": 389, "https": 443, "microsoft-ds": 445,
    "smb": 445, "isakmp": 500, "syslog": 514, "submission": 587, "ldaps": 636, "imaps": 993,
    "pop3s": 995, "ms-sql-s": 1433, "openvpn": 1194, "nfs": 2049, "mysql": 3306,
    "ms-wbt-server": 3389, "rdp": 3389, "postgresql": 5432, "vnc": 5900, "x11": 6000,
    "redis": 6379, "http-alt": 8080, "mongodb": 27017, "kube-apiserver": 6443,
    "ipp": 631, "mdns": 5353, "afpovertcp": 548, "kerberos-adm": 749, "rsync": 873,
    "epmap": 135, "msrpc": 135, "winrm": 5985, "elasticsearch": 9200, "memcache": 11211,
}  # fmt: skip

ICMP_TYPES: dict[str, tuple[int, int | None]] = {
    "any": (-1, None), "echo-reply": (0, None), "pong": (0, None),
    "destination-unreachable": (3, None), "source-quench": (4, None), "redirect": (5, None),
    "echo-request": (8, None), "ping": (8, None), "router-advertisement": (9, None),
    "router-solicitation": (10, None), "time-exceeded": (11, None), "ttl-exceeded": (11, None),
    "parameter-problem": (12, None), "timestamp-request": (13, None),
    "timestamp-reply": (14, None), "port-unreachable": (3, 3), "host-unreachable": (3, 1),
    "network-unreachable": (3, 0), "fragmentation-needed": (3, 4), "echoreq": (8, None),
    "echorep": (0, None), "unreach": (3, None), "timex": (11, None), "paramprob": (12, None),
    "packet-too-big": (2, None), "neighbour-solicitation": (135, None),
    "neighbor-solicitation": (135, None), "neighbour-advertisement": (136, None),
    "neighbor-advertisement": (136, None), "nd-neighbor-solicit": (135, None),
    "nd-neighbor-advert": (136, None), "nd-router-solicit": (133, None),
    "nd-router-advert": (134, None), "echo6-request": (128, None), "echo6-reply": (129, None),
}  # fmt: skip


def port_number(token: str) -> int | None:
    t = token.strip().lower()
    if t.isdigit():
        return int(t)
    return SERVICES.get(t)


def ports_from(text: str, range_sep: str = ":") -> Intervals | None:
    """``22``, ``ssh``, ``1000:2000``, ``80,443`` (iptables/nft style) -> intervals, or None
    when a name is unknown."""
    parts: list[str] = []
    for part in text.split(","):
        lo_s, sep, hi_s = part.partition(range_sep)
        lo = port_number(lo_s) if lo_s else 0
        hi = (port_number(hi_s) if hi_s else 65535) if sep else lo
        if lo is None or hi is None:
            return None
        parts.append(f"{lo}-{hi}")
    return parse_ports(",".join(parts))


def icmp_from(text: str, v6: bool = False) -> Intervals | None:
    t = text.strip().lower()
    if t in ICMP_TYPES:
        typ, code = ICMP_TYPES[t]
        if v6 and t in ("echo-request", "ping"):
            typ = 128
        if v6 and t in ("echo-reply", "pong"):
            typ = 129
        return icmp_space(typ, code)
    typ_s, _, code_s = t.partition("/")
    if typ_s.isdigit() and (not code_s or code_s.isdigit()):
        return icmp_space(int(typ_s), int(code_s) if code_s else None)
    return None
