"""The typer application: wiring only. Each command group lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cloudfw",
    help=(
        "Audit firewall posture across AWS, Azure, GCP and hosts: what is exposed, what is\n"
        "unlogged, and what drifted from the approved baseline.\n\n"
        "Exit codes: 0 clean (nothing at or above --fail-on), 1 findings at or above --fail-on,\n"
        "2 bad usage or bad input, 3 incomplete collection (a region, account or file could not\n"
        "be read)."
    ),
    no_args_is_help=True,
    add_completion=False,
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
    # REGISTER-MARKER: add `from cloudfw.cli import <mod>` + `<mod>.register(app)` above this line


def run() -> None:
    _register_all()
    app()
