"""POSIX command lines: shell splitting (``shlex``) with redirections and pipes kept, and
getopt-style argument parsing. Pure functions; ``cmdline`` and ``fwfiles`` use them."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import NamedTuple

Redirects = tuple[tuple[str, str], ...]  # (">" | ">>", target)


class Words(NamedTuple):
    """A simple command as a splitter saw it, before wrappers are peeled."""

    argv: list[str]
    redirects: Redirects = ()
    upstream: tuple[str, ...] = ()


_SEPARATORS = frozenset({";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "\n"})
_PIPES = frozenset({"|", "|&"})
_REDIRECTS = {">": ">", ">|": ">", "&>": ">", ">&": ">", ">>": ">>", "&>>": ">>",
              "<": "", "<<": "", "<<<": "", "<&": "", "<>": ""}  # fmt: skip


def parse_posix(line: str) -> list[Words]:
    """Split a shell line into simple commands, with their output redirections and pipes."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        tokens = list(lex)
    except ValueError:  # unbalanced quotes: fall back to plain whitespace
        tokens = line.split()
    out: list[Words] = []
    cur: list[str] = []
    reds: list[tuple[str, str]] = []
    upstream: tuple[str, ...] = ()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _SEPARATORS:
            if cur or reds:
                out.append(Words(cur, tuple(reds), upstream))
            upstream = tuple(cur) if tok in _PIPES else ()
            cur, reds = [], []
        elif tok in _REDIRECTS:
            if cur and cur[-1].isdigit() and len(cur[-1]) == 1:
                cur.pop()  # "2>" descriptor
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            if _REDIRECTS[tok] and target and not target.isdigit() and target != "-":
                reds.append((_REDIRECTS[tok], target))
            i += 1
        else:
            cur.append(tok)
        i += 1
    if cur or reds:
        out.append(Words(cur, tuple(reds), upstream))
    return out


def split_posix(line: str) -> list[list[str]]:
    """Split a shell line into simple commands (lists of words; redirections dropped)."""
    return [w.argv for w in parse_posix(line) if w.argv]


def parse_args(
    args: Sequence[str],
    valued: str = "",
    long_valued: frozenset[str] = frozenset(),
    stop_at_operand: bool = False,
) -> tuple[list[str], list[tuple[str, str]]]:
    """``(operands, [(option, value)])`` the getopt way: short clusters (a ``valued`` letter takes
    the rest of its word or the next word), ``--long[=value]`` (a ``long_valued`` one without
    ``=`` takes the next word), ``--`` ends options. GNU tools take options anywhere; wrappers
    (``stop_at_operand``) stop at the first operand, the program they run."""
    operands: list[str] = []
    opts: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if not eq and name in long_valued and i + 1 < len(args):
                i += 1
                value = args[i]
            opts.append((name, value))
        elif a.startswith("-") and len(a) > 1:
            for k, ch in enumerate(a[1:], 2):
                if ch in valued:
                    value = a[k:]
                    if not value and i + 1 < len(args):
                        i += 1
                        value = args[i]
                    opts.append(("-" + ch, value))
                    break
                opts.append(("-" + ch, ""))
        elif stop_at_operand:
            operands.extend(args[i:])
            break
        else:
            operands.append(a)
        i += 1
    return operands, opts
