"""Split command lines the way the shell or Windows would, and peel launcher wrappers.

``commands(cmdline, argv, platform)`` returns every simple command a process line runs:

- POSIX lines are split like a shell (``shlex``; ``;``, ``&&``, ``||``, ``|``, ``&`` and ``( )``
  separate commands). Output redirections are kept apart in ``Command.redirects``; a command fed
  by a pipe knows the stage before it (``Command.upstream``).
- Windows lines are split with the ``CommandLineToArgvW`` rules, except what ``cmd.exe`` and its
  ``start`` read themselves: they take their own text (``winargs.cmd_payload``/``start_payload``).
- Wrappers are peeled and recorded in ``Command.via``: ``sudo``, ``doas``, ``env``, ``nohup``,
  ``nice``, ``timeout``, ``time``, ``exec``, ``command``, ``setsid``, ``caffeinate``, ``pkexec``,
  ``busybox``, ``su -c``, ``sh/bash/zsh/dash/ksh -c``, ``osascript -e 'do shell script "..."'``,
  ``cmd /c`` (``/k``, ``/r``), ``start``, ``call``, ``powershell -Command`` / ``-EncodedCommand``
  (base64 UTF-16LE), ``Invoke-Expression``, ``Start-Process``.

What the wrapped command is, is decided here; whether it is an attack is decided in ``rules``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cloudfw.telemetry.posixargs import Redirects, Words, parse_args, parse_posix, split_posix
from cloudfw.telemetry.winargs import (
    call_payload,
    cmd_payload,
    decode_encoded_command,
    join_windows,
    powershell_pipeline,
    powershell_script,
    split_cmd_operators,
    split_cmd_redirects,
    split_powershell,
    split_windows,
    start_payload,
)

__all__ = [
    "POSIX", "POWERSHELL", "WINDOWS", "Command", "Words", "commands", "decode_encoded_command",
    "parse_args", "parse_posix", "split_cmd_operators", "split_posix", "split_powershell",
    "split_windows", "tool_name",
]  # fmt: skip

MAX_DEPTH = 6

POSIX = "posix"
WINDOWS = "windows"
POWERSHELL = "powershell"


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command: ``argv[0]`` is the program as written; ``tool`` its normalized name.
    ``redirects`` are the files its output goes to; ``upstream`` the argv of the pipeline stage
    that feeds its input (``echo x | tee f``: ``tee`` has upstream ``("echo", "x")``)."""

    argv: tuple[str, ...]
    dialect: str
    via: tuple[str, ...] = ()
    redirects: Redirects = ()
    upstream: tuple[str, ...] = ()

    @property
    def tool(self) -> str:
        return tool_name(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    @property
    def text(self) -> str:
        """The command as one line, quoted for its dialect, redirections included."""
        words = shlex.join(self.argv) if self.dialect == POSIX else join_windows(self.argv)
        return " ".join([words, *(f"{op} {target}" for op, target in self.redirects)]).strip()


def tool_name(program: str) -> str:
    """``/usr/sbin/iptables`` -> ``iptables``; ``C:\\Windows\\System32\\NETSH.EXE`` -> ``netsh``."""
    base = re.split(r"[\\/]", program.strip().strip("\"'"))[-1].lower()
    for ext in (".exe", ".com", ".bat", ".cmd"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


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
    operands, _ = parse_args(args, "".join(valued), long_valued, stop_at_operand=True)
    return len(args) - len(operands)


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
    if _INTERPRETER.match(tool):  # "/usr/bin/python3 -s /usr/bin/firewall-cmd ..." (auditd argv)
        i = 0
        while i < len(rest) and rest[i].startswith("-") and rest[i] != "--":
            if set(rest[i][1:]) & set("cme"):
                return "", None  # python -c / -m, perl/ruby -e: inline code, not a script path
            i += 2 if rest[i] in ("-W", "-X") else 1
        return (
            (tool, rest[i + (i < len(rest) and rest[i] == "--") :]) if i < len(rest) else ("", None)
        )
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
                # The words after the script are $0, $1...; a source that joins argv with blanks
                # (osquery) turns "sh -c 'iptables -F'" into "sh -c iptables -F": keep them all.
                return f"{tool} -c", " ".join(rest[i + 1 :])
            if not a.startswith(("-", "+")):  # "sh /etc/init.d/iptables stop": a script file
                return tool, rest[i:]
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
    if tool in ("powershell", "pwsh", "powershell_ise"):
        script, how = powershell_script(rest)
        if script is None:
            return "", None
        return f"powershell {how}", script
    return "", None


def commands(cmdline: str = "", argv: Sequence[str] = (), platform: str = "linux") -> list[Command]:
    """Every simple command a process line runs, with wrappers peeled."""
    dialect = WINDOWS if platform == "windows" else POSIX
    out: list[Command] = []
    if argv:
        _expand(Words(list(argv)), dialect, (), out, 0)
    elif dialect == WINDOWS:
        _expand_windows_line(cmdline, (), out, 0)
    else:
        for words in parse_posix(cmdline):
            _expand(words, POSIX, (), out, 0)
    return out


def _attach(out: list[Command], start: int, outer: Words) -> None:
    """A wrapper's own redirections and input belong to the script it runs: output to its last
    command, input to its first."""
    if len(out) <= start:
        return
    if outer.redirects:
        out[-1] = replace(out[-1], redirects=out[-1].redirects + outer.redirects)
    if outer.upstream and not out[start].upstream:
        out[start] = replace(out[start], upstream=outer.upstream)


def _expand(
    words: Words, dialect: str, via: tuple[str, ...], out: list[Command], depth: int
) -> None:
    argv = words.argv
    while argv and dialect == POSIX and _ASSIGNMENT.match(argv[0]):
        argv = argv[1:]
    if not argv:
        if words.redirects:  # ": > file" without the colon, "> file"
            out.append(Command((), dialect, via, words.redirects, words.upstream))
        return
    if depth >= MAX_DEPTH:
        out.append(Command(tuple(argv), dialect, via, words.redirects, words.upstream))
        return
    if dialect == POWERSHELL:
        _expand_powershell(Words(argv, words.redirects, words.upstream), via, out, depth)
        return
    if dialect == WINDOWS and tool_name(argv[0]) in _CMD_READS_TEXT:
        start = len(out)
        _expand_windows_line(join_windows(argv), via, out, depth)  # known as argv only
        _attach(out, start, words)
        return
    label, inner = _peel(argv, dialect)
    if inner is None:
        out.append(Command(tuple(argv), dialect, via, words.redirects, words.upstream))
        return
    via = (*via, label)
    if isinstance(inner, list):
        _expand(Words(inner, words.redirects, words.upstream), dialect, via, out, depth + 1)
        return
    start = len(out)
    for cmd in _powershell_words(inner) if label.startswith("powershell") else parse_posix(inner):
        _expand(cmd, POWERSHELL if label.startswith("powershell") else POSIX, via, out, depth + 1)
    _attach(out, start, words)


# cmd.exe and its built-ins that run a command
_CMD_READS_TEXT = frozenset({"cmd", "start", "call"})


def _expand_windows_line(
    line: str, via: tuple[str, ...], out: list[Command], depth: int, redirects: Redirects = ()
) -> None:
    """A Windows command line as text. ``cmd.exe`` and its ``start`` and ``call`` read their own
    text (quotes, ``&``, ``|``, ``^``, redirections), not an argv."""
    argv = split_windows(line)
    if not argv:
        return
    tool = tool_name(argv[0])
    if depth >= MAX_DEPTH or tool not in _CMD_READS_TEXT:
        _expand(Words(argv, redirects), WINDOWS, via, out, depth)
        return
    start = len(out)
    if tool == "call":  # "call netsh ..." runs netsh; "call :label" jumps within a batch file
        payload = call_payload(line)
        if payload is not None:
            _expand_windows_line(payload, (*via, "call"), out, depth + 1, redirects)
        return
    if tool == "start":
        payload = start_payload(line)
        if payload is not None:
            _expand_windows_line(payload, (*via, "start"), out, depth + 1, redirects)
        return
    payload = cmd_payload(line)
    if payload is None:  # an interactive cmd: runs nothing we can see
        out.append(Command(tuple(argv), WINDOWS, via, redirects))
        return
    for part in split_cmd_operators(payload):
        text, reds = split_cmd_redirects(part)
        if text:
            _expand_windows_line(text, (*via, "cmd /c"), out, depth + 1, reds)
        elif reds:  # "> file" alone
            out.append(Command((), WINDOWS, (*via, "cmd /c"), reds))
    _attach(out, start, Words([], redirects))


def _powershell_words(script: str) -> list[Words]:
    """PowerShell statements with their redirections and the statement piped into them."""
    out: list[Words] = []
    upstream: tuple[str, ...] = ()
    for tokens, piped in powershell_pipeline(script):
        argv: list[str] = []
        reds: list[tuple[str, str]] = []
        i = 0
        while i < len(tokens):
            if tokens[i] in (">", ">>"):
                if i + 1 < len(tokens):
                    reds.append((tokens[i], tokens[i + 1]))
                i += 2
                continue
            argv.append(tokens[i])
            i += 1
        out.append(Words(argv, tuple(reds), upstream))
        upstream = tuple(argv) if piped else ()
    return out


def _expand_powershell(words: Words, via: tuple[str, ...], out: list[Command], depth: int) -> None:
    argv = words.argv
    tool = tool_name(argv[0])
    if tool in ("invoke-expression", "iex") and len(argv) > 1:
        text = " ".join(a for a in argv[1:] if a.lower() != "-command")
        start = len(out)
        for stmt in _powershell_words(text):
            _expand(stmt, POWERSHELL, (*via, "Invoke-Expression"), out, depth + 1)
        _attach(out, start, words)
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
            _expand_windows_line(line, (*via, "Start-Process"), out, depth + 1)
            return
    if tool in ("cmd", "powershell", "pwsh"):
        _expand(words, WINDOWS, via, out, depth)
        return
    out.append(Command(tuple(argv), POWERSHELL, via, words.redirects, words.upstream))
