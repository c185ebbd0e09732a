"""Benchmark `cloudfw host detect` on generic JSON Lines process events.

    .venv/bin/python benchmarks/telemetry_bench.py [--events 1000000] [--rate 0.001]

Writes N process events (``rate`` of them firewall commands) to a temporary file, then runs the
reader + detector in a child process per size (N/10 and N) and reports events/second and the
child's peak RSS; equal peaks at both sizes show that memory stays flat. For scale it also times
``grep -ciE`` over the same file with the tool names (a filter only, no parsing: an upper bound).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENIGN = [
    ("linux", "ls -la /var/log"),
    ("linux", "/usr/bin/python3 /opt/app/worker.py --queue default --concurrency 4"),
    ("linux", "git -C /srv/repo status --porcelain"),
    ("linux", "curl -fsS https://api.internal.example/health"),
    ("linux", "sshd: alice [priv]"),
    ("linux", "/usr/sbin/cron -f -P"),
    ("linux", "grep -r ERROR /var/log/app/current.log"),
    ("linux", "bash -c 'tar czf /backup/db.tgz /var/lib/postgresql/16/main'"),
    ("linux", "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main"),
    ("linux", "systemctl status nginx"),
    ("macos", "/usr/libexec/xpcproxy com.apple.mdworker.shared"),
    ("macos", "/bin/zsh -l"),
    ("macos", "/Applications/Slack.app/Contents/MacOS/Slack --type=renderer"),
    ("macos", "sudo softwareupdate -l"),
    ("windows", "C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule"),
    ("windows", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=gpu'),
    ("windows", "C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"),
    ("windows", "C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p"),
    ("windows", "powershell.exe -NoProfile -File C:\\scripts\\inventory.ps1"),
]
FIREWALL = [
    ("linux", "sudo iptables -F"),
    ("linux", "ufw disable"),
    ("linux", "nft flush ruleset"),
    ("linux", "firewall-cmd --set-default-zone=trusted"),
    ("macos", "sudo pfctl -d"),
    ("macos", "/usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate off"),
    ("windows", "netsh advfirewall set allprofiles state off"),
    ("windows", 'powershell -Command "Set-NetFirewallProfile -All -Enabled False"'),
]
GREP_WORDS = "iptables|ufw|nft|firewall|pfctl|socketfilterfw|netsh|netfirewall"

CHILD = """
import sys, time
from pathlib import Path
from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.events import Malformed
from cloudfw.telemetry.readers import read_file
det = Detector()
n = bad = found = 0
t0 = time.perf_counter()
c0 = time.process_time()
for item in read_file(Path(sys.argv[1]), "jsonl"):
    if isinstance(item, Malformed):
        bad += 1
        continue
    n += 1
    found += len(det.feed(item))
found += len(det.finish())
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
import resource
print(n, bad, found, dt, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(path: Path, n: int, rate: float, seed: int = 1) -> int:
    rng = random.Random(seed)
    hits = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if rng.random() < rate:
                plat, cmd = rng.choice(FIREWALL)
                hits += 1
            else:
                plat, cmd = rng.choice(BENIGN)
            ev = {"time": 1763632800 + i / 1000, "host": f"host-{i % 500}", "platform": plat,
                  "pid": 1000 + i % 30000, "ppid": 1, "user": "svc", "cmdline": cmd}  # fmt: skip
            fh.write(json.dumps(ev, separators=(",", ":")) + "\n")
    return hits


def run_child(path: Path) -> tuple[int, int, int, float, float, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True,
                         text=True).stdout.split()  # fmt: skip
    return int(out[0]), int(out[1]), int(out[2]), float(out[3]), float(out[4]), int(out[5])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rate", type=float, default=0.001)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for n in (args.events // 10, args.events):
            path = Path(tmp) / f"events-{n}.jsonl"
            hits = generate(path, n, args.rate)
            events, bad, found, secs, cpu, rss_kb = run_child(path)
            assert events == n and bad == 0 and found == hits, (events, found, hits)
            rows.append((n, hits, secs, cpu, rss_kb / 1024))
            size_mb = path.stat().st_size / 1e6
        for n, hits, secs, cpu, rss in rows:
            print(f"cloudfw host detect: {n:>9,} events ({hits} firewall commands):"
                  f" wall {secs:6.2f}s = {n / secs:>8,.0f} events/s;"
                  f" CPU {cpu:6.2f}s = {n / cpu:>8,.0f} events/s per core;"
                  f" peak RSS {rss:5.1f} MiB")  # fmt: skip
        grep = shutil.which("grep")
        if grep:
            t0 = time.perf_counter()
            subprocess.run([grep, "-ciE", GREP_WORDS, str(path)], capture_output=True, check=False)
            g = time.perf_counter() - t0
            print(f"grep -ciE (filter only, {size_mb:.0f} MB): {g:.2f}s;"
                  f" cloudfw/grep time ratio {rows[-1][2] / g:.1f}x")  # fmt: skip
            print(f"RESULT: name=telemetry_detect_vs_grep value={rows[-1][2]:.2f} floor={g:.2f} "
                  f"ratio={rows[-1][2] / g:.3f}")  # fmt: skip
        print(f"machine: {resource.getpagesize()}-byte pages, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
