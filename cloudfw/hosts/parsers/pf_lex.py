"""pf.conf lexing: comments, macros, tokens, and the token stream the grammar reads.

Errors are `HostParseError` naming ``file:line`` and the word pf stopped at, the way
``pfctl -nf`` reports ``/etc/pf.conf:7: syntax error``.
"""

from __future__ import annotations

import re

from cloudfw.hosts.errors import HostParseError

_TOKEN = re.compile(
    r'"[^"]*"|<[^<>\s]+>|->|!=|<=|>=|><|<>|[{}(),!=<>]|[^\s{}(),!=<>"]+'
)  # fmt: skip
_NUMBER = re.compile(r"^[0-9]+$")
PUNCT = frozenset({"{", "}", "(", ")", "!", "=", "<", ">", "->", "!=", "<=", ">=", "><", "<>"})
_MACRO = re.compile(r"\$([A-Za-z_]\w*)")


def split_comment(s: str) -> tuple[str, str]:
    """(text, comment) of one line: ``#`` starts a comment outside double quotes."""
    quoted = False
    for i, ch in enumerate(s):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return s[:i].strip(), s[i + 1 :].strip()
    return s.strip(), ""


def strip_comment(s: str) -> str:
    return split_comment(s)[0]


def expand_macros(text: str, macros: dict[str, str], location: str, line: int) -> str:
    """``$name`` -> its value (macros may refer to macros); an undefined one is an error."""
    for _ in range(16):
        if "$" not in text:
            return text

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in macros:
                raise HostParseError(location, f"undefined macro ${name}", line)
            return macros[name]

        text = _MACRO.sub(sub, text)
    raise HostParseError(location, "macro expansion does not terminate", line)


def tokenize(text: str, location: str, line: int) -> list[str]:
    """pf words, quoted strings, ``<table>`` names and operators; commas are dropped (pf lists
    take them or blanks alike)."""
    toks = _TOKEN.findall(text)
    if re.sub(r"\s+", "", "".join(toks)) != re.sub(r"\s+", "", text):
        raise HostParseError(location, f"cannot tokenize pf line {text[:60]!r}", line)
    return [t for t in toks if t != ","]


def unquote(tok: str) -> str:
    return tok[1:-1] if len(tok) >= 2 and tok[0] == tok[-1] == '"' else tok


def is_number(tok: str) -> bool:
    return bool(_NUMBER.match(tok))


class Stream:
    """The tokens of one statement, read left to right."""

    def __init__(self, toks: list[str], location: str, line: int) -> None:
        self.toks, self.i, self.location, self.line = toks, 0, location, line

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else ""

    def take(self) -> str:
        t = self.peek()
        if not t:
            raise self.err("syntax error: the rule ends too early")
        self.i += 1
        return t

    def accept(self, *words: str) -> str:
        """Take the next token when it is one of ``words``; "" otherwise."""
        if self.peek() in words:
            return self.take()
        return ""

    def expect(self, *words: str) -> str:
        t = self.take()
        if t not in words:
            raise self.syntax(t, f"expected {' or '.join(repr(w) for w in words)}")
        return t

    def number(self, what: str) -> int:
        t = self.take()
        if not is_number(t):
            raise self.syntax(t, f"{what} must be a number")
        return int(t)

    def word(self, what: str) -> str:
        """One name or string (not an operator or brace)."""
        t = self.take()
        if t in PUNCT:
            raise self.syntax(t, f"expected {what}")
        return unquote(t)

    def group(self) -> list[str]:
        """One item or a ``{ ... }`` list (nested braces flattened)."""
        t = self.take()
        if t != "{":
            return [t]
        out: list[str] = []
        depth = 1
        while True:
            t = self.take()
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return out
            else:
                out.append(t)

    def parens(self) -> list[str]:
        """The tokens of a ``( ... )`` group (nesting kept flat); [] when none follows."""
        if self.peek() != "(":
            return []
        self.take()
        out: list[str] = []
        depth = 1
        while True:
            t = self.take()
            depth += t == "("
            depth -= t == ")"
            if depth == 0:
                return out
            out.append(t)

    def err(self, msg: str) -> HostParseError:
        return HostParseError(self.location, msg, self.line)

    def syntax(self, tok: str, why: str = "") -> HostParseError:
        """pfctl's ``syntax error``, naming the word it stopped at."""
        near = f" near {tok!r}" if tok else " at the end of the rule"
        return self.err(f"syntax error{near}" + (f" ({why})" if why else ""))
