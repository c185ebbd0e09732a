"""Command-line interface (typer). The only package that prints or exits."""

from __future__ import annotations


def main() -> None:
    from cloudfw.cli.app import run

    run()
