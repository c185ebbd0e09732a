"""Splitting and unwrapping command lines like the shell / Windows would."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from cloudfw.telemetry.cmdline import (
    Words,
    commands,
    decode_encoded_command,
    parse_posix,
    split_cmd_operators,
    split_posix,
    split_powershell,
    split_windows,
    tool_name,
)
from cloudfw.telemetry.winargs import (
    cmd_payload,
    powershell_pipeline,
    split_cmd_redirects,
    start_payload,
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


def test_posix_redirects_and_pipes() -> None:
    assert parse_posix("echo 'a b' >> /etc/x 2>&1 | tee -a /y > /dev/null; : > /z") == [
        Words(["echo", "a b"], ((">>", "/etc/x"),)),
        Words(["tee", "-a", "/y"], ((">", "/dev/null"),), ("echo", "a b")),
        Words([":"], ((">", "/z"),)),
    ]
    assert parse_posix("cat <<EOF > /etc/pf.conf") == [Words(["cat"], ((">", "/etc/pf.conf"),))]


def test_cmd_payload_quotes() -> None:
    assert cmd_payload('cmd.exe /c "netsh advfirewall show allprofiles"') == (
        "netsh advfirewall show allprofiles"
    )
    assert cmd_payload('cmd /S /C ""C:\\a b\\x.exe" y"') == '"C:\\a b\\x.exe" y'
    assert cmd_payload('cmd /c "C:\\Program Files\\x.exe"') == '"C:\\Program Files\\x.exe"'
    assert cmd_payload("cmd /Q/V:ON/K dir") == "dir"
    assert cmd_payload("cmd.exe") is None


def test_start_payload() -> None:
    assert start_payload('start "t" /b /D C:\\x /wait a.exe b') == "a.exe b"
    assert start_payload('start "" "C:\\Program Files\\x.exe" y') == '"C:\\Program Files\\x.exe" y'
    assert start_payload('start "only a title"') is None
    assert start_payload("start /MIN /AFFINITY 0x3 ping host") == "ping host"


def test_cmd_redirects() -> None:
    assert split_cmd_redirects('echo.>>"C:\\a b\\f.log" 2>&1') == (
        "echo.",
        ((">>", "C:\\a b\\f.log"),),
    )
    assert split_cmd_redirects('echo "x > y" 2> nul < in.txt') == ('echo "x > y"', ((">", "nul"),))


def test_powershell_pipes_and_redirects() -> None:
    assert powershell_pipeline("Get-Service x | Stop-Service; 'a' >> C:\\f 2>$null || b") == [
        (["Get-Service", "x"], True),
        (["Stop-Service"], False),
        (["a", ">>", "C:\\f", ">", "$null"], False),
        (["b"], False),
    ]


def test_windows_wrappers_recorded() -> None:
    [cmd] = commands('cmd /c start "" /min cmd /k "netsh advfirewall reset"', platform="windows")
    assert cmd.argv == ("netsh", "advfirewall", "reset")
    assert cmd.via == ("cmd /c", "start", "cmd /c")
    [cmd] = commands("cmd /c echo x >> C:\\f.log", platform="windows")
    assert cmd.redirects == ((">>", "C:\\f.log"),) and cmd.text == "echo x >> C:\\f.log"
    assert commands('cmd /c start "netsh advfirewall reset"', platform="windows") == []


def test_script_interpreters_as_auditd_logs_them() -> None:
    # after the kernel's #! rewrite, auditd's EXECVE argv starts with the interpreter
    [cmd] = commands(argv=["/usr/bin/python3", "-s", "/usr/bin/firewall-cmd", "--state"])
    assert cmd.tool == "firewall-cmd" and cmd.via == ("python3",)
    [cmd] = commands(argv=["/bin/sh", "/etc/init.d/iptables", "stop"])
    assert cmd.argv == ("/etc/init.d/iptables", "stop") and cmd.via == ("sh",)
    [cmd] = commands(argv=["/usr/bin/python3", "-c", "import os"])
    assert cmd.tool == "python3"
    # osquery joins argv with blanks: the -c script's words arrive as separate words
    [cmd] = commands("sh -c iptables -F")
    assert cmd.argv == ("iptables", "-F")
