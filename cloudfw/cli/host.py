"""`cloudfw host ...`: host firewall snapshots and telemetry. Commands are added by
`cloudfw.cli.host_audit` and `cloudfw.cli.host_detect`."""

from __future__ import annotations

import typer

host_app = typer.Typer(
    name="host",
    help="Audit host firewall snapshots (pf, ALF, iptables/nftables, ufw, firewalld, Windows)\n"
    "and detect firewall tampering in process telemetry.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(host_app, name="host")
