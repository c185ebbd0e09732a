"""ALF property lists with values of the wrong type are located errors, never a traceback (found by
the robustness test's random examples: a globalstate of '1.6')."""

from __future__ import annotations

import plistlib

import pytest

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.alf import parse_plist


@pytest.mark.parametrize("value", ["1.6", 1.5, "on"])
def test_a_non_integer_state_names_its_key(value: object) -> None:
    data = plistlib.dumps({"globalstate": 1, "stealthenabled": value})
    with pytest.raises(HostParseError, match="'stealthenabled': expected an integer"):
        parse_plist(data, "alf.plist", "mac-1")


def test_integers_booleans_and_digit_strings_are_read() -> None:
    data = plistlib.dumps({"globalstate": "2", "stealthenabled": True, "loggingenabled": 0})
    (part,) = parse_plist(data, "alf.plist", "mac-1")
    assert part.facts["alf.globalstate"] == "2"
    assert part.facts["alf.stealth"] == "on"
    assert part.facts["alf.logging"] == "off"
