"""Splitting and unwrapping command lines like the shell / Windows would."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from cloudfw.telemetry.cmdline import (
    commands,
    decode_encoded_command,
    split_cmd_operators,
    split_posix,
    split_powershell,
    split_windows,
    tool_name,
)


def test_windows_argv_rules() -> None:
    # the documented CommandLineToArgvW examples
    assert split_windows('"abc" d e') == ["abc", "d", "e"]
    assert split_windows(r'p a\\\b d"e f"g h') == ["p", r"a\\\b", "de fg", "h"]
    assert split_windows(r"p a\\\"b c d") == ["p", r"a\"b", "c", "d"]
    assert split_windows(r'p a\\\\"b c" d e') == ["p", r"a\\b c", "d", "e"]
    assert split_windows(r'"C:\Program Files\x.exe" /v "a b"') == [
        r"C:\Program Files\x.exe",
        "/v",
        "a b",
    ]
    assert split_windows("") == []


def test_posix_split_and_operators() -> None:
    assert split_posix("a 'b c' && d | e; f > /dev/null 2>&1") == [
        ["a", "b c"],
        ["d"],
        ["e"],
        ["f"],
    ]
    assert split_posix("echo 'unbalanced") == [["echo", "'unbalanced"]]


def test_cmd_operators_and_escapes() -> None:
    assert split_cmd_operators('a "x & y" & b && c | d ^& e') == ['a "x & y"', "b", "c", "d & e"]


def test_powershell_tokens() -> None:
    stmts = split_powershell('Get-X | Set-Y -Name \'a b\' -V:$false; & "C:\\n.exe" x `"q`"')
    assert stmts == [["Get-X"], ["Set-Y", "-Name", "a b", "-V:$false"], ["C:\\n.exe", "x", '"q"']]


def test_encoded_command() -> None:
    enc = base64.b64encode("netsh advfirewall show allprofiles".encode("utf-16-le")).decode()
    assert decode_encoded_command(enc) == "netsh advfirewall show allprofiles"
    assert decode_encoded_command("%%%") is None
    [cmd] = commands(f"powershell -ec {enc}", platform="windows")
    assert cmd.tool == "netsh" and cmd.via == ("powershell -enc",)


def test_wrappers_recorded() -> None:
    [cmd] = commands("sudo -u root env -i FOO=1 nice -n 5 timeout 3 bash -c 'exec /sbin/pfctl -d'")
    assert cmd.argv == ("/sbin/pfctl", "-d")
    assert cmd.via == ("sudo", "env", "nice", "timeout", "bash -c", "exec")
    [cmd] = commands("doas -u root su -c 'nohup ufw disable' root")
    assert cmd.tool == "ufw" and cmd.via == ("doas", "su -c", "nohup")
    [cmd] = commands("env -S 'iptables -F'")
    assert cmd.argv == ("iptables", "-F")


def test_tool_names() -> None:
    assert tool_name("C:\\Windows\\System32\\NETSH.EXE") == "netsh"
    assert tool_name("/usr/sbin/iptables-legacy") == "iptables-legacy"
    assert tool_name('"C:\\Program Files\\PowerShell\\7\\pwsh.exe"') == "pwsh"


def test_depth_is_bounded() -> None:
    line = "sh -c " + "'sh -c " * 20 + "iptables -F"
    assert len(commands(line)) <= 1


@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    for platform in ("linux", "windows", "macos"):
        for cmd in commands(text, platform=platform):
            assert isinstance(cmd.tool, str)
