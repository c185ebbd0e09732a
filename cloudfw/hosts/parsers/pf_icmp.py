"""pf's ICMP and ICMPv6 type and code names (pf.conf(5) ICMP TYPES / ICMP CODES).

pf names differ by family: ``unreach`` is ICMP type 3 but ICMPv6 type 1, ``echoreq`` 8 and 128.
``icmp-type`` takes the ICMP names, ``icmp6-type`` the ICMPv6 ones; a name pf does not know is
an error, as ``pfctl -nf`` reports it (``unknown icmp-type echorequest``).
"""

from __future__ import annotations

from cloudfw.hosts.parsers.pf_lex import Stream, is_number
from cloudfw.model import Intervals, icmp_space

ICMP4_TYPES: dict[str, int] = {
    "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6, "echoreq": 8,
    "routeradv": 9, "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13,
    "timerep": 14, "inforeq": 15, "inforep": 16, "maskreq": 17, "maskrep": 18, "trace": 30,
    "dataconv": 31, "mobredir": 32, "ipv6-where": 33, "ipv6-here": 34, "mobregreq": 35,
    "mobregrep": 36, "skip": 39, "photuris": 40,
}  # fmt: skip
ICMP6_TYPES: dict[str, int] = {
    "unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128, "echorep": 129,
    "groupqry": 130, "listqry": 130, "grouprep": 131, "listenrep": 131, "groupterm": 132,
    "listendone": 132, "routersol": 133, "routeradv": 134, "neighbrsol": 135,
    "neighbradv": 136, "redir": 137, "routrrenum": 138, "wrureq": 139, "fqdnreq": 139,
    "niqry": 139, "wrurep": 140, "fqdnrep": 140, "nirep": 140, "listenrepv2": 143,
    "mtraceresp": 200, "mtrace": 201,
}  # fmt: skip
# (type, code name) -> code
ICMP4_CODES: dict[tuple[int, str], int] = {
    (3, "net-unr"): 0, (3, "host-unr"): 1, (3, "proto-unr"): 2, (3, "port-unr"): 3,
    (3, "needfrag"): 4, (3, "srcfail"): 5, (3, "net-unk"): 6, (3, "host-unk"): 7,
    (3, "isolate"): 8, (3, "net-prohib"): 9, (3, "host-prohib"): 10, (3, "net-tos"): 11,
    (3, "host-tos"): 12, (3, "filter-prohib"): 13, (3, "host-preced"): 14,
    (3, "cutoff-preced"): 15, (5, "redir-net"): 0, (5, "redir-host"): 1,
    (5, "redir-tos-net"): 2, (5, "redir-tos-host"): 3, (9, "normal-adv"): 0,
    (9, "common-adv"): 16, (11, "transit"): 0, (11, "reassemb"): 1, (12, "badhead"): 0,
    (12, "optmiss"): 1, (12, "badlen"): 2, (40, "unknown-ind"): 1, (40, "auth-fail"): 2,
    (40, "decrypt-fail"): 3,
}  # fmt: skip
ICMP6_CODES: dict[tuple[int, str], int] = {
    (1, "noroute-unr"): 0, (1, "admin-unr"): 1, (1, "beyond-unr"): 2, (1, "addr-unr"): 3,
    (1, "port-unr"): 4, (3, "transit"): 0, (3, "reassemb"): 1, (4, "badhead"): 0,
    (4, "nxthdr"): 1, (137, "redironlink"): 0, (137, "redirrouter"): 1,
}  # fmt: skip


def _type(tok: str, v6: bool, s: Stream) -> int:
    names = ICMP6_TYPES if v6 else ICMP4_TYPES
    if is_number(tok) and int(tok) <= 255:
        return int(tok)
    if tok in names:
        return names[tok]
    raise s.err(f"unknown {'icmp6-type' if v6 else 'icmp-type'} {tok}")


def _code(typ: int, tok: str, v6: bool, s: Stream) -> int:
    codes = ICMP6_CODES if v6 else ICMP4_CODES
    if is_number(tok) and int(tok) <= 255:
        return int(tok)
    if (typ, tok) in codes:
        return codes[(typ, tok)]
    raise s.err(f"unknown {'icmp6' if v6 else 'icmp'}-code {tok}")


def icmp_types(s: Stream, v6: bool) -> Intervals:
    """After ``icmp-type`` / ``icmp6-type``: ``TYPE [code CODE]`` or a ``{ ... }`` list of them,
    as the port dimension of the model (``type << 8 | code``)."""
    items = s.group()
    out = Intervals()
    i = 0
    while i < len(items):
        typ = _type(items[i], v6, s)
        code: int | None = None
        if i + 1 < len(items) and items[i + 1] == "code":
            if i + 2 >= len(items):
                raise s.syntax("code", "icmp code missing")
            code = _code(typ, items[i + 2], v6, s)
            i += 2
        out = out | icmp_space(typ, code)
        i += 1
    if s.peek() == "code":  # a single type: ``icmp-type unreach code port-unr``
        if len(items) != 1:
            raise s.syntax("code", "a code follows one icmp type, not a list")
        s.take()
        typ = _type(items[0], v6, s)
        out = icmp_space(typ, _code(typ, s.take(), v6, s))
    if not items:
        raise s.syntax("}", "empty icmp-type list")
    return out
