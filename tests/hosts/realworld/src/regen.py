"""Regenerate the corpus files that the real tools print, from the hand-written configs here.

    python tests/hosts/realworld/src/regen.py

Each config is loaded into a throwaway network namespace (``unshare -rn``, no privileges) and
the real tool prints the snapshot: ``iptables-save`` / ``ip6tables-save`` (nf_tables or legacy
backend), ``nft -j list ruleset``, ``ip -j addr`` / ``ip -j route``. Nothing leaves the
namespace. The only edit made to real output: veth peers that stand in for physical NICs are
dropped from ``ip -j addr`` (with their ``link`` back-references and the ``tentative`` flag of
addresses still in duplicate address detection), so a NIC looks like a NIC.

Not run by the tests (the committed files are the corpus); the tests run the validators.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parent
ROOT = SRC.parent

# (source config, loader, printer, output path under realworld/)
IPTABLES: list[tuple[str, str, str, str]] = [
    ("iptables/el7-app.rules", "iptables-restore", "iptables-save", "el7-app.iptables-save.txt"),
    ("iptables/k8s-kubeproxy-01.rules", "iptables-restore", "iptables-save",
     "k8s-kubeproxy-01.iptables-save.txt"),
    ("iptables/k8s-calico-02.rules", "iptables-restore", "iptables-save",
     "k8s-calico-02.iptables-save.txt"),
    ("iptables/k8s-flannel-03.rules", "iptables-restore", "iptables-save",
     "k8s-flannel-03.iptables-save.txt"),
    ("iptables/deb12-web.v4.rules", "iptables-restore", "iptables-save",
     "deb12-web-01/iptables-save.txt"),
    ("iptables/deb12-web.v6.rules", "ip6tables-restore", "ip6tables-save",
     "deb12-web-01/ip6tables-save.txt"),
    ("iptables/docker-legacy-01.rules", "iptables-legacy-restore", "iptables-legacy-save",
     "docker-legacy-01/iptables-save.txt"),
    ("iptables/docker-nft-02.rules", "iptables-restore", "iptables-save",
     "docker-nft-02/iptables-save.txt"),
    ("iptables/wg-gw-01.rules", "iptables-restore", "iptables-save", "wg-gw-01/iptables-save.txt"),
]  # fmt: skip
NFT: list[tuple[str, str]] = [
    ("nft/deb12-min.nft", "deb12-min.nft.json"),
    ("nft/arch-ws.nft", "arch-ws.nft.json"),
    ("nft/alpine-01.nft", "alpine-01.nft.json"),
    ("nft/wg-gw-02.nft", "wg-gw-02.nft.json"),
]
# iptables-nft rules printed by nft: what `nft -j list ruleset` shows on a Docker host
NFT_FROM_IPTABLES: list[tuple[str, str]] = [
    ("iptables/docker-nft-02.rules", "docker-nftjson-03.nft.json"),
]
NET: list[tuple[str, str]] = [
    ("net/docker-legacy-01.sh", "docker-legacy-01"),
    ("net/docker-nft-02.sh", "docker-nft-02"),
    ("net/wg-gw-01.sh", "wg-gw-01"),
]


def netns(script: str) -> str:
    """Run ``script`` (sh) in a fresh user + network namespace and return its stdout."""
    res = subprocess.run(
        ["unshare", "-rn", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if res.returncode != 0:
        raise SystemExit(f"failed ({res.returncode}): {script}\n{res.stderr}")
    return res.stdout


def nic_like(addrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for link in addrs:
        if str(link.get("ifname", "")).startswith("peer"):
            continue
        link = {k: v for k, v in link.items() if k != "link"}
        link["addr_info"] = [
            {k: v for k, v in a.items() if k != "tentative"} for a in link.get("addr_info", [])
        ]
        out.append(link)
    return out


def main() -> int:
    for tool in ("unshare", "iptables-restore", "nft", "ip"):
        if shutil.which(tool) is None:
            print(f"regen: {tool} is not on PATH", file=sys.stderr)
            return 2
    for src, load, save, out in IPTABLES:
        text = netns(f"{load} {SRC / src}; {save}")
        (ROOT / out).write_text(text, encoding="utf-8")
        print("wrote", out)
    for src, out in NFT:
        text = netns(f"nft -f {SRC / src}; nft -j list ruleset")
        (ROOT / out).write_text(text, encoding="utf-8")
        print("wrote", out)
    for src, out in NFT_FROM_IPTABLES:
        text = netns(f"iptables-restore {SRC / src}; nft -j list ruleset")
        (ROOT / out).write_text(text, encoding="utf-8")
        print("wrote", out)
    for src, host in NET:
        script = (SRC / src).read_text(encoding="utf-8")
        addrs = json.loads(netns(f"{script}\nip -j addr show"))
        routes = netns(f"{script}\nip -j route show")
        (ROOT / host / "ip-addr.json").write_text(json.dumps(nic_like(addrs)) + "\n")
        (ROOT / host / "ip-route.json").write_text(routes)
        print("wrote", host, "ip-addr.json ip-route.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
