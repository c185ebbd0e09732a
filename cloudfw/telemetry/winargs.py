"""Windows command lines: ``CommandLineToArgvW`` splitting, ``cmd.exe`` operators, PowerShell
statements and ``-EncodedCommand`` payloads. Pure functions; ``cmdline`` uses them."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

# -- Windows (CommandLineToArgvW) ------------------------------------------------------------


def split_windows(line: str) -> list[str]:
    """Split like ``CommandLineToArgvW``: the program name ends at the closing quote or the first
    blank; after it, ``2n`` backslashes + quote give ``n`` backslashes and toggle quoting,
    ``2n+1`` give ``n`` backslashes and a literal quote, ``""`` inside quotes is a literal quote."""
    s = line.lstrip(" \t\r\n")
    args: list[str] = []
    if not s:
        return args
    i, n = 0, len(s)
    if s[0] == '"':
        end = s.find('"', 1)
        end = n if end < 0 else end
        args.append(s[1:end])
        i = end + 1
    else:
        while i < n and s[i] not in " \t\r\n":
            i += 1
        args.append(s[:i])
    while True:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            return args
        buf: list[str] = []
        quoted = False
        while i < n:
            c = s[i]
            if c == "\\":
                j = i
                while j < n and s[j] == "\\":
                    j += 1
                count = j - i
                if j < n and s[j] == '"':
                    buf.append("\\" * (count // 2))
                    if count % 2:
                        buf.append('"')
                        i = j + 1
                    else:
                        i = j
                else:
                    buf.append("\\" * count)
                    i = j
            elif c == '"':
                if quoted and i + 1 < n and s[i + 1] == '"':
                    buf.append('"')
                    i += 2
                else:
                    quoted = not quoted
                    i += 1
            elif c in " \t\r\n" and not quoted:
                break
            else:
                buf.append(c)
                i += 1
        args.append("".join(buf))


def split_cmd_operators(line: str) -> list[str]:
    """Split a ``cmd.exe`` line on unquoted ``&``, ``&&``, ``|``, ``||`` (``^`` escapes)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "^" and not quoted and i + 1 < len(line):
            buf.append(line[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c in "&|" and not quoted:
            parts.append("".join(buf))
            buf = []
            while i + 1 < len(line) and line[i + 1] == c:
                i += 1
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return [p for p in (x.strip() for x in parts) if p]


def _after_program(line: str) -> str:
    """The text after the program name (which ends at its closing quote or the first blank)."""
    s = line.lstrip(" \t\r\n")
    if s.startswith('"'):
        end = s.find('"', 1)
        return "" if end < 0 else s[end + 1 :]
    i = 0
    while i < len(s) and s[i] not in " \t\r\n":
        i += 1
    return s[i:]


_CMD_SPECIAL = frozenset("&<>()@^|")
_EXECUTABLE = re.compile(r"\.(exe|com|bat|cmd)$", re.IGNORECASE)


def cmd_payload(line: str) -> str | None:
    """What ``cmd.exe LINE`` runs: the text after its ``/C``, ``/K`` or ``/R`` switch, with quotes
    treated as ``cmd /?`` says; ``None`` for an interactive ``cmd``."""
    rest = _after_program(line)
    i, n, keep_none = 0, len(rest), False
    while True:
        while i < n and rest[i] in " \t":
            i += 1
        if i + 1 >= n or rest[i] != "/":
            return None
        letter = rest[i + 1].lower()
        i += 2
        if letter in "ckr":
            break
        keep_none = keep_none or letter == "s"
        while i < n and rest[i] not in " \t/":  # /V:ON, /T:0A
            i += 1
    payload = rest[i:].lstrip(" \t")
    # Rule 1 of ``cmd /?``: exactly two quotes around a blank-containing executable name, no
    # special characters between them, no /S: the quotes stay. Otherwise, a leading quote and
    # the last quote on the line are removed.
    if not keep_none and payload.count('"') == 2:
        a = payload.index('"')
        inner = payload[a + 1 : payload.index('"', a + 1)]
        if (not _CMD_SPECIAL & set(inner) and any(c.isspace() for c in inner)
                and _EXECUTABLE.search(inner)):  # fmt: skip
            return payload
    if payload.startswith('"'):
        last = payload.rfind('"')
        return payload[1:last] + payload[last + 1 :] if last > 0 else payload[1:]
    return payload


def call_payload(line: str) -> str | None:
    """What ``call COMMAND`` runs; ``None`` for ``call :label`` (a jump inside a batch file)."""
    rest = _after_program(line).lstrip(" \t")
    return None if not rest or rest.startswith(":") else rest


_START_VALUED = frozenset({"d", "node", "affinity"})


def start_payload(line: str) -> str | None:
    """What ``start ["title"] [/D path] [/B] [/MIN] ... command`` runs (the command and its
    parameters), or ``None`` when it names no command (it then opens a new console)."""
    rest = _after_program(line)
    title_seen = False
    while True:
        rest = rest.lstrip(" \t")
        if not rest:
            return None
        if rest[0] == '"' and not title_seen:  # the first quoted string is the window title
            end = rest.find('"', 1)
            if end < 0:
                return None
            title_seen, rest = True, rest[end + 1 :]
            continue
        if rest[0] != "/":
            return rest
        m = re.match(r"/([^ \t\"/]*)", rest)
        name = m.group(1).lower() if m else ""
        rest = rest[m.end() if m else 1 :]
        if name in _START_VALUED:  # "/D path", "/NODE 1", "/AFFINITY 0x3"
            rest = _after_program(rest)


def split_cmd_redirects(part: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A ``cmd.exe`` simple command without its redirections, and the files its output goes to
    (``(">" | ">>", target)``); ``<`` inputs and handle duplications (``2>&1``) are dropped."""
    buf: list[str] = []
    out: list[tuple[str, str]] = []
    quoted = False
    i, n = 0, len(part)
    while i < n:
        c = part[i]
        if c == '"':
            quoted = not quoted
        if quoted or c not in "<>":
            buf.append(c)
            i += 1
            continue
        if c == ">" and buf and buf[-1].isdigit() and (len(buf) == 1 or buf[-2] in " \t"):
            buf.pop()  # "2>" names a handle
        op = ">>" if part.startswith(">>", i) else c
        i += len(op)
        if i < n and part[i] == "&":  # 2>&1: a handle, not a file
            i += 2
            continue
        while i < n and part[i] in " \t":
            i += 1
        j = i
        if j < n and part[j] == '"':
            end = part.find('"', j + 1)
            j = n if end < 0 else end + 1
        else:
            while j < n and part[j] not in " \t<>":
                j += 1
        target = part[i:j].strip('"')
        i = j
        if op != "<" and target:
            out.append((op, target))
    return "".join(buf).strip(), tuple(out)


def join_windows(tokens: Sequence[str]) -> str:
    return " ".join(f'"{t}"' if (" " in t or not t) and '"' not in t else t for t in tokens)


# -- PowerShell ------------------------------------------------------------------------------

_PS_BREAK = frozenset(";|\n{}()")
_PS_STREAMS = frozenset({"1", "2", "3", "4", "5", "6", "*"})


def split_powershell(script: str) -> list[list[str]]:
    """Statements of a PowerShell script as token lists (quotes removed, backtick escapes)."""
    return [stmt for stmt, _ in powershell_pipeline(script)]


def powershell_pipeline(script: str) -> list[tuple[list[str], bool]]:
    """``split_powershell`` plus, per statement, whether it pipes into the next one (``|``).
    An unquoted output redirection is its own token: ``>`` or ``>>`` (a stream number before it,
    ``2>``, ``*>``, is dropped), followed by the target."""
    out: list[tuple[list[str], bool]] = []
    cur: list[str] = []
    buf: list[str] = []
    in_tok = False
    i, n = 0, len(script)

    def end_tok() -> None:
        nonlocal in_tok
        if in_tok:
            cur.append("".join(buf))
            buf.clear()
            in_tok = False

    def end_stmt(piped: bool = False) -> None:
        nonlocal cur
        end_tok()
        if cur:
            out.append((cur, piped))
        cur = []

    while i < n:
        c = script[i]
        if c == "'":
            in_tok = True
            i += 1
            while i < n:
                if script[i] == "'":
                    if i + 1 < n and script[i + 1] == "'":
                        buf.append("'")
                        i += 2
                        continue
                    break
                buf.append(script[i])
                i += 1
            i += 1
        elif c == '"':
            in_tok = True
            i += 1
            while i < n and script[i] != '"':
                if script[i] == "`" and i + 1 < n:
                    buf.append(script[i + 1])
                    i += 2
                    continue
                buf.append(script[i])
                i += 1
            i += 1
        elif c == "`" and i + 1 < n:
            if script[i + 1] == "\n":
                end_tok()
            else:
                in_tok = True
                buf.append(script[i + 1])
            i += 2
        elif c in _PS_BREAK or (c == "&" and i + 1 < n and script[i + 1] == "&"):
            double = c in "&|" and i + 1 < n and script[i + 1] == c  # && and || chain, not pipe
            end_stmt(piped=c == "|" and not double)
            i += 2 if double else 1
        elif c == ">":
            if in_tok and "".join(buf) in _PS_STREAMS:
                buf.clear()
                in_tok = False
            end_tok()
            op = ">>" if script.startswith(">>", i) else ">"
            i += len(op)
            if i < n and script[i] == "&":  # 2>&1
                i += 2
            else:
                cur.append(op)
        elif c in " \t\r":
            end_tok()
            i += 1
        elif c == "#" and not in_tok:
            while i < n and script[i] != "\n":
                i += 1
        else:
            in_tok = True
            buf.append(c)
            i += 1
    end_stmt()
    return [(st[1:] if st[0] in ("&", ".") and len(st) > 1 else st, piped) for st, piped in out]


_PS_VALUED = (
    "executionpolicy",
    "windowstyle",
    "version",
    "psconsolefile",
    "inputformat",
    "outputformat",
    "configurationname",
    "workingdirectory",
    "custompipename",
    "settingsfile",
)


def decode_encoded_command(value: str) -> str | None:
    """``-EncodedCommand`` payload: base64 of UTF-16LE text; ``None`` if it is not."""
    text = value.strip().strip("\"'")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        return raw.decode("utf-16-le")
    except (binascii.Error, ValueError):
        return None


def powershell_script(args: Sequence[str]) -> tuple[str | None, str]:
    """The script a ``powershell``/``pwsh`` invocation runs, and how it was given."""
    i = 0
    while i < len(args):
        a = args[i]
        low = a.lower()
        if low.startswith(("-", "/")) and len(low) > 1:
            name = low[1:].split(":", 1)[0]
            if name in ("e", "ec", "en", "enc") or (
                len(name) >= 2 and "encodedcommand".startswith(name)
            ):
                return (decode_encoded_command(args[i + 1]) if i + 1 < len(args) else None), "-enc"
            if name in ("c",) or (len(name) >= 2 and "command".startswith(name)):
                rest = args[i + 1 :]
                if rest == ["-"]:
                    return None, "-command"
                return " ".join(rest), "-command"
            if name in ("f",) or (len(name) >= 2 and "file".startswith(name)):
                return None, "-file"
            if any(v.startswith(name) for v in _PS_VALUED) or name in ("ep", "exec", "w"):
                i += 2
                continue
            i += 1
            continue
        return " ".join(args[i:]), "positional"
    return None, ""
