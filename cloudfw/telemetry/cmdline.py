"""Split command lines the way the shell or Windows would, and peel launcher wrappers.

``commands(cmdline, argv, platform)`` returns every simple command a process line runs:

- POSIX lines are split like a shell (``shlex``; ``;``, ``&&``, ``||``, ``|``, ``&`` and ``( )``
  separate commands, redirections are dropped).
- Windows lines are split with the ``CommandLineToArgvW`` rules.
- Wrappers are peeled and recorded in ``Command.via``: ``sudo``, ``doas``, ``env``, ``nohup``,
  ``nice``, ``timeout``, ``time``, ``exec``, ``command``, ``setsid``, ``caffeinate``, ``pkexec``,
  ``busybox``, ``su -c``, ``sh/bash/zsh/dash/ksh -c``, ``osascript -e 'do shell script "..."'``,
  ``cmd /c``, ``powershell -Command`` / ``-EncodedCommand`` (base64 UTF-16LE),
  ``Invoke-Expression``, ``Start-Process``.

What the wrapped command is, is decided here; whether it is an attack is decided in ``rules``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from cloudfw.telemetry.winargs import (
    decode_encoded_command,
    join_windows,
    powershell_script,
    split_cmd_operators,
    split_powershell,
    split_windows,
)

__all__ = [
    "POSIX", "POWERSHELL", "WINDOWS", "Command", "commands", "decode_encoded_command",
    "split_cmd_operators", "split_posix", "split_powershell", "split_windows", "tool_name",
]  # fmt: skip

MAX_DEPTH = 6

POSIX = "posix"
WINDOWS = "windows"
POWERSHELL = "powershell"


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command: ``argv[0]`` is the program as written; ``tool`` its normalized name."""

    argv: tuple[str, ...]
    dialect: str
    via: tuple[str, ...] = ()

    @property
    def tool(self) -> str:
        return tool_name(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]


