"""Firewall configuration edited as a file, read off one simple command.

- ``file_writes(cmd)`` lists what a command writes, appends to, edits in place or removes, and what
  it writes there when the line says so: output redirections of any command (``>``, ``>>``, cmd.exe
  and PowerShell too), ``tee [-a]``, ``sed -i``/``perl -i``, ``cp``/``mv``/``install``/``ln`` onto a
  file or directory (``mv`` also removes its sources), ``dd of=``, ``truncate``, ``rm``/``unlink``/
  ``shred``, ``PlistBuddy``/``plutil`` edits, PowerShell ``Set-Content``, ``Add-Content``,
  ``Clear-Content``, ``Out-File``, ``Tee-Object``, ``New-Item``, ``Copy-Item``, ``Move-Item``,
  ``Rename-Item``, ``Remove-Item`` (not with ``-WhatIf``), cmd.exe ``copy``/``move``/``del``.
  Reading (``cat``, ``grep``, ``less``, ``sed`` without ``-i``, ``cp`` *from* the file) writes
  nothing.
- ``firewall_file(path)`` names the firewall configuration a path holds (the ``_*_FILES`` tables). A
  bare name (``rules.v4``, ``user.rules``, ``pf.conf``) is taken as in its firewall's directory:
  the command's working directory is not known. A backup name (``rules.v4.bak``, ``public.xml.old``,
  ``user.rules.20261121_093000``, ``~``, ``.dpkg-old``, ``.rpmsave``...) is no configuration: no
  firewall loads it, so copying a file *away* to it writes nothing that matters.
- ``FILE_RULES`` decide the category from ``" <op> <kind> :: <content> "``, first match wins. The
  content is what the command writes (``cp``/``mv``/``install``/``ln``: ``from <sources>``). An
  in-place edit or an append whose only text turns protection on (``ENABLED=yes``,
  ``DEFAULT_INPUT_POLICY="DROP"``, ``:INPUT DROP``, ``globalstate 1``) is ``hardened``, like the
  verbs that do the same; a whole-file rewrite stays ``modify`` (the other settings go with it).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from cloudfw.telemetry.cmdline import POSIX, POWERSHELL, Command
from cloudfw.telemetry.posixargs import parse_args
from cloudfw.telemetry.rulebase import (
    DISABLE,
    FIREWALL_SERVICES,
    HARDENED,
    MODIFY,
    PS_WHATIF,
    RULE_LOADERS,
    Rule,
    Tool,
    make_rule,
    names_rx,
)

WRITE, APPEND, EDIT, DELETE = "write", "append", "edit", "delete"


class Write(NamedTuple):
    op: str  # write | append | edit | delete
    path: str
    content: str = ""


# -- which firewall a path configures ----------------------------------------------------------

_SYSTEMD = r"/(etc|run|lib|usr/lib)/systemd/system"
_UNIT = names_rx(FIREWALL_SERVICES + RULE_LOADERS)
_POSIX_FILES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rx))
    for kind, rx in (
        ("ufw-conf", r"^/etc/ufw/ufw\.conf$"),
        ("ufw-default", r"^/etc/default/ufw$"),
        ("ufw", r"^/(etc|lib|usr/lib)/ufw(/|$)"),
        ("iptables", r"^/etc/(iptables(/|$)|sysconfig/ip6?tables(-config)?$"
                     r"|ip6?tables[\w.-]*\.rules$)"),
        ("nftables", r"^/etc/(nftables\.conf$|nftables(\.d)?(/|$)|sysconfig/nftables\.conf$)"),
        ("firewalld", r"^/(etc|usr/lib)/firewalld(/|$)"),
        ("susefirewall2", r"^/etc/sysconfig/susefirewall2(\.d)?(/|$)"),
        ("shorewall", r"^/etc/shorewall6?(/|$)"),
        ("pf", r"^((/private)?/etc|/usr/local/etc)/pf\.(conf$|anchors(/|$))"),
        ("alf", r"^/library/preferences/com\.apple\.alf(\.plist)?$"),
        ("netfilter-persistent", r"^/etc/default/netfilter-persistent$"),
        # the service itself, edited by hand: "ln -s /dev/null" masks it, a .wants link is
        # what "systemctl enable" makes, a drop-in changes how it starts and stops
        ("systemd-wants", rf"^{_SYSTEMD}/[^/]+\.(wants|requires)/{_UNIT}\.service$"),
        ("systemd-unit", rf"^{_SYSTEMD}/{_UNIT}\.service$"),
        ("systemd-dropin", rf"^{_SYSTEMD}/{_UNIT}\.service\.d/[^/]+\.conf$"),
    )
)  # fmt: skip
# Names no firewall loads: editor, package-manager and dated backups (ufw writes
# user.rules.YYYYMMDD_HHMMSS, firewalld zone.xml.old).
_BACKUP = re.compile(
    r"(~|\.(bak|backup|orig|old|save|sav|swp|tmp|disabled|off|dpkg-(old|dist|new|bak|tmp)"
    r"|rpm(save|new|orig)|ucf-(old|dist|new))|[._-](\d{4}-\d\d-\d\d|\d{8})([._t-]?\d{2,6})*)$"
)
_WINDOWS_FILES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("windows-log", re.compile(r"\\system32\\logfiles\\firewall(\\|$)")),
    ("windows-policy", re.compile(
        r"^(hklm:|hkey_local_machine|registry::(hklm|hkey_local_machine))\\.*\\"
        r"(firewallpolicy|windowsfirewall)(\\|$)")),
)  # fmt: skip
_BARE = {
    "rules.v4": "iptables", "rules.v6": "iptables", "iptables.rules": "iptables",
    "ip6tables.rules": "iptables", "user.rules": "ufw", "user6.rules": "ufw",
    "before.rules": "ufw", "before6.rules": "ufw", "after.rules": "ufw", "after6.rules": "ufw",
    "ufw.conf": "ufw-conf", "nftables.conf": "nftables", "pf.conf": "pf",
    "com.apple.alf.plist": "alf",
}  # fmt: skip


def firewall_file(path: str) -> str | None:
    """The kind of firewall configuration ``path`` is (``ufw``, ``iptables``, ``pf``, ``alf``,
    ``windows-log``...), or ``None``."""
    low = path.strip().strip("\"'").lower()
    if not low:
        return None
    if "\\" in low or re.match(r"^[a-z]:", low) or low.startswith(("hk", "registry::")):
        low = low.replace("/", "\\")
        return next((kind for kind, rx in _WINDOWS_FILES if rx.search(low)), None)
    if _BACKUP.search(low):
        return None
    if low.startswith("/"):
        norm = posixpath.normpath(low)
        return next((kind for kind, rx in _POSIX_FILES if rx.match(norm)), None)
    if low.startswith(("~", "$", "-")):
        return None
    return _BARE.get(posixpath.basename(low))


# -- what a command writes ---------------------------------------------------------------------

_PRINTERS = frozenset({"echo", "printf", "echo.", "write-output", "write", "write-host"})


def _said(argv: Sequence[str]) -> str:
    """What a command prints, when it is a printer (``echo``, ``printf``, ``Write-Output``)."""
    return " ".join(argv[1:]) if argv and argv[0].lower() in _PRINTERS else ""


def _copy_like(args: Sequence[str], valued: str, long_valued: frozenset[str],
               remove_sources: bool) -> list[Write]:  # fmt: skip
    operands, opts = parse_args(args, valued, long_valued)
    target = next((v for o, v in opts if o in ("-t", "--target-directory")), None)
    if any(o in ("-d", "--directory") for o, _ in opts) and not remove_sources:
        return []  # install -d: makes directories
    if target is None:
        if len(operands) < 2:
            return []
        *sources, target = operands
    else:
        sources = operands
    out = [Write(WRITE, target, " ".join(["from", *sources]))]
    if remove_sources:
        out += [Write(DELETE, s) for s in sources]
    return out


def _inplace(
    args: Sequence[str], valued: str, inplace_letters: str
) -> tuple[bool, list[str], list[str]]:
    """``sed``/``perl`` arguments: (edits in place?, scripts, files). ``-i[SUFFIX]`` and
    ``--in-place[=SUFFIX]`` (GNU), ``-i ''``/``-i .bak``/``-I`` (BSD sed)."""
    inplace, scripts, files = False, [], []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--in-place"):
            inplace = True
        elif a.startswith(("--expression", "--file")):
            name, eq, value = a.partition("=")
            if not eq and i + 1 < len(args):
                i, value = i + 1, args[i + 1]
            scripts.append(value if name == "--expression" else "")
        elif a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            for k, ch in enumerate(a[1:], 2):
                if ch in inplace_letters:
                    inplace = True
                    nxt = args[i + 1] if i + 1 < len(args) else None
                    if a in ("-i", "-I") and nxt is not None and re.fullmatch(r"(\.[^/ ]*)?", nxt):
                        i += 1  # BSD: the suffix is the next word
                    break
                if ch in valued:
                    value = a[k:]
                    if not value and i + 1 < len(args):
                        i, value = i + 1, args[i + 1]
                    scripts.append(value if ch in "eE" else "")
                    break
        else:
            files.append(a)
        i += 1
    if not scripts and files:
        scripts.append(files.pop(0))  # no -e: the first operand is the script
    return inplace, scripts, files


_SED_S = re.compile(r"s([/|#:,@!])((?:\\.|(?!\1).)*)\1((?:\\.|(?!\1).)*)\1")
_SED_TEXT = re.compile(r"(?:^|[;\n}])\s*(?:/(?:\\.|[^/])*/|\d+|\$)?\s*[aic]\\?\s*(.+)")


def _sed_written(script: str) -> str:
    """The text a sed script writes: replacements of ``s///``, text of ``a``/``i``/``c``."""
    parts = [m.group(3) for m in _SED_S.finditer(script)]
    parts += [m.group(1) for m in _SED_TEXT.finditer(script)]
    return " ".join(parts) if parts else script


