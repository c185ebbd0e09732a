"""Windows command lines: ``CommandLineToArgvW`` splitting, ``cmd.exe`` operators, PowerShell
statements and ``-EncodedCommand`` payloads. Pure functions; ``cmdline`` uses them."""

from __future__ import annotations

import base64
import binascii
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


def join_windows(tokens: Sequence[str]) -> str:
    return " ".join(f'"{t}"' if (" " in t or not t) and '"' not in t else t for t in tokens)


# -- PowerShell ------------------------------------------------------------------------------

_PS_BREAK = frozenset(";|\n{}()")


def split_powershell(script: str) -> list[list[str]]:
    """Statements of a PowerShell script as token lists (quotes removed, backtick escapes)."""
    out: list[list[str]] = []
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

    def end_stmt() -> None:
        nonlocal cur
        end_tok()
        if cur:
            out.append(cur)
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
            end_stmt()
            i += 2 if c == "&" else 1
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
    return [s[1:] if s[0] in ("&", ".") and len(s) > 1 else s for s in out]


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
