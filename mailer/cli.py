"""The ``mailer`` command.

Each module in ``mailer/commands/`` is one command (Mailman's ``cli_*``
layout): it exposes ``command`` (a click command or group), or, to add
subcommands to a group defined elsewhere, ``extends = "<group name>"`` and
``commands = [...]``. Adding a command is adding a file.

A command's module is named after the command (an extension of group ``g``
is named ``g_<something>``), so running one command imports only its own
modules: ``mailer worker`` loads what sending needs and no web framework,
feed parser or CSS inliner. ``--help`` and unknown names load them all.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import click

import mailer.commands
from mailer import __version__
from mailer.config import load_settings, set_settings


class _LazyCommands(click.Group):
    """Imports a command's module when that command is asked for, not all at start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            _load_commands(cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyCommands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="mailer")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MAILER_CONFIG",
    help="A mailer.toml file (default: ./mailer.toml if present).",
)
def cli(config_path: str | None) -> None:
    """The ODEI newsletter and announcement mailer.

    Weekly digests of news, heritage-month features and events, and staff
    announcements, sent to each list's confirmed subscribers. Settings come
    from MAILER_* environment variables and an optional mailer.toml; run
    `mailer config check` to see them. Start with `mailer init`, or try
    everything at once with `mailer demo`.
    """
    if config_path and not Path(config_path).exists():
        raise click.BadParameter(f"{config_path} does not exist", param_hint="--config")
    set_settings(load_settings(config_path=config_path))


def _load_commands(only: str | None = None) -> None:
    """Import the command modules: all of them, or those of the command ``only``."""
    names = sorted(m.name for m in pkgutil.iter_modules(mailer.commands.__path__))
    if only is not None:
        mine = [n for n in names if n == only or n.startswith(f"{only}_")]
        names = mine if only in mine else names  # a command in an oddly named module
    extensions = []
    for name in names:
        module = importlib.import_module(f"mailer.commands.{name}")
        if hasattr(module, "command"):
            cli.add_command(module.command)
        if hasattr(module, "extends"):
            extensions.append(module)
    for module in extensions:
        group = cli.commands.get(module.extends)
        if not isinstance(group, click.Group):
            raise RuntimeError(f"{module.__name__} extends unknown group {module.extends!r}")
        for command in module.commands:
            if command.name not in group.commands:
                group.add_command(command)


def main() -> None:
    try:
        cli(prog_name="mailer")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
