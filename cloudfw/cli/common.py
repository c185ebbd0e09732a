"""Shared CLI plumbing: one-line errors, exit codes, output files, the stderr progress bar."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from functools import wraps
from pathlib import Path
from typing import BinaryIO, NoReturn, ParamSpec, TypeVar

import typer

from cloudfw.export.cells import incomplete_lines
from cloudfw.model import CloudfwError, Severity, Snapshot
from cloudfw.model.report import Report

P = ParamSpec("P")
R = TypeVar("R")


class Exit(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    BAD_INPUT = 2
    INCOMPLETE = 3


def fail(message: str, code: Exit = Exit.BAD_INPUT) -> NoReturn:
    """Print one line on stderr and exit. Never a traceback."""
    typer.echo(f"cloudfw: error: {message}", err=True)
    raise typer.Exit(int(code))


def wrote_snapshot(out: Path, snap: Snapshot, scopes: str) -> NoReturn:
    """After `collect` / `import` wrote ``out``: one summary line, one line per incomplete scope,
    and the exit code (3 when a scope is incomplete)."""
    rules = sum(len(rs.rules) for rs in snap.rulesets)
    failed = [c for c in snap.coverage if not c.ok]
    typer.echo(f"wrote {out}: {len(snap.rulesets)} rule sets, {rules} rules, {scopes}", err=True)
    for line in incomplete_lines(failed):
        typer.echo(f"  INCOMPLETE {line}", err=True)
    raise typer.Exit(int(Exit.INCOMPLETE if failed else Exit.CLEAN))


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn every cloudfw error (and OS errors on user-named files) into one line + exit 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CloudfwError as exc:
            fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            typer.echo("cloudfw: interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper


@contextmanager
def batch_gc() -> Iterator[None]:
    """An audit builds millions of long-lived, acyclic objects (rules, boxes, findings) and
    throws nothing away until it ends; the cyclic collector would re-scan them again and again
    (about a third of the run at a million rules). Pause it for the run; whatever cycles were
    made meanwhile are collected when it is switched back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except CloudfwError as exc:
        fail(f"--fail-on: {exc}")


def exit_code(report: Report, fail_on: Severity) -> Exit:
    """3 when anything could not be read (never "clean"), else 1 when findings reach
    ``fail_on``, else 0."""
    if not report.complete:
        return Exit.INCOMPLETE
    if report.at_or_above(fail_on):
        return Exit.FINDINGS
    return Exit.CLEAN


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from cloudfw.snapshotio import write_atomic

    if output.is_dir():
        fail(f"{output}: is a directory (name a file in it, e.g. {output / 'report.json'})")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, text.encode("utf-8"))


@contextmanager
def open_output(output: Path | None) -> Iterator[BinaryIO]:
    """Where a report is written piece by piece: stdout, or ``output`` through a temporary file
    renamed into place once all is written (`write_output`'s guarantees)."""
    if output is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if output.is_dir():
        fail(f"{output}: is a directory (name a file in it, e.g. {output / 'report.json'})")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    try:
        with tmp.open("wb") as fh:
            yield fh
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class StderrProgress:
    """A one-line progress indicator on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = 0
        self.done_n = 0
        self.failed = 0
        self.label = ""

    def start(self, total: int, label: str) -> None:
        self.total, self.done_n, self.failed, self.label = total, 0, 0, label
        self._draw("")

    def advance(self, unit: str, ok: bool) -> None:
        self.done_n += 1
        self.failed += 0 if ok else 1
        self._draw(unit)

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def _draw(self, unit: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done_n / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        errs = f", {self.failed} failed" if self.failed else ""
        sys.stderr.write(
            f"\r\x1b[K{self.label} [{bar}] {self.done_n}/{self.total}{errs} {unit[:40]}"
        )
        sys.stderr.flush()