def _sed(cmd: Command) -> list[Write]:
    inplace, scripts, files = _inplace(cmd.args, "efl", "iI")
    text = " ".join(_sed_written(s) for s in scripts)
    return [Write(EDIT, f, text) for f in files] if inplace else []


def _perl(cmd: Command) -> list[Write]:
    inplace, scripts, files = _inplace(cmd.args, "eEIMm", "i")
    return [Write(EDIT, f, " ".join(scripts)) for f in files] if inplace else []


def _tee(cmd: Command) -> list[Write]:
    files, opts = parse_args(cmd.args)
    op = APPEND if any(o in ("-a", "--append") for o, _ in opts) else WRITE
    return [Write(op, f, _said(cmd.upstream)) for f in files]


def _dd(cmd: Command) -> list[Write]:
    op = APPEND if any(a in ("oflag=append", "conv=notrunc") for a in cmd.args) else WRITE
    return [Write(op, a[3:]) for a in cmd.args if a.startswith("of=")]


def _remove(cmd: Command) -> list[Write]:
    operands, _ = parse_args(cmd.args, "n" if cmd.tool == "shred" else "")
    return [Write(DELETE, f) for f in operands]


def _plistbuddy(cmd: Command) -> list[Write]:
    files, opts = parse_args(cmd.args, "c")
    edits = [v for o, v in opts if o == "-c" and not v.lower().lstrip().startswith("print")]
    return [Write(EDIT, files[-1], "; ".join(edits))] if files and edits else []