def tool_name(program: str) -> str:
    """``/usr/sbin/iptables`` -> ``iptables``; ``C:\\Windows\\System32\\NETSH.EXE`` -> ``netsh``."""
    base = re.split(r"[\\/]", program.strip().strip("\"'"))[-1].lower()
    for ext in (".exe", ".com", ".bat", ".cmd"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


# -- POSIX shell -----------------------------------------------------------------------------

_SEPARATORS = frozenset({";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "\n"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", ">&", "<&", ">|", "&>", "&>>"})


def split_posix(line: str) -> list[list[str]]:
    """Split a shell line into simple commands (lists of words)."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        tokens = list(lex)
    except ValueError:  # unbalanced quotes: fall back to plain whitespace
        tokens = line.split()
    out: list[list[str]] = []
    cur: list[str] = []
    skip_next = False
    for tok in tokens:
        if skip_next:
            skip_next = False
            continue
        if tok in _SEPARATORS:
            if cur:
                out.append(cur)
            cur = []
        elif tok in _REDIRECTS:
            if cur and cur[-1].isdigit() and len(cur[-1]) == 1:
                cur.pop()  # "2>" descriptor
            skip_next = True
        else:
            cur.append(tok)
    if cur:
        out.append(cur)
    return out


# -- wrappers --------------------------------------------------------------------------------

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "rbash"})
_SIMPLE_PREFIX = frozenset(
    {"nohup", "time", "exec", "setsid", "pkexec", "builtin", "noglob", "command", "caffeinate"}
)
_SUDO_VALUED = frozenset("ugpCDrtUThRP")
_SUDO_LONG_VALUED = frozenset(
    {"--user", "--group", "--prompt", "--close-from", "--chdir", "--role", "--type",
     "--other-user", "--command-timeout", "--chroot", "--host"}
)  # fmt: skip
_INTERPRETER = re.compile(r"^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DO_SHELL_SCRIPT = re.compile(r'do\s+shell\s+script\s+"((?:[^"\\]|\\.)*)"', re.IGNORECASE)


def _skip_options(args: Sequence[str], valued: frozenset[str], long_valued: frozenset[str]) -> int:
    """Index of the first non-option argument (getopt style, ``--`` ends options)."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return i + 1
        if a.startswith("--"):
            i += 1 if "=" in a or a not in long_valued else 2
            continue
        if a.startswith("-") and len(a) > 1:
            flags = a[1:]
            for k, ch in enumerate(flags):
                if ch in valued:
                    i += 1 if k + 1 < len(flags) else 2
                    break
            else:
                i += 1
            continue
        return i
    return i


def _peel(argv: list[str], dialect: str) -> tuple[str, list[str] | str | None]:
    """One wrapper layer: ``(label, inner)`` where inner is argv (list) or a line to re-parse
    (str); ``("", None)`` when ``argv`` is not a wrapper."""
    tool = tool_name(argv[0])
    rest = argv[1:]
    if tool in ("sudo", "doas"):
        valued = _SUDO_VALUED if tool == "sudo" else frozenset("uC")
        i = _skip_options(rest, valued, _SUDO_LONG_VALUED)
        return tool, rest[i:]
    if tool == "env":
        i = 0
        while i < len(rest):
            a = rest[i]
            if a in ("-S", "--split-string") and i + 1 < len(rest):
                return "env -S", " ".join([rest[i + 1], *rest[i + 2 :]])
            if a.startswith("--split-string="):
                return "env -S", " ".join([a.split("=", 1)[1], *rest[i + 1 :]])
            if a in ("-u", "-C", "--unset", "--chdir"):
                i += 2
            elif a.startswith("-") or _ASSIGNMENT.match(a):
                i += 1
            else:
                break
        return "env", rest[i:]
    if tool in _SIMPLE_PREFIX:
        i = 0
        while i < len(rest) and rest[i].startswith("-"):
            i += 1
        return tool, rest[i:]
    if tool == "busybox":
        return tool, rest
    if _INTERPRETER.match(tool):  # "/usr/bin/python3 /usr/sbin/ufw disable" (auditd argv)
        if not rest or rest[0].startswith("-"):
            return "", None  # python -c / -m / interactive: not a script path
        return tool, rest
    if tool == "nice":
        i = _skip_options(rest, frozenset("n"), frozenset({"--adjustment"}))
        return tool, rest[i:]
    if tool == "timeout":
        i = _skip_options(rest, frozenset("sk"), frozenset({"--signal", "--kill-after"}))
        return tool, rest[i + 1 :]
    if tool == "stdbuf":
        i = _skip_options(rest, frozenset("ioe"), frozenset())
        return tool, rest[i:]
    if tool == "chroot":
        i = _skip_options(rest, frozenset(), frozenset({"--userspec", "--groups"}))
        return tool, rest[i + 1 :]
    if tool in _SHELLS:
        for i, a in enumerate(rest):
            if a.startswith("-") and not a.startswith("--") and "c" in a[1:]:
                return f"{tool} -c", (rest[i + 1] if i + 1 < len(rest) else "")
            if not a.startswith(("-", "+")):
                break
        return "", None
    if tool == "su":
        for i, a in enumerate(rest):
            if a in ("-c", "--command") and i + 1 < len(rest):
                return "su -c", rest[i + 1]
            if a.startswith("--command="):
                return "su -c", a.split("=", 1)[1]
        return "", None
    if tool == "osascript":
        scripts = [rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "-e"]
        found = _DO_SHELL_SCRIPT.findall("\n".join(scripts))
        if found:
            inner = "; ".join(re.sub(r"\\(.)", r"\1", f) for f in found)
            return "osascript do shell script", inner
        return "", None
    if tool == "cmd":
        for i, a in enumerate(rest):
            if a.lower() in ("/c", "/k", "/r") or re.fullmatch(r"(/[a-z])*/[ckr]", a.lower()):
                words = rest[i + 1 :]
                return "cmd /c", words[0] if len(words) == 1 else join_windows(words)
        return "", None
    if tool in ("powershell", "pwsh", "powershell_ise"):
        script, how = powershell_script(rest)
        if script is None:
            return "", None
        return f"powershell {how}", script
    return "", None


def commands(cmdline: str = "", argv: Sequence[str] = (), platform: str = "linux") -> list[Command]:
    """Every simple command a process line runs, with wrappers peeled."""
    dialect = WINDOWS if platform == "windows" else POSIX
    if argv:
        roots = [list(argv)]
    elif dialect == WINDOWS:
        roots = [split_windows(cmdline)]
    else:
        roots = split_posix(cmdline)
    out: list[Command] = []
    for root in roots:
        _expand(root, dialect, (), out, 0)
    return out


def _expand(
    argv: list[str], dialect: str, via: tuple[str, ...], out: list[Command], depth: int
) -> None:
    while argv and dialect == POSIX and _ASSIGNMENT.match(argv[0]):
        argv = argv[1:]
    if not argv:
        return
    if depth >= MAX_DEPTH:
        out.append(Command(tuple(argv), dialect, via))
        return
    if dialect == POWERSHELL:
        _expand_powershell(argv, via, out, depth)
        return
    label, inner = _peel(argv, dialect)
    if inner is None:
        out.append(Command(tuple(argv), dialect, via))
        return
    via = (*via, label)
    if isinstance(inner, list):
        _expand(inner, dialect, via, out, depth + 1)
    elif label.startswith("powershell"):
        for stmt in split_powershell(inner):
            _expand(stmt, POWERSHELL, via, out, depth + 1)
    elif label == "cmd /c":
        for part in split_cmd_operators(inner):
            _expand(split_windows(part), WINDOWS, via, out, depth + 1)
    else:
        for cmd in split_posix(inner):
            _expand(cmd, POSIX, via, out, depth + 1)


def _expand_powershell(
    argv: list[str], via: tuple[str, ...], out: list[Command], depth: int
) -> None:
    tool = tool_name(argv[0])
    if tool in ("invoke-expression", "iex") and len(argv) > 1:
        text = " ".join(a for a in argv[1:] if a.lower() != "-command")
        for stmt in split_powershell(text):
            _expand(stmt, POWERSHELL, (*via, "Invoke-Expression"), out, depth + 1)
        return
    if tool in ("start-process", "saps", "start") and len(argv) > 1:
        program, arglist = "", ""
        i = 1
        while i < len(argv):
            low = argv[i].lower()
            if low.startswith("-") and i + 1 < len(argv):
                if "-filepath".startswith(low) or low == "-path":
                    program = argv[i + 1]
                elif "-argumentlist".startswith(low) or low in ("-args", "-arguments"):
                    arglist = " ".join(argv[i + 1].split(","))
                i += 2 if low[1:] not in ("wait", "nonewwindow", "passthru") else 1
                continue
            if not program:
                program = argv[i]
            elif not arglist:
                arglist = argv[i]
            i += 1
        if program:
            line = join_windows([program]) + (" " + arglist if arglist else "")
            _expand(split_windows(line), WINDOWS, (*via, "Start-Process"), out, depth + 1)
            return
    if tool in ("cmd", "powershell", "pwsh"):
        _expand(argv, WINDOWS, via, out, depth)
        return
    out.append(Command(tuple(argv), POWERSHELL, via))
