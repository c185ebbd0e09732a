"""ufw application profiles: what ``ufw status`` means by an application name (``OpenSSH``).

The stock profiles ship in ``cloudfw/data/ufw-applications.d`` in the ``/etc/ufw/applications.d``
INI layout (``[Name]`` sections with ``ports=22/tcp``, ``ports=137,138/udp|139,445/tcp``; a port
set without ``/proto`` is TCP and UDP, ``6881:6891`` a range), read as ufw reads them.
"""

from __future__ import annotations

import configparser
from functools import cache
from importlib import resources

from cloudfw.model import Intervals, PortError, parse_ports, parse_protocol

DIR = "data/ufw-applications.d"
#: one port set of a profile: (ports, protocols)
PortSet = tuple[Intervals, Intervals]
TCP_UDP = parse_protocol("tcp") | parse_protocol("udp")


def port_sets(spec: str) -> list[PortSet]:
    """``ports=`` of a profile -> its port sets (a `PortError` when malformed)."""
    out: list[PortSet] = []
    for part in spec.split("|"):
        ports, _, proto = part.strip().partition("/")
        if not ports:
            raise PortError(f"empty port set in {spec!r}")
        if ":" in ports and not proto:
            raise PortError(f"a port range needs a protocol in ufw: {part!r}")
        protocols = parse_protocol(proto) if proto else TCP_UDP
        out.append((parse_ports(ports.replace(":", "-")), protocols))
    return out


@cache
def profiles() -> dict[str, list[PortSet]]:
    """Stock profiles by lower-cased name."""
    out: dict[str, list[PortSet]] = {}
    for f in sorted(resources.files("cloudfw").joinpath(DIR).iterdir(), key=lambda p: p.name):
        if f.name == "README":
            continue
        ini = configparser.ConfigParser(interpolation=None)
        ini.read_string(f.read_text("utf-8"), source=f.name)
        for name in ini.sections():
            out[name.lower()] = port_sets(ini[name]["ports"])
    return out


def lookup(name: str) -> list[PortSet] | None:
    return profiles().get(name.strip().lower())