def _plutil(cmd: Command) -> list[Write]:
    args = [a.lower() for a in cmd.args]
    if not {"-replace", "-insert", "-remove", "-convert"} & set(args) or not cmd.args:
        return []
    out = cmd.args[args.index("-o") + 1] if "-o" in args[:-1] else cmd.args[-1]
    return [Write(EDIT, out, " ".join(a for a in cmd.args if a != out))]


_POSIX_WRITERS: dict[str, Callable[[Command], list[Write]]] = {
    "tee": _tee,
    "sed": _sed, "gsed": _sed,
    "perl": _perl,
    "cp": lambda c: _copy_like(c.args, "tS", frozenset({"--target-directory", "--suffix"}), False),
    "install": lambda c: _copy_like(
        c.args, "tSmog", frozenset({"--target-directory", "--suffix", "--mode", "--owner",
                                    "--group"}), False),
    "ln": lambda c: _copy_like(c.args, "tS", frozenset({"--target-directory", "--suffix"}), False),
    "mv": lambda c: _copy_like(c.args, "tS", frozenset({"--target-directory", "--suffix"}), True),
    "dd": _dd,
    "truncate": lambda c: [Write(WRITE, f) for f in parse_args(
        c.args, "sr", frozenset({"--size", "--reference"}))[0]],
    "rm": _remove, "unlink": _remove, "shred": _remove,
    "plistbuddy": _plistbuddy,
    "plutil": _plutil,
}  # fmt: skip


