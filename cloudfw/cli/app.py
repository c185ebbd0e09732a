"""The typer application: wiring only. Each command group lives in its own module."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

import typer

COMPLETION_HELP = (
    "Shell completion: `cloudfw --install-completion` (bash, zsh, fish, PowerShell), or "
    "`cloudfw --show-completion` to print the script."
)

app = typer.Typer(
    name="cloudfw",
    help=(
        "Audit firewall posture across AWS, Azure, GCP and hosts: what is exposed, what is\n"
        "unlogged, and what drifted from the approved baseline.\n\n"
        "Exit codes: 0 clean (nothing at or above --fail-on), 1 findings at or above --fail-on,\n"
        "2 bad usage or bad input, 3 incomplete collection (a region, account or file could not\n"
        "be read).\n\n" + COMPLETION_HELP
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register_all() -> None:
    # Each module adds its commands. Keep one line per module; add yours at the end.
    from cloudfw.cli import audit, demo, host

    audit.register(app)
    demo.register(app)
    host.register(app)
    from cloudfw.cli import baseline

    baseline.register(app)
    from cloudfw.cli import events

    events.register(app)
    from cloudfw.cli import host_audit

    host_audit.register(app)
    from cloudfw.cli import host_detect

    host_detect.register(app)
    from cloudfw.cli import history

    history.register(app)
    from cloudfw.cli import exposure

    exposure.register(app)
    from cloudfw.cli import imports

    imports.register(app)
    # REGISTER-MARKER: add `from cloudfw.cli import <mod>` + `<mod>.register(app)` above this line


def tool_version() -> str:
    try:
        return version("cloudfw")
    except PackageNotFoundError:  # a source tree that was never installed
        from cloudfw import __version__

        return __version__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cloudfw {tool_version()}")
        raise typer.Exit(0)


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print cloudfw's version and exit.",
    ),
) -> None:
    """Audit firewall posture across AWS, Azure, GCP and hosts."""


def run() -> None:
    """Run the CLI. A usage error is one line on stderr plus a hint, exit 2 (click's own form
    is a four-line block)."""
    _register_all()
    try:
        code = app(standalone_mode=False, prog_name="cloudfw")
    except Exception as exc:  # click's exceptions (typer may ship its own copy of click)
        code = _click_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _click_error(exc: Exception) -> int:
    name = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    if name == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())
        return 0
    if name == "Abort":
        typer.echo("cloudfw: interrupted", err=True)
        return 130
    code = getattr(exc, "exit_code", None)
    fmt = getattr(exc, "format_message", None)
    if not isinstance(code, int) or fmt is None:
        raise exc
    hint = f" (try '{ctx.command_path} --help')" if ctx is not None and code == 2 else ""
    typer.echo(f"cloudfw: error: {fmt()}{hint}", err=True)
    return code
