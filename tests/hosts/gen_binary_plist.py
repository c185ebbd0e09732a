"""Regenerate the binary ``com.apple.alf.plist`` fixture from the XML one (block-all, stealth on).

python tests/hosts/gen_binary_plist.py
"""

from __future__ import annotations

import plistlib
from pathlib import Path

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"


def main() -> None:
    doc = plistlib.loads((FIX / "mac-laptop-01" / "com.apple.alf.plist").read_bytes())
    doc["globalstate"] = 2
    doc["stealthenabled"] = 1
    out = FIX / "loose" / "mac-bin-05.com.apple.alf.plist"
    out.write_bytes(plistlib.dumps(doc, fmt=plistlib.FMT_BINARY))


if __name__ == "__main__":
    main()