# PowerShell: cmdlet -> (operation, positional parameters, parameters naming the file)
_PS_CMDLETS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "set-content": (WRITE, ("path", "value"), ("path", "literalpath", "pspath")),
    "add-content": (APPEND, ("path", "value"), ("path", "literalpath", "pspath")),
    "clear-content": (WRITE, ("path",), ("path", "literalpath")),
    "out-file": (WRITE, ("filepath", "encoding"), ("filepath", "literalpath", "path")),
    "tee-object": (WRITE, ("filepath",), ("filepath", "literalpath", "path")),
    "new-item": (WRITE, ("path",), ("path",)),
    "copy-item": (WRITE, ("path", "destination"), ("destination",)),
    "move-item": (WRITE, ("path", "destination"), ("destination",)),
    "rename-item": (DELETE, ("path", "newname"), ("path", "literalpath")),
    "remove-item": (DELETE, ("path",), ("path", "literalpath")),
}
_PS_ALIASES = {
    "ac": "add-content", "clc": "clear-content", "tee": "tee-object", "ni": "new-item",
    "cp": "copy-item", "copy": "copy-item", "cpi": "copy-item", "mv": "move-item",
    "move": "move-item", "mi": "move-item", "ren": "rename-item", "rni": "rename-item",
    "rm": "remove-item", "del": "remove-item", "ri": "remove-item", "erase": "remove-item",
    "rd": "remove-item", "rmdir": "remove-item",
}  # fmt: skip
_PS_SWITCHES = frozenset({"force", "recurse", "append", "nonewline", "passthru", "whatif",
                          "confirm", "noclobber", "container", "verbose", "debug",
                          "asbytestream", "usetransaction"})  # fmt: skip


_WHATIF = re.compile(PS_WHATIF)


def _ps_normalized(args: Sequence[str]) -> str:
    """The arguments as the PowerShell rules see them (``-Name:value`` split, lower case)."""
    toks = [w for a in args for w in (a.split(":", 1) if a.startswith("-") else (a,))]
    return f" {' '.join(toks).lower()} "


def _powershell(cmd: Command) -> list[Write]:
    name = _PS_ALIASES.get(cmd.tool, cmd.tool)
    spec = _PS_CMDLETS.get(name)
    if spec is None:
        return []
    op, positional, file_params = spec
    named: dict[str, str] = {}
    loose: list[str] = []
    args = cmd.args
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1 and not a[1].isdigit():
            key, colon, value = a[1:].lower().partition(":")
            if not colon and key not in _PS_SWITCHES and i + 1 < len(args):
                i, value = i + 1, args[i + 1]
            named[key] = value or "true"
        else:
            loose.append(a)
        i += 1
    if _WHATIF.search(_ps_normalized(args)) or (
        name == "new-item"
        and named.get("itemtype", "file").lower() not in ("file", "symboliclink", "hardlink")
    ):
        return []
    for key, value in zip(positional, loose, strict=False):
        named.setdefault(key, value)
    if name == "out-file" and "append" in named:
        op = APPEND
    content = named.get("value", "") or _said(cmd.upstream)
    paths = [p for k in file_params for p in named.get(k, "").split(",") if p]
    out = [Write(op, p, content) for p in paths]
    if name == "move-item":
        out += [Write(DELETE, p) for p in named.get("path", "").split(",") if p]
    return out


def _cmd_builtin(cmd: Command) -> list[Write]:
    operands = [a for a in cmd.args if not a.startswith("/")]
    if cmd.tool in ("del", "erase"):
        return [Write(DELETE, f) for f in operands]
    if cmd.tool in ("copy", "move", "xcopy") and len(operands) >= 2:
        out = [Write(WRITE, operands[-1])]
        return out + [Write(DELETE, f) for f in operands[:-1]] if cmd.tool == "move" else out
    return []


def file_writes(cmd: Command) -> list[Write]:
    """What ``cmd`` writes to files (see the module docstring)."""
    said = _said(cmd.argv)
    out = [Write(WRITE if op == ">" else APPEND, target, said) for op, target in cmd.redirects]
    if cmd.dialect == POWERSHELL:
        return out + _powershell(cmd)
    if cmd.dialect == POSIX:
        writer = _POSIX_WRITERS.get(cmd.tool)
        return out + writer(cmd) if writer is not None else out
    return out + _cmd_builtin(cmd)


# -- what it means -----------------------------------------------------------------------------

