"""`mailer config`: see the settings and what is missing."""

from __future__ import annotations

import dataclasses
import sys

import click
from rich.table import Table

from mailer.cli_support import console, settings
from mailer.config import SECRET_FIELDS, check_settings


@click.group("config")
def command() -> None:
    """Show the settings in force and check them."""


@command.command("show")
def show() -> None:
    """Print every setting, its value and where it came from (secrets hidden)."""
    s = settings()
    table = Table("setting", "value", "from")
    for f in dataclasses.fields(s):
        if f.name == "sources":
            continue
        value = getattr(s, f.name)
        if f.name in SECRET_FIELDS:
            value = "(set)" if value else "(not set)"
        elif f.name in {"database_url", "backend"} and "@" in str(value):
            scheme, rest = str(value).split("://", 1) if "://" in str(value) else ("", str(value))
            value = f"{scheme}://***@{rest.split('@', 1)[1]}"
        table.add_row(f.name, str(value), s.sources.get(f.name, "default"))
    console.print(table)


@command.command("check")
def check() -> None:
    """Say what is missing or risky; exits 1 when a setting is wrong."""
    problems = check_settings(settings())
    if not problems:
        console.print("[green]Configuration looks complete.[/green]")
        return
    for level, name, message in problems:
        colour = {"error": "red", "warning": "yellow"}.get(level, "cyan")
        console.print(f"[{colour}]{level:7}[/{colour}] {name}: {message}")
    if any(level == "error" for level, _, _ in problems):
        sys.exit(1)
