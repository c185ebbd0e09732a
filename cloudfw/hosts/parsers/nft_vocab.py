"""The vocabulary of ``nft -j`` that `nft_expr` reads: statements, ICMP/ICMPv6 type and code
names, payload fields. Names and numbers as nft 1.0.6 has them (``nft describe icmpv6 type``,
``nft describe tcp dport``; statements as ``nft -j -c`` accepts them)."""

from __future__ import annotations

from cloudfw.model import parse_protocol

#: statements of nft 1.0.6's JSON parser, plus ``last`` and ``map`` of later releases
VERDICTS = {"accept": "ACCEPT", "drop": "DROP", "reject": "REJECT", "return": "RETURN",
            "queue": "QUEUE"}  # fmt: skip
NEUTRAL = {"counter", "log", "mangle", "notrack", "set", "map", "dup", "fwd", "snat", "dnat",
           "masquerade", "redirect", "tproxy", "synproxy", "secmark", "reset", "flow", "last",
           "ct helper", "ct timeout", "ct expectation", "continue"}  # fmt: skip
NARROWING = {"limit", "quota", "meter", "ct count"}
STATEMENTS = {*VERDICTS, *NEUTRAL, *NARROWING, "jump", "goto", "match", "vmap", "xt"}

ICMP = {"echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5,
        "echo-request": 8, "router-advertisement": 9, "router-solicitation": 10,
        "time-exceeded": 11, "parameter-problem": 12, "timestamp-request": 13,
        "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
        "address-mask-request": 17, "address-mask-reply": 18}  # fmt: skip
ICMPV6 = {"destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3,
          "parameter-problem": 4, "echo-request": 128, "echo-reply": 129,
          "mld-listener-query": 130, "mld-listener-report": 131, "mld-listener-done": 132,
          "mld-listener-reduction": 132, "nd-router-solicit": 133, "nd-router-advert": 134,
          "nd-neighbor-solicit": 135, "nd-neighbor-advert": 136, "nd-redirect": 137,
          "router-renumbering": 138, "ind-neighbor-solicit": 141, "ind-neighbor-advert": 142,
          "mld2-listener-report": 143}  # fmt: skip
ICMP_CODE = {"net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2,
             "port-unreachable": 3, "frag-needed": 4, "net-prohibited": 9,
             "host-prohibited": 10, "admin-prohibited": 13}  # fmt: skip
ICMPV6_CODE = {"no-route": 0, "admin-prohibited": 1, "addr-unreachable": 3,
               "port-unreachable": 4, "policy-fail": 5, "reject-route": 6}  # fmt: skip
#: payload fields nft knows (``nft describe PROTO FIELD``) for the protocols read here
FIELDS = {
    "ip": {"saddr", "daddr", "id", "version", "hdrlength", "dscp", "ecn", "length", "frag-off",
           "ttl", "protocol", "checksum"},
    "ip6": {"saddr", "daddr", "version", "dscp", "ecn", "length", "flowlabel", "nexthdr",
            "hoplimit"},
    "tcp": {"sport", "dport", "sequence", "ackseq", "doff", "reserved", "flags", "window",
            "checksum", "urgptr"},
    "udp": {"sport", "dport", "length", "checksum"},
    "udplite": {"sport", "dport", "csumcov", "checksum"},
    "sctp": {"sport", "dport", "vtag", "checksum"},
    "dccp": {"sport", "dport", "type"},
    "th": {"sport", "dport"},
    "icmp": {"type", "code", "checksum", "id", "sequence", "gateway", "mtu"},
    "icmpv6": {"type", "code", "checksum", "id", "sequence", "mtu", "max-delay",
               "parameter-problem", "packet-too-big", "taddr", "daddr"},
}  # fmt: skip
TRANSPORT = parse_protocol("tcp") | parse_protocol("udp") | parse_protocol("udplite")
TRANSPORT = TRANSPORT | parse_protocol("sctp") | parse_protocol("dccp")
STATE_MATCHES = {"conntrack", "state"}  # xt matches that test the connection state