FILES = "fwfile"
FILE_TOOL = Tool(FILES, frozenset(), "any")
# An edit (or, for the shell-sourced key=value files, an append) whose only text turns protection
# on: (-e/-n flags of echo and printf's \n aside) nothing else is written.
_ONLY = r"((-[a-z]+ )*[\"']?{}[\"']?(\\n)* )+$"
_KV_ON = "{} ?= ?[\"']?{}"
FILE_RULES: tuple[Rule, ...] = (
    make_rule("file-ufw-on", FILES,
              r"^ (edit|append) ufw-conf :: " + _ONLY.format(_KV_ON.format("enabled", "yes")),
              HARDENED, "ufw.conf is set to ENABLED=yes: ufw starts"),
    make_rule("file-ufw-default-drop", FILES, r"^ (edit|append) ufw-default :: "
              + _ONLY.format(_KV_ON.format("default_input_policy", "(drop|reject)")), HARDENED,
              "/etc/default/ufw sets the default inbound policy to DROP"),
    make_rule("file-ipt-drop", FILES,
              r"^ edit iptables :: "
              + _ONLY.format(r":(input|forward) (drop|reject)( \[\d+:\d+\])?"),
              HARDENED, "the saved iptables rules set an inbound chain's policy to DROP"),
    make_rule("file-alf-on", FILES, r"^ edit alf :: ((set :|-(replace|insert) )?(globalstate "
              r"(-int(eger)? )?[12]|(stealthenabled|loggingenabled) (-int(eger)? |-bool(ean)? )?"
              r"(1|true|yes))[; ]+)+$", HARDENED,
              "the Application Firewall plist turns the firewall, stealth mode or logging on",
              analytic="AN0408"),
    make_rule("file-unit-mask", FILES, r"^ write systemd-unit :: from /dev/null $", DISABLE,
              "a firewall service is masked by hand (its unit made /dev/null): it cannot start"),
    make_rule("file-unit-unwant", FILES, r"^ delete systemd-wants ", DISABLE,
              "a firewall service's .wants link is removed by hand: it no longer starts at boot"),
    make_rule("file-unit-want", FILES, r"^ write systemd-wants :: from (?!/dev/null )", HARDENED,
              "a firewall service is linked into a .wants directory by hand: it starts at boot"),
    make_rule("file-unit", FILES, r"^ [a-z]+ systemd-", MODIFY,
              "a firewall service's systemd unit or drop-in is changed or removed"),
    make_rule("file-ufw-off", FILES, r"^ (write|append|edit) ufw-conf :: .*enabled ?= ?[\"']?no\b",
              DISABLE, "ufw.conf is set to ENABLED=no: ufw does not start"),
    make_rule("file-ufw-default-accept", FILES,
              r"^ (write|append|edit) ufw-default :: .*default_input_policy ?= ?[\"']?accept",
              DISABLE, "/etc/default/ufw sets the default inbound policy to ACCEPT"),
    make_rule("file-ipt-accept", FILES,
              r"^ (write|append|edit) iptables :: .*:(input|forward) accept",
              DISABLE, "the saved iptables rules set an inbound chain's policy to ACCEPT"),
    make_rule("file-alf-off", FILES, r"^ (write|edit) alf :: .*globalstate[ :=]+(-int(eger)? )?0\b",
              DISABLE, "the Application Firewall plist is set to globalstate 0 (off)",
              analytic="AN0408"),
    make_rule("file-pf-alf", FILES, r"^ [a-z]+ (pf|alf) ", MODIFY,
              "a pf or Application Firewall configuration file is changed or removed",
              analytic="AN0408"),
    make_rule("file-win-log", FILES, r"^ [a-z]+ windows-log ", MODIFY,
              "the Windows Firewall log is erased or overwritten"),
    make_rule("file-win-policy-delete", FILES, r"^ delete windows-policy ", MODIFY,
              "a Windows Firewall policy registry key is removed"),
    make_rule("file-delete", FILES, r"^ delete ", MODIFY,
              "a firewall configuration file is removed or moved away"),
    make_rule("file-write", FILES, r"^ ", MODIFY,
              "a firewall configuration file is written: the rules it loads change"),
)  # fmt: skip


def classify_writes(cmd: Command) -> list[Rule]:
    """The rules the command's firewall file writes match (each rule once)."""
    out: list[Rule] = []
    for w in file_writes(cmd):
        kind = firewall_file(w.path)
        if kind is None:
            continue
        norm = f" {w.op} {kind} :: {' '.join(w.content.lower().split())} "
        rule = next((r for r in FILE_RULES if r.compiled.search(norm)), None)
        if rule is not None and rule not in out:
            out.append(rule)
    return out
